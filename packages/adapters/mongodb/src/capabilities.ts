import type { Db, Document as BsonDocument, MongoClient } from 'mongodb'

/** What the server behind a client is and can do, as far as eventfold cares. */
export interface MongoCapabilities {
  /** `'MongoDB'`, or `'FerretDB'` (a MongoDB-wire server on PostgreSQL or SQLite). */
  readonly product: 'MongoDB' | 'FerretDB'
  /** The product's version, e.g. `'7.0.14'` or `'v1.24.0'`. */
  readonly version: string
  readonly topology: 'replica-set' | 'sharded' | 'standalone'
  /** Multi-document transactions work: commits are atomic. */
  readonly transactions: boolean
  /** Why transactions are off, for logs and docs (empty when they are on). */
  readonly reason: string
  /**
   * Query operators the server refuses or gets wrong, which `find` and `count`
   * evaluate in process instead (after the server applied the rest of the
   * filter). Empty on MongoDB.
   */
  readonly clientSideOperators: readonly string[]
  /**
   * At most this many statements per write command, and the commands of a
   * commit one at a time; `undefined` on MongoDB (one command per kind of
   * write per collection). FerretDB 1.x on PostgreSQL holds a connection for
   * every statement of an update that matched a document until the command
   * ends, and hangs for good once its pool (50) is exhausted: one update of
   * 50 matching statements, or several concurrent ones, stop the server.
   */
  readonly maxStatementsPerCommand: number | undefined
}

/** Query operators FerretDB 1.x cannot evaluate as MongoDB does (`$elemMatch` on fields of array elements). */
const FERRETDB_CLIENT_SIDE_OPERATORS = ['$elemMatch'] as const

/** Statements per write command on FerretDB 1.x: six commands in flight at once stay within its pool of 50 connections. */
const FERRETDB_STATEMENTS_PER_COMMAND = 8

const detected = new WeakMap<MongoClient, Promise<MongoCapabilities>>()

/**
 * Finds out what the server behind `client` is and whether it runs
 * multi-document transactions: `hello` must report a replica set (`setName`)
 * or a mongos, with sessions (`logicalSessionTimeoutMinutes`), the server must
 * not be FerretDB (`buildInfo.ferretdbVersion`), and a read-only probe
 * transaction on `db` must commit. The answer is remembered per client.
 * @example
 * ```ts
 * const { transactions, reason } = await detectMongoCapabilities(client, client.db('app'))
 * if (!transactions) console.warn(`read models commit without transactions: ${reason}`)
 * ```
 */
export const detectMongoCapabilities = (client: MongoClient, db: Db): Promise<MongoCapabilities> => {
  let found = detected.get(client)
  if (!found) {
    found = detect(client, db)
    detected.set(client, found)
    // A failed detection (server down) is not remembered: the next store asks again.
    found.catch(() => detected.delete(client))
  }
  return found
}

const detect = async (client: MongoClient, db: Db): Promise<MongoCapabilities> => {
  const admin = client.db('admin')
  const hello = await admin.command({ hello: 1 })
  const build = await admin.command({ buildInfo: 1 }).catch((): BsonDocument => ({}))
  const ferretdb = typeof build.ferretdbVersion === 'string'
  const topology = hello.msg === 'isdbgrid' ? 'sharded' : typeof hello.setName === 'string' ? 'replica-set' : 'standalone'
  const base = {
    product: ferretdb ? 'FerretDB' : 'MongoDB',
    version: String(ferretdb ? build.ferretdbVersion : (build.version ?? 'unknown')),
    topology,
    clientSideOperators: ferretdb ? FERRETDB_CLIENT_SIDE_OPERATORS : [],
    maxStatementsPerCommand: ferretdb ? FERRETDB_STATEMENTS_PER_COMMAND : undefined,
  } as const
  const off = (reason: string): MongoCapabilities => ({ ...base, transactions: false, reason })
  if (ferretdb) return off(`FerretDB ${base.version} has no multi-document transactions`)
  if (topology === 'standalone') return off('a standalone server has no transactions (run a replica set, even of one node)')
  if (hello.logicalSessionTimeoutMinutes == null) return off('the server reports no session support')
  const probe = await probeTransaction(client, db)
  return probe === true ? { ...base, transactions: true, reason: '' } : off(`a probe transaction failed: ${probe}`)
}

/**
 * Runs a read-only transaction on `db` (it writes nothing, so a server that
 * ignores transactions cannot be changed by it). Resolves `true`, or the
 * failure's code name or message.
 */
export const probeTransaction = async (client: MongoClient, db: Db): Promise<true | string> => {
  const session = client.startSession()
  try {
    await session.withTransaction(async () => {
      await db.collection('_ef_transaction_probe').findOne({}, { session })
    })
    return true
  } catch (error) {
    const e = error as { codeName?: string; message?: string }
    return e.codeName ?? e.message ?? String(error)
  } finally {
    await session.endSession()
  }
}
