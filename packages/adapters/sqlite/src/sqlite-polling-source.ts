import { type EventFilter, type RecordedEvent } from '@eventfold/core'
import { AppendSignal, type PollingSource } from '@eventfold/core/spi'
import type { SqliteConnection } from './sqlite-connection'

// One signal per connection, shared by its event stores: a commit on a
// connection does not change that connection's own `PRAGMA data_version`, so
// polling alone would never show one store the appends of another store on
// the same connection.
const signals = new WeakMap<SqliteConnection, AppendSignal>()

/** The signal that appends through `connection` notify and its subscriptions wait on. */
export const appendSignalOf = (connection: SqliteConnection): AppendSignal => {
  let signal = signals.get(connection)
  if (!signal) signals.set(connection, (signal = new AppendSignal()))
  return signal
}

/** What {@link sqlitePollingSource} needs from the event store. */
export interface SqlitePollingDeps {
  /** Notified by every append made through this connection. */
  readonly signal: AppendSignal
  /** `PRAGMA data_version` of the connection: changes when another connection commits. */
  readonly dataVersion: () => number
  readonly readAfter: (after: bigint | undefined, limit: number, filter: EventFilter | undefined) => Promise<readonly RecordedEvent[]>
  readonly headPosition: () => bigint | undefined
}

/**
 * The {@link PollingSource} of one SQLite subscription. Appends through this
 * connection wake it at once through the signal; commits by other
 * connections or processes are noticed by comparing `PRAGMA data_version`
 * at each poll tick, an O(1) check that runs no query on the log, so an idle
 * subscriber costs next to nothing however often it polls.
 */
export const sqlitePollingSource = ({ signal, dataVersion, readAfter, headPosition }: SqlitePollingDeps): PollingSource => {
  // Both marks are taken before each read: what is committed after them is
  // either in the read or makes the next wait return at once.
  let seenSignal = signal.version
  let seenDataVersion = dataVersion()
  return {
    readAfter: (after, limit, filter) => {
      seenSignal = signal.version
      seenDataVersion = dataVersion()
      return readAfter(after, limit, filter)
    },
    headPosition: async () => headPosition(),
    waitForAppend: async (timeoutMs, abort) => {
      for (;;) {
        await signal.wait(timeoutMs, abort, seenSignal)
        if (abort.aborted || signal.version !== seenSignal) return
        if (dataVersion() !== seenDataVersion) return
      }
    },
  }
}
