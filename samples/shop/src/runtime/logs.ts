import { PostgresEventStore } from '@eventfold/postgresql'
import { openSqlite, SqliteEventStore } from '@eventfold/sqlite'
import { join } from 'node:path'
import pg from 'pg'
import type { ShopLogs } from '../scenario/audit'
import type { ShopConfig } from './config'

/** Read access to every service's log, from outside the services (the demo's report, the tests' audit). */
export const openShopLogs = (config: ShopConfig): { readonly logs: ShopLogs; close(): Promise<void> } => {
  const services = ['order', 'inventory', 'payment', 'shipping'] as const
  if (config.store === 'postgres') {
    const pool = new pg.Pool({ connectionString: config.postgresUrl, max: 2 })
    const logs = Object.fromEntries(services.map((s) => [s, new PostgresEventStore(pool, { schema: `${config.schemaPrefix}${s}` })])) as unknown as ShopLogs
    return { logs, close: () => pool.end() }
  }
  const connections = services.map((s) => openSqlite(join(config.dataDir, `${s}.db`)))
  const logs = Object.fromEntries(services.map((s, i) => [s, new SqliteEventStore(connections[i]!)])) as unknown as ShopLogs
  return { logs, close: async () => connections.forEach((c) => c.close()) }
}
