export { PostgresEventStore, channelOf, type PostgresEventStoreOptions } from './events/postgres-event-store'
export { transactionOf } from './events/position'
export { PostgresDocumentStore, type PostgresDocumentStoreOptions } from './documents/postgres-document-store'
export type { PostgresSource } from './pg/pool'
