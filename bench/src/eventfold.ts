import { openSqlite, SqliteEventStore, type SqliteEventStoreOptions } from '@eventfold/sqlite'
import { eventfoldWorkloads, type OpenedStore } from './eventfold-workloads'
import { observeSettings, type ObservedSettings, type Side, type Synchronous } from './workload'

const observed = new Map<Synchronous, ObservedSettings>()

/** Opens the SQLite store the way an application does: one connection, the event store on it. */
const openStore = (file: string, synchronous: Synchronous, options: SqliteEventStoreOptions = {}): OpenedStore => {
  const sqlite = openSqlite(file, { synchronous: synchronous === 'FULL' ? 'full' : 'normal' })
  observed.set(synchronous, observeSettings(sqlite.db))
  return { eventStore: new SqliteEventStore(sqlite, options), close: () => sqlite.close() }
}

/** How the eventfold side's store is opened, for the report. */
export const describeStore = (withoutCorrelationIndex = false): string =>
  `openSqlite(file, { synchronous }) + new SqliteEventStore(connection${withoutCorrelationIndex ? ', { correlationIndex: false }' : ''}) from @eventfold/sqlite`

/** The workloads as an application writes them with eventfold on the SQLite store. */
export const eventfoldSide: Side = {
  name: 'eventfold',
  observed,
  commands: (file, size, synchronous) => eventfoldWorkloads.commands(() => openStore(file, synchronous), size),
  batches: (file, size, synchronous) => eventfoldWorkloads.batches(() => openStore(file, synchronous), size),
  rehydrate: (file, size, synchronous, style) => eventfoldWorkloads.rehydrate(() => openStore(file, synchronous), size, style),
  readAll: (file, size, synchronous) => eventfoldWorkloads.readAll(() => openStore(file, synchronous), size),
}

/** The same side on a store that keeps no correlation index (`correlationIndex: false`): what that index costs. */
export const eventfoldSideWithoutCorrelationIndex: Side = {
  ...eventfoldSide,
  commands: (file, size, synchronous) => eventfoldWorkloads.commands(() => openStore(file, synchronous, { correlationIndex: false }), size),
  batches: (file, size, synchronous) => eventfoldWorkloads.batches(() => openStore(file, synchronous, { correlationIndex: false }), size),
}
