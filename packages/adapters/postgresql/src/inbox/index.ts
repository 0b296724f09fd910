export { postgresInbox, type PostgresInboxOptions } from './postgres-inbox'
