import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConcurrencyError, type RetryOptions } from '@eventfold/core'
import { openSqlite, SqliteDocumentStore, SqliteEventStore, SqliteSnapshotStore, type SqliteConnection } from '@eventfold/sqlite'
import { createBankApp } from './app'
import { DepositMoney, OpenAccount } from './domain/commands'
import pg from 'pg'
import { runDemo } from './demo'
import { openBankStores } from './stores'

describe('the bank on the embedded SQLite store', () => {
  let dir: string
  let sqlite: SqliteConnection
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'eventfold-bank-'))
    sqlite = openSqlite(join(dir, 'bank.db'))
  })
  afterEach(async () => {
    await sqlite.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('runs the scripted demo: one rule rejection, one conflict resolved by retry, final state', async () => {
    const lines: string[] = []
    const summary = await runDemo(
      { eventStore: new SqliteEventStore(sqlite), snapshotStore: new SqliteSnapshotStore(sqlite), documents: new SqliteDocumentStore(sqlite) },
      (l) => lines.push(l),
    )
    expect(summary.rejected).toEqual(['insufficient-funds', 'account-closed'])
    expect(summary.conflictsRetried).toBe(1)
    expect(summary.accounts).toEqual([
      { id: 'ann', owner: 'Ann', balance: 9_500, closed: false, revision: 4n },
      { id: 'bob', owner: 'Bob', balance: 0, closed: true, revision: 3n },
    ])
    const output = lines.join('\n')
    expect(output).toMatch(/conflict on Account-ann: expected revision 2, stream is at 3/)
    expect(output).toMatch(/final state:/)
    expect(output).toMatch(/account ann: balance 95.00 after 4 movements/)
    expect(output).toMatch(/owner Bob: 1 account\(s\), 0 open, total 0.00/)
    expect(output).toMatch(/day \d{4}-\d\d-\d\d: deposits 175.00, withdrawals 80.00, net 95.00/)
  })

  describe('20 concurrent deposits into one account', () => {
    const race = async (retry: false | RetryOptions) => {
      const eventStore = new SqliteEventStore(sqlite)
      const app = createBankApp({ eventStore, retry })
      await app.commandBus.execute(new OpenAccount('acc', 'Ann'))
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => app.commandBus.execute(new DepositMoney('acc', i + 1))))
      const events = []
      for await (const e of eventStore.readStream('Account-acc')) events.push(e)
      return { results, events }
    }

    it('lets exactly one command win each revision when retry is off; the rest get ConcurrencyError', async () => {
      const { results, events } = await race(false)
      const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
      const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))
      expect(won.length).toBeGreaterThanOrEqual(1)
      // The race really happened: some commands decided on a revision another one had already taken.
      expect(lost.length).toBeGreaterThanOrEqual(1)
      expect(lost.length).toBe(20 - won.length)
      for (const e of lost) expect(e).toBeInstanceOf(ConcurrencyError)
      for (const e of lost) expect(e).toMatchObject({ type: 'concurrency', streamId: 'Account-acc' })
      expect(new Set(won.map((w) => w.nextRevision)).size).toBe(won.length)
      expect(events).toHaveLength(1 + won.length)
      expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => BigInt(i)))
    })

    it('lets all 20 succeed with retry on, each event stored exactly once', async () => {
      const conflicts: ConcurrencyError[] = []
      const { results, events } = await race({ maxAttempts: 50, onRetry: (error) => conflicts.push(error) })
      expect(results.every((r) => r.status === 'fulfilled')).toBe(true)
      // Commands did lose races and were decided again: the retries are what made all 20 succeed.
      expect(conflicts.length).toBeGreaterThanOrEqual(1)
      for (const c of conflicts) expect(c).toMatchObject({ streamId: 'Account-acc' })
      expect(events).toHaveLength(21)
      expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => BigInt(i)))
      const amounts = events.slice(1).map((e) => (e.data as { amount: number }).amount).sort((a, b) => a - b)
      expect(amounts).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    })
  })
})

describe('the bank on PostgreSQL (EVENTFOLD_STORE=postgres)', () => {
  it('runs the same scripted demo and read models', async () => {
    const stores = await openBankStores({ ...process.env, EVENTFOLD_STORE: 'postgres', EVENTFOLD_PG_SCHEMA: `bank_test_${process.pid}` })
    const lines: string[] = []
    try {
      const summary = await runDemo(stores, (l) => lines.push(l))
      expect(summary.rejected).toEqual(['insufficient-funds', 'account-closed'])
      expect(summary.conflictsRetried).toBe(1)
      expect(summary.accounts.map((a) => [a.id, a.balance, a.closed])).toEqual([
        ['ann', 9_500, false],
        ['bob', 0, true],
      ])
      expect(lines.join('\n')).toMatch(/owner Ann: 1 account\(s\), 1 open, total 95.00/)
    } finally {
      await stores.close()
      const pool = new pg.Pool({ connectionString: process.env.POSTGRES_URL || 'postgres://eventfold:eventfold@127.0.0.1:5432/eventfold' })
      await pool.query(`DROP SCHEMA IF EXISTS bank_test_${process.pid} CASCADE`)
      await pool.end()
    }
  })
})
