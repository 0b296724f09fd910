export { PostgresEventStore, channelOf, type PostgresEventStoreOptions } from './events/postgres-event-store'
export { MAX_EVENTS_PER_APPEND, transactionOf } from './events/position'
export { PostgresDocumentStore, type PostgresDocumentStoreOptions } from './documents/postgres-document-store'
export type { PostgresSource } from './pg/pool'
