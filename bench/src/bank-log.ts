import type { EventData, EventStore } from '@eventfold/core'
// Not the package's testing entry point: that one loads jest.
import { seededRandom } from '@eventfold/core/testing/seeded-random'
import type { SqliteConnection } from '@eventfold/sqlite'

/**
 * W5's event log: a month of the bank sample (`samples/bank-account`), its
 * four event types, generated deterministically (a seeded PRNG) so that every
 * run of every target rebuilds the same events.
 *
 * - 10,000 accounts (fewer for logs under 100,000 events: one per 10 events),
 *   owned by 8,000 owners (some hold two accounts);
 * - events spread evenly over 31 days from 2026-10-01 (`metadata.occurredAt`);
 * - each event goes to a random account: `AccountOpened` the first time an
 *   account is drawn, then deposits (60%) and withdrawals (40%, never more
 *   than the balance, as the aggregate requires); ~1 draw in 5,000 starts
 *   closing an account (a withdrawal of the whole balance, then
 *   `AccountClosed` at its next draw), up to 2% of the accounts.
 *
 * Accounts are drawn at random, so consecutive events belong to different
 * accounts, as in a real log: a batch of 2,000 events touches ~1,800
 * accounts, not the 20 a log appended account by account would.
 */

export const CATEGORY = 'Account'
const START = Date.UTC(2026, 9, 1)
const SPAN_MS = 31 * 24 * 3600 * 1000

export interface BankEvent {
  readonly account: number
  readonly streamId: string
  /** Revision of this event in its stream. */
  readonly revision: number
  readonly event: EventData
}

/** What a correct rebuild of `account-balances` must contain. */
export interface BankSummary {
  readonly events: number
  readonly accounts: number
  readonly opened: number
  readonly closed: number
  /** Sum of all balances, in cents. */
  readonly totalBalance: number
  /** Deposits + withdrawals. */
  readonly movements: number
}

export const accountsFor = (events: number): number => Math.max(10, Math.min(10_000, Math.floor(events / 10)))
export const accountId = (a: number): string => `acc-${String(a).padStart(5, '0')}`

/** The log, event by event, and at the end (via `summary()`) what it adds up to. */
export class BankTimeline {
  readonly accounts: number
  private readonly rand = seededRandom(20261001)
  private readonly revision: Int32Array
  private readonly balance: Float64Array
  private readonly state: Uint8Array // 0 new, 1 open, 2 closing, 3 closed
  private k = 0
  private closedOrClosing = 0
  private opened = 0
  private closed = 0
  private movements = 0

  constructor(readonly events: number) {
    this.accounts = accountsFor(events)
    this.revision = new Int32Array(this.accounts).fill(-1)
    this.balance = new Float64Array(this.accounts)
    this.state = new Uint8Array(this.accounts)
  }

  get done(): boolean {
    return this.k >= this.events
  }

  next(): BankEvent {
    if (this.done) throw new Error('the timeline is over')
    const occurredAt = new Date(START + Math.floor((this.k * SPAN_MS) / this.events)).toISOString()
    this.k++
    let a: number
    do a = Math.floor(this.rand() * this.accounts)
    while (this.state[a] === 3)
    const id = accountId(a)
    let type: string
    let data: object
    switch (this.state[a]) {
      case 0:
        this.state[a] = 1
        this.opened++
        type = 'AccountOpened'
        data = { accountId: id, owner: `Owner ${String(a % Math.ceil(this.accounts * 0.8)).padStart(5, '0')}` }
        break
      case 2:
        this.state[a] = 3
        this.closed++
        type = 'AccountClosed'
        data = { accountId: id }
        break
      default: {
        const r = this.rand()
        const bal = this.balance[a]!
        if (r < 0.0002 && this.closedOrClosing < this.accounts * 0.02 && bal > 0) {
          this.state[a] = 2
          this.closedOrClosing++
          type = 'MoneyWithdrawn'
          data = { accountId: id, amount: bal }
          this.balance[a] = 0
        } else if (r < 0.4 && bal > 0) {
          const amount = Math.min(bal, 100 + Math.floor(this.rand() * 50_000))
          this.balance[a] = bal - amount
          type = 'MoneyWithdrawn'
          data = { accountId: id, amount }
        } else {
          const amount = 100 + Math.floor(this.rand() * 100_000)
          this.balance[a] = bal + amount
          type = 'MoneyDeposited'
          data = { accountId: id, amount }
        }
        this.movements++
      }
    }
    const revision = ++this.revision[a]!
    return { account: a, streamId: `${CATEGORY}-${id}`, revision, event: { type, data, metadata: { occurredAt } } }
  }

  summary(): BankSummary {
    let totalBalance = 0
    for (const b of this.balance) totalBalance += b
    return { events: this.k, accounts: this.accounts, opened: this.opened, closed: this.closed, totalBalance, movements: this.movements }
  }
}

const expectedOf = (revision: number): bigint | 'no_stream' => (revision === 0 ? 'no_stream' : BigInt(revision - 1))

/**
 * Appends the log to an SQLite store, one append per event (each event is
 * one command of one account), 1,000 appends per transaction: the appends
 * run inside `connection.immediate`, which works because the SQLite store
 * does its SQL synchronously when `appendToStream` is called. Positions are
 * 1..events (a fresh file).
 */
export const generateSqliteLog = async (
  sqlite: SqliteConnection,
  store: EventStore,
  events: number,
  progress: (done: number) => void,
  batch = 1000,
): Promise<BankSummary> => {
  const timeline = new BankTimeline(events)
  let done = 0
  while (!timeline.done) {
    const appends: Promise<unknown>[] = []
    sqlite.immediate(() => {
      for (let i = 0; i < batch && !timeline.done; i++) {
        const e = timeline.next()
        appends.push(store.appendToStream(e.streamId, [e.event], { expectedRevision: expectedOf(e.revision) }))
      }
    })
    await Promise.all(appends)
    progress((done += appends.length))
  }
  const head = await store.headPosition()
  if (head !== BigInt(events)) throw new Error(`the generated log ends at position ${head}, not ${events}`)
  return timeline.summary()
}

/**
 * Appends the log to a store whose appends are round trips (PostgreSQL): the
 * timeline in chunks of `batch` events; within a chunk, each account's events
 * are one append (in order, at the expected revision), and up to
 * `concurrency` appends are in flight, on different streams.
 */
export const generateLogConcurrently = async (
  store: EventStore,
  events: number,
  progress: (done: number) => void,
  { batch = 1000, concurrency = 8 }: { batch?: number; concurrency?: number } = {},
): Promise<BankSummary> => {
  const timeline = new BankTimeline(events)
  let done = 0
  while (!timeline.done) {
    const perStream = new Map<string, { first: number; events: EventData[] }>()
    for (let i = 0; i < batch && !timeline.done; i++) {
      const e = timeline.next()
      const s = perStream.get(e.streamId)
      if (s) s.events.push(e.event)
      else perStream.set(e.streamId, { first: e.revision, events: [e.event] })
    }
    const jobs = [...perStream]
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < jobs.length) {
        const [streamId, { first, events: evs }] = jobs[next++]!
        await store.appendToStream(streamId, evs, { expectedRevision: expectedOf(first) })
        progress((done += evs.length))
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker))
  }
  return timeline.summary()
}
