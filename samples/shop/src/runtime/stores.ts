import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { EventStore } from '@eventfold/core'
import type { InboxStore } from '@eventfold/messaging'
import { PostgresDeadlineStore, PostgresDocumentStore, PostgresEventStore, postgresInbox } from '@eventfold/postgresql'
import type { DocumentStore } from '@eventfold/projections'
import type { DeadlineStore } from '@eventfold/sagas'
import { openSqlite, SqliteDeadlineStore, SqliteDocumentStore, SqliteEventStore, sqliteInbox } from '@eventfold/sqlite'
import pg from 'pg'
import type { ServiceName, ShopConfig } from './config'

/** One service's own database: its log, documents, inbox and deadlines, all in one SQLite file or one PostgreSQL schema. */
export interface ServiceStores {
  readonly eventStore: EventStore
  readonly documents: DocumentStore
  readonly inbox: InboxStore
  readonly deadlines: DeadlineStore
  /** Where the data lives, for people. */
  readonly description: string
  close(): Promise<void>
}

/** Opens (creating if needed) the database of `service`. */
export const openServiceStores = async (service: ServiceName, config: ShopConfig): Promise<ServiceStores> => {
  if (config.store === 'postgres') {
    const schema = `${config.schemaPrefix}${service}`
    const pool = new pg.Pool({ connectionString: config.postgresUrl, max: 6 })
    const inbox = postgresInbox(pool, { schema })
    const stores: ServiceStores = {
      eventStore: new PostgresEventStore(pool, { schema }),
      documents: new PostgresDocumentStore(pool, { schema }),
      inbox,
      deadlines: new PostgresDeadlineStore(pool, { schema }),
      description: `PostgreSQL schema ${schema}`,
      close: async () => {
        await inbox.close()
        await pool.end()
      },
    }
    return stores
  }
  mkdirSync(config.dataDir, { recursive: true })
  const path = join(config.dataDir, `${service}.db`)
  const connection = openSqlite(path)
  return {
    eventStore: new SqliteEventStore(connection),
    documents: new SqliteDocumentStore(connection),
    inbox: sqliteInbox(connection),
    deadlines: new SqliteDeadlineStore(connection),
    description: `SQLite ${path}`,
    close: async () => connection.close(),
  }
}
