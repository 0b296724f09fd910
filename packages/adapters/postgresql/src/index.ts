// The application API: the stores, their options and what they connect with.
// Everything else (SQL, positions, identifiers, migrations, error translation) is internal.
export { PostgresEventStore, type PostgresEventStoreOptions } from './events/postgres-event-store'
export { PostgresDocumentStore, type PostgresDocumentStoreOptions } from './documents/postgres-document-store'
export type { PostgresSource } from './pg/pool'
export { PostgresSchemaMissingError, isPostgresSchemaMissingError, PostgresReadOnlyError, isPostgresReadOnlyError } from './pg/schema-errors'
export { PostgresDeadlineStore, type PostgresDeadlineStoreOptions } from './deadlines/postgres-deadline-store'
export { postgresInbox, type PostgresInboxOptions } from './inbox'
