import type Database from 'better-sqlite3'
import { StoreClosedError } from '@eventfold/core'
import { fromJson, toJson } from '@eventfold/core/spi'
import type { Deadline, DeadlineStore, ListDeadlinesOptions } from '@eventfold/sagas'
import { claimsOf, deadlineOf, type ClaimedDeadline, type ClaimOptions, type DeadlineInput, type SettleOutcome, type StoredDeadline } from '@eventfold/sagas/spi'
import type { SqliteConnection } from '../sqlite-connection'
import { DEADLINE_SCHEMA, DEADLINE_SCHEMA_MODULE } from './deadline-schema'

// Named as the fields of a stored deadline.
const COLUMNS = 'scope, name, id, due_at AS "dueAt", payload, scheduled_at AS "scheduledAt", state, token, owner, lease_until AS "leaseUntil", settled_at AS "settledAt", error'

const decode = (payload: unknown): unknown => fromJson(payload as string, 'payload')

/**
 * The {@link DeadlineStore} in an SQLite file, beside the event log. A claim
 * is one `UPDATE … RETURNING` under SQLite's write lock, so worker processes
 * that share the file never claim the same deadline.
 * @example
 * ```ts
 * const sqlite = openSqlite('shop.db')
 * const deadlines = new Deadlines(new SqliteDeadlineStore(sqlite))
 * ```
 */
export class SqliteDeadlineStore implements DeadlineStore {
  private readonly statements: {
    readonly schedule: Database.Statement
    readonly cancel: Database.Statement
    readonly claim: Database.Statement
    readonly settle: Database.Statement
    readonly nextDue: Database.Statement
    readonly list: Database.Statement
  }

  /** Uses `connection`, creating the deadline table on first use. */
  constructor(private readonly connection: SqliteConnection) {
    connection.migrate(DEADLINE_SCHEMA_MODULE, DEADLINE_SCHEMA)
    const { db } = connection
    this.statements = {
      schedule: db.prepare(
        `INSERT INTO eventfold_deadlines (scope, name, id, due_at, payload, scheduled_at, state)
         VALUES (@scope, @name, @id, @dueAt, @payload, @scheduledAt, 'pending')
         ON CONFLICT (scope, name) DO UPDATE SET
           id = excluded.id, due_at = excluded.due_at, payload = excluded.payload, scheduled_at = excluded.scheduled_at,
           state = 'pending', owner = NULL, lease_until = 0, settled_at = NULL, error = NULL`,
      ),
      cancel: db.prepare(`DELETE FROM eventfold_deadlines WHERE scope = ? AND name = ? AND state = 'pending'`),
      claim: db.prepare(
        `UPDATE eventfold_deadlines SET owner = @owner, lease_until = @now + @leaseMs, token = token + 1
         WHERE rowid IN (
           SELECT rowid FROM eventfold_deadlines
           WHERE state = 'pending' AND due_at <= @now AND lease_until <= @now AND name IN (SELECT value FROM json_each(@names))
           ORDER BY due_at LIMIT @limit)
         RETURNING ${COLUMNS}`,
      ),
      settle: db.prepare(
        `UPDATE eventfold_deadlines SET state = @state, settled_at = @at, error = @error, lease_until = 0
         WHERE scope = @scope AND name = @name AND id = @id AND token = @token AND state = 'pending'`,
      ),
      nextDue: db.prepare(
        `SELECT MIN(MAX(due_at, lease_until)) AS next FROM eventfold_deadlines
         WHERE state = 'pending' AND name IN (SELECT value FROM json_each(?))`,
      ),
      list: db.prepare(
        `SELECT ${COLUMNS} FROM eventfold_deadlines
         WHERE (@state IS NULL OR state = @state) AND (@scope IS NULL OR scope = @scope) AND (@dueBy IS NULL OR (state = 'pending' AND due_at <= @dueBy))
         ORDER BY due_at, scope, name LIMIT @limit`,
      ),
    }
  }

  /** @throws {@link SerializationError} when the payload is not JSON data. */
  async schedule(deadline: DeadlineInput): Promise<void> {
    this.assertOpen()
    const payload = toJson(deadline.payload, 'payload')
    this.statements.schedule.run({ ...deadline, payload })
  }

  async cancel(scope: string, name: string): Promise<boolean> {
    this.assertOpen()
    return this.statements.cancel.run(scope, name).changes > 0
  }

  async claimDue(now: number, { owner, leaseMs, limit, names }: ClaimOptions): Promise<ClaimedDeadline[]> {
    this.assertOpen()
    const rows = this.connection.immediate(
      () => this.statements.claim.all({ owner, now, leaseMs, limit, names: JSON.stringify(names) }) as StoredDeadline[],
    )
    return claimsOf(rows, decode)
  }

  async settle(claim: Pick<ClaimedDeadline, 'scope' | 'name' | 'id' | 'token'>, outcome: SettleOutcome): Promise<boolean> {
    this.assertOpen()
    const error = outcome.state === 'parked' ? outcome.error : null
    const { scope, name, id, token } = claim
    return this.statements.settle.run({ scope, name, id, token, state: outcome.state, at: outcome.at, error }).changes > 0
  }

  async nextDueAt(names: readonly string[]): Promise<number | undefined> {
    this.assertOpen()
    const row = this.statements.nextDue.get(JSON.stringify(names)) as { next: number | null }
    return row.next ?? undefined
  }

  async list({ dueBy, state, scope, limit = 1000 }: ListDeadlinesOptions = {}): Promise<Deadline[]> {
    this.assertOpen()
    return (this.statements.list.all({ dueBy: dueBy ?? null, state: state ?? null, scope: scope ?? null, limit }) as StoredDeadline[]).map((row) => deadlineOf(row, decode(row.payload)))
  }

  private assertOpen(): void {
    if (!this.connection.isOpen) throw new StoreClosedError('SqliteDeadlineStore')
  }
}
