import { rmSync } from 'node:fs'
import { resolve } from 'node:path'
import type { EventStore, SnapshotStore } from '@eventfold/core'
import { redactUrl } from '@eventfold/core/spi'
import type { DocumentStore } from '@eventfold/projections'
import { PostgresDocumentStore, PostgresEventStore } from '@eventfold/postgresql'
import { openSqlite, SqliteDocumentStore, SqliteEventStore, SqliteSnapshotStore } from '@eventfold/sqlite'
import pg from 'pg'

/** The stores the bank runs on, and how to let go of them. */
export interface BankStores {
  readonly eventStore: EventStore
  readonly snapshotStore?: SnapshotStore
  readonly documents: DocumentStore
  /** One line saying where the data lives. */
  readonly description: string
  close(): Promise<void>
}

const DEFAULT_POSTGRES_URL = 'postgres://eventfold:eventfold@127.0.0.1:5432/eventfold'

/**
 * Opens empty stores for the demo. `EVENTFOLD_STORE=postgres` runs it on
 * PostgreSQL (at `POSTGRES_URL`, in schema `bank_demo`); the default is an
 * SQLite file (`EVENTFOLD_DB`, default `bank-demo.db`). The demo tells the
 * same story every run, so it starts from an empty log either way.
 */
export const openBankStores = async (env: NodeJS.ProcessEnv = process.env): Promise<BankStores> => {
  const kind = env.EVENTFOLD_STORE ?? 'sqlite'
  if (kind === 'postgres') {
    const url = env.POSTGRES_URL || DEFAULT_POSTGRES_URL
    const schema = env.EVENTFOLD_PG_SCHEMA ?? 'bank_demo'
    const pool = new pg.Pool({ connectionString: url, max: 8 })
    await pool.query(`DROP SCHEMA IF EXISTS "${schema.replace(/"/g, '""')}" CASCADE`)
    const eventStore = new PostgresEventStore(pool, { schema })
    const documents = new PostgresDocumentStore(pool, { schema })
    return {
      eventStore,
      documents,
      description: `PostgreSQL ${redactUrl(url)}, schema ${schema}; read models in the same schema`,
      close: async () => {
        await eventStore.close()
        await documents.close()
        await pool.end()
      },
    }
  }
  if (kind !== 'sqlite') throw new Error(`EVENTFOLD_STORE must be 'sqlite' or 'postgres', not '${kind}'`)
  const path = resolve(env.EVENTFOLD_DB ?? 'bank-demo.db')
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true })
  const sqlite = openSqlite(path)
  return {
    eventStore: new SqliteEventStore(sqlite),
    snapshotStore: new SqliteSnapshotStore(sqlite),
    documents: new SqliteDocumentStore(sqlite),
    description: `SQLite ${path} (WAL, synchronous=full); read models in the same file`,
    close: () => sqlite.close(),
  }
}
