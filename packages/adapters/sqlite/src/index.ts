// The application API: the stores, their options and the connection they share.
// Everything else (SQL, row mapping, read-ahead, error translation) is internal.
export { openSqlite, type MigrateOptions, type OpenSqliteOptions, type SqliteConnection, type SqliteSynchronous } from './sqlite-connection'
export { SqliteEventStore, type SqliteEventStoreOptions } from './sqlite-event-store'
export { SqliteSnapshotStore } from './sqlite-snapshot-store'
export { SqliteDocumentStore, type SqliteDocumentStoreOptions } from './documents'
export { SqliteSchemaMissingError } from './sqlite-errors'
export { SqliteDeadlineStore } from './deadlines/sqlite-deadline-store'
export { sqliteInbox } from './inbox'
