import pg from 'pg'

/** Where a store gets its connections: a `pg.Pool` it borrows, or a connection string or pool config it opens a pool for. */
export type PostgresSource = pg.Pool | string | pg.PoolConfig

/** A pool and whether the store that resolved it must end it. */
export interface ResolvedPool {
  readonly pool: pg.Pool
  readonly owned: boolean
}

/** True for a `pg.Pool` (by shape, so that a second copy of pg is recognised too). */
const isPool = (source: PostgresSource): source is pg.Pool =>
  typeof source === 'object' &&
  typeof (source as pg.Pool).connect === 'function' &&
  typeof (source as pg.Pool).query === 'function' &&
  typeof (source as pg.Pool).end === 'function'

/**
 * The pool of a store. A pool it opens reports the errors of idle clients
 * (e.g. the server restarted) to `onError`: an `'error'` event without a
 * listener would crash the process. For a read-only store, the sessions of a
 * pool it opens are read-only too, so the server refuses a write that the
 * store itself would not.
 */
export const resolvePool = (
  source: PostgresSource,
  onError: (error: unknown) => void,
  { readOnly = false }: { readOnly?: boolean } = {},
): ResolvedPool => {
  if (isPool(source)) return { pool: source, owned: false }
  const given: pg.PoolConfig = typeof source === 'string' ? { connectionString: source } : source
  const options = [given.options, readOnly ? '-c default_transaction_read_only=on' : undefined].filter(Boolean).join(' ')
  // Copied by descriptors: a password kept non-enumerable stays so.
  const config: pg.PoolConfig = options ? Object.defineProperties({}, { ...Object.getOwnPropertyDescriptors(given), options: { value: options, enumerable: true } }) : given
  const pool = new pg.Pool(config)
  pool.on('error', onError)
  return { pool, owned: true }
}

/**
 * The settings of a client outside `pool` that reaches the same server as its
 * clients do: a listening connection must not hold one of the pool's slots.
 * `undefined` when the pool does not expose its settings.
 */
export const clientConfigOf = (pool: pg.Pool): pg.ClientConfig | undefined => {
  const options = (pool as { options?: pg.PoolConfig }).options
  if (!options) return undefined
  // pg-pool keeps the password (and the TLS key) as non-enumerable properties;
  // the copy keeps them so, out of util.inspect and logs, and the client still reads them.
  const config: pg.ClientConfig = { ...options }
  for (const secret of ['password', 'ssl', 'connectionString'] as const) {
    Object.defineProperty(config, secret, { value: options[secret], enumerable: false })
  }
  return config
}

/** Runs `work` in one transaction on one client of `pool`: COMMIT when it resolves, ROLLBACK when it throws. */
export const inTransaction = async <T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
  const client = await pool.connect()
  // A client whose ROLLBACK failed is in an unknown state: it is destroyed, not returned to the pool.
  let unusable: Error | undefined
  try {
    await client.query('BEGIN')
    const result = await work(client)
    await client.query('COMMIT')
    return result
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      unusable = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError))
    })
    throw error
  } finally {
    client.release(unusable)
  }
}

/**
 * What `util.inspect` shows of a store: its class and schema, never its pool,
 * whose settings hold the password (in a connection string, enumerable).
 */
export const inspectStore = (name: string, schema: string): string => `${name} { schema: ${JSON.stringify(schema)} }`
