import { createEventfold, type EventData, type EventStore } from '@eventfold/core'
import { openSqlite, SqliteEventStore, type SqliteConnection } from '@eventfold/sqlite'
import { commandFor, entryData, eventTypeOf, Ledger, ledgerId, streamIdOf } from './domain'
import {
  BenchCheckError,
  eventsOf,
  observeSettings,
  type ObservedSettings,
  type Prepared,
  type Side,
  type Size,
  type Synchronous,
} from './workload'

/** What the eventfold side opened: the store, and the connection it closes. */
interface Opened {
  readonly eventStore: EventStore
  readonly sqlite: SqliteConnection
}

const observed = new Map<Synchronous, ObservedSettings>()

/** Opens the SQLite store the way an application does: one connection, the event store on it. */
const openStore = (file: string, synchronous: Synchronous): Opened => {
  const sqlite = openSqlite(file, { synchronous: synchronous === 'FULL' ? 'full' : 'normal' })
  observed.set(synchronous, observeSettings(sqlite.db))
  return { eventStore: new SqliteEventStore(sqlite), sqlite }
}

/** How the eventfold side's store is opened, for the report. */
export const describeStore = (): string =>
  'openSqlite(file, { synchronous }) + new SqliteEventStore(connection) from @eventfold/sqlite'

const closer = ({ sqlite }: Opened) => () => sqlite.close()

/** The workloads as an application writes them with eventfold on the SQLite store. */
export const eventfoldSide: Side = {
  name: 'eventfold',
  observed,

  async commands(file: string, size: Size, synchronous: Synchronous): Promise<Prepared> {
    const opened = openStore(file, synchronous)
    const app = createEventfold({ eventStore: opened.eventStore, aggregates: [Ledger] })
    return {
      close: closer(opened),
      async run(progress) {
        let done = 0
        // Round robin over the streams, as many independent clients would; each command awaited.
        for (let seq = 0; seq < size.eventsPerStream; seq++) {
          for (let s = 0; s < size.streams; s++) {
            const result = await app.commandBus.execute(commandFor(ledgerId(s), seq))
            if (result.nextRevision !== BigInt(seq)) {
              throw new BenchCheckError('eventfold', 'W1', `${result.streamId} at ${result.nextRevision} after ${seq}`)
            }
            progress(++done)
          }
        }
        return done
      },
    }
  },

  async batches(file: string, size: Size, synchronous: Synchronous): Promise<Prepared> {
    const opened = openStore(file, synchronous)
    const { eventStore } = opened
    return {
      close: closer(opened),
      async run(progress) {
        let done = 0
        for (let s = 0; s < size.streams; s++) {
          const id = ledgerId(s)
          const events: EventData[] = []
          for (let seq = 0; seq < size.eventsPerStream; seq++) events.push({ type: eventTypeOf(seq), data: entryData(id, seq) })
          await eventStore.appendToStream(streamIdOf(id), events, { expectedRevision: 'no_stream' })
          progress((done += events.length))
        }
        return done
      },
    }
  },

  async rehydrate(file: string, size: Size, synchronous: Synchronous): Promise<Prepared> {
    const opened = openStore(file, synchronous)
    const app = createEventfold({ eventStore: opened.eventStore, aggregates: [Ledger] })
    return {
      close: closer(opened),
      async run(progress) {
        let done = 0
        for (let s = 0; s < size.streams; s++) {
          const loaded = await app.repository.load<Ledger>(Ledger, ledgerId(s))
          if (loaded.state.entries !== size.eventsPerStream) {
            throw new BenchCheckError('eventfold', 'W3', `${ledgerId(s)} has ${loaded.state.entries} entries`)
          }
          progress((done += loaded.eventsRead))
        }
        return done
      },
    }
  },

  async readAll(file: string, size: Size, synchronous: Synchronous): Promise<Prepared> {
    const opened = openStore(file, synchronous)
    const { eventStore } = opened
    return {
      close: closer(opened),
      async run(progress) {
        let done = 0
        let last = 0n
        for await (const event of eventStore.readAll()) {
          if (event.position <= last) throw new BenchCheckError('eventfold', 'W4', `position ${event.position} after ${last}`)
          last = event.position
          progress(++done)
        }
        if (done !== eventsOf(size)) throw new BenchCheckError('eventfold', 'W4', `read ${done} events`)
        return done
      },
    }
  },
}
