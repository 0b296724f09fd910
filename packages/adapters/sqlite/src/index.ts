export { openSqlite, type OpenSqliteOptions, type SqliteConnection, type SqliteSynchronous } from './sqlite-connection'
export { MAX_READ_AHEAD_THREADS, SqliteEventStore, type SqliteEventStoreOptions } from './sqlite-event-store'
export { SqliteSnapshotStore } from './sqlite-snapshot-store'
export { SqliteDocumentStore, type SqliteDocumentStoreOptions } from './documents'
