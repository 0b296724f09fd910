import { inspect } from 'node:util'
import type pg from 'pg'
import { StoreClosedError } from '@eventfold/core'
import { toJson } from '@eventfold/core/spi'
import type { Deadline, DeadlineStore, ListDeadlinesOptions } from '@eventfold/sagas'
import { claimsOf, deadlineOf, type ClaimedDeadline, type ClaimOptions, type DeadlineInput, type SettleOutcome, type StoredDeadline } from '@eventfold/sagas/spi'
import { quoteIdent } from '../pg/identifiers'
import { checkSchema, migrate } from '../pg/migrate'
import { inspectStore, resolvePool, type PostgresSource } from '../pg/pool'
import { PostgresReadOnlyError } from '../pg/schema-errors'
import { warn } from '../pg/warn'
import { DEADLINE_SCHEMA } from './deadline-schema'

/** Options of {@link PostgresDeadlineStore}. */
export interface PostgresDeadlineStoreOptions {
  /** The schema that holds the deadline table. @default 'public' */
  readonly schema?: string
  /** Told about errors of idle pooled connections. @default a process warning */
  readonly onError?: (error: unknown) => void
  /** Only read (for `eventfold deadlines list`): checks the table instead of creating it, and refuses writes. @default false */
  readonly readOnly?: boolean
}

// Named as the fields of a stored deadline.
const COLUMNS = 'scope, name, id, due_at AS "dueAt", payload, scheduled_at AS "scheduledAt", state, token, owner, lease_until AS "leaseUntil", settled_at AS "settledAt", error'

/**
 * The {@link DeadlineStore} in PostgreSQL. A claim is one `UPDATE` over rows
 * picked `FOR UPDATE SKIP LOCKED`, so concurrent workers each take other
 * deadlines and never wait on one another.
 * @example
 * ```ts
 * const store = new PostgresDeadlineStore(pool, { schema: 'shop' })
 * const deadlines = new Deadlines(store)
 * ```
 */
export class PostgresDeadlineStore implements DeadlineStore {
  private readonly pool: pg.Pool
  private readonly ownsPool: boolean
  private readonly schema: string
  private readonly table: string
  private readonly readOnly: boolean
  private migrated: Promise<void> | undefined
  private closed = false

  /**
   * @param source a `pg.Pool` to borrow (the store never ends it), or a
   * connection string or pool config for a pool of its own (ended by `close()`).
   */
  constructor(source: PostgresSource, { schema = 'public', onError = warn, readOnly = false }: PostgresDeadlineStoreOptions = {}) {
    if (schema.length === 0) throw new RangeError('schema must not be empty')
    const { pool, owned } = resolvePool(source, onError, { readOnly })
    this.pool = pool
    this.ownsPool = owned
    this.schema = schema
    this.table = `${quoteIdent(schema)}.eventfold_deadlines`
    this.readOnly = readOnly
  }

  [inspect.custom](): string {
    return inspectStore('PostgresDeadlineStore', this.schema)
  }

  /**
   * Creates the schema and the deadline table when they are missing
   * (read-only: checks they are there). Every other method does it on first use.
   * @throws {@link PostgresSchemaMissingError} read-only, when the table is missing or at another version.
   */
  async ready(): Promise<void> {
    this.migrated ??= (this.readOnly ? checkSchema : migrate)(this.pool, this.schema, DEADLINE_SCHEMA).catch((error: unknown) => {
      this.migrated = undefined
      throw error
    })
    return this.migrated
  }

  /** Refuses further use, and ends the pool when the store opened it. Harmless twice. */
  async close(): Promise<void> {
    this.closed = true
    if (this.ownsPool && !this.pool.ended) await this.pool.end()
  }

  /** @throws {@link SerializationError} when the payload is not JSON data. */
  async schedule(d: DeadlineInput): Promise<void> {
    const payload = toJson(d.payload, 'payload')
    await this.write('schedule')
    await this.pool.query(
      `INSERT INTO ${this.table} (scope, name, id, due_at, payload, scheduled_at, state) VALUES ($1, $2, $3, $4, $5, $6, 'pending')
       ON CONFLICT (scope, name) DO UPDATE SET
         id = excluded.id, due_at = excluded.due_at, payload = excluded.payload, scheduled_at = excluded.scheduled_at,
         state = 'pending', owner = NULL, lease_until = 0, settled_at = NULL, error = NULL`,
      [d.scope, d.name, d.id, d.dueAt, payload, d.scheduledAt],
    )
  }

  async cancel(scope: string, name: string): Promise<boolean> {
    await this.write('cancel')
    const { rowCount } = await this.pool.query(`DELETE FROM ${this.table} WHERE scope = $1 AND name = $2 AND state = 'pending'`, [scope, name])
    return (rowCount ?? 0) > 0
  }

  async claimDue(now: number, { owner, leaseMs, limit, names }: ClaimOptions): Promise<ClaimedDeadline[]> {
    await this.write('claim')
    const claimable = `state = 'pending' AND due_at <= $1 AND lease_until <= $1 AND name = ANY($2::text[])`
    const { rows } = await this.pool.query<StoredDeadline>(
      // Materialised: a subquery inlined into the join could be run more than once, past its LIMIT.
      `WITH due AS MATERIALIZED (SELECT scope, name FROM ${this.table} WHERE ${claimable} ORDER BY due_at LIMIT $5 FOR UPDATE SKIP LOCKED)
       UPDATE ${this.table} d SET owner = $3, lease_until = $1 + $4, token = d.token + 1
       FROM due
       WHERE d.scope = due.scope AND d.name = due.name AND d.${claimable.replaceAll(' AND ', ' AND d.')}
       RETURNING ${COLUMNS.split(', ').map((c) => `d.${c}`).join(', ')}`,
      [now, [...names], owner, leaseMs, limit],
    )
    return claimsOf(rows)
  }

  async settle(claim: Pick<ClaimedDeadline, 'scope' | 'name' | 'id' | 'token'>, outcome: SettleOutcome): Promise<boolean> {
    await this.write('settle')
    const { rowCount } = await this.pool.query(
      `UPDATE ${this.table} SET state = $5, settled_at = $6, error = $7, lease_until = 0
       WHERE scope = $1 AND name = $2 AND id = $3 AND token = $4 AND state = 'pending'`,
      [claim.scope, claim.name, claim.id, claim.token, outcome.state, outcome.at, outcome.state === 'parked' ? outcome.error : null],
    )
    return (rowCount ?? 0) > 0
  }

  async nextDueAt(names: readonly string[]): Promise<number | undefined> {
    await this.use()
    const { rows } = await this.pool.query<{ next: string | null }>(
      `SELECT MIN(GREATEST(due_at, lease_until)) AS next FROM ${this.table} WHERE state = 'pending' AND name = ANY($1::text[])`,
      [[...names]],
    )
    return rows[0]?.next == null ? undefined : Number(rows[0].next)
  }

  async list({ dueBy, state, scope, limit = 1000 }: ListDeadlinesOptions = {}): Promise<Deadline[]> {
    await this.use()
    const { rows } = await this.pool.query<StoredDeadline>(
      `SELECT ${COLUMNS} FROM ${this.table}
       WHERE ($1::text IS NULL OR state = $1) AND ($2::bigint IS NULL OR (state = 'pending' AND due_at <= $2)) AND ($4::text IS NULL OR scope = $4)
       ORDER BY due_at, scope, name LIMIT $3`,
      [state ?? null, dueBy ?? null, limit, scope ?? null],
    )
    return rows.map((row) => deadlineOf(row))
  }

  private async use(): Promise<void> {
    if (this.closed) throw new StoreClosedError('PostgresDeadlineStore')
    await this.ready()
  }

  private async write(operation: string): Promise<void> {
    if (this.readOnly) throw new PostgresReadOnlyError('PostgresDeadlineStore', this.schema, operation)
    await this.use()
  }
}
