import { randomBytes, randomUUID } from 'node:crypto'
import { within } from '@eventfold/core/testing'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { AggregateNotFoundError, defineAggregate } from '@eventfold/core'
import { ConsumerWorker, defineConsumer, InMemoryTransport, ParkedMessages, type ConsumerWorkerOptions, type IntegrationHandler } from '@eventfold/messaging'
import { encodeEnvelope } from '@eventfold/messaging/spi'
import pg from 'pg'
import { describePostgres, dropSchema, freshSchema, postgresUrl } from '../testing/connect'
import { postgresInbox } from './postgres-inbox'

interface Credit {
  readonly type: 'Credit' | 'Open'
  readonly accountId: string
  readonly amount: number
}

/** Credits of an account: a handler's command appends in the inbox's own transaction. */
const Account = defineAggregate<{ total: number }, Credit, { type: string; data: { amount: number } }>({
  category: 'InboxAccount',
  commands: { Credit: { aggregateId: (c) => c.accountId }, Open: { aggregateId: (c) => c.accountId, creates: true } },
  initialState: () => ({ total: 0 }),
  decide: (c) => [{ type: 'Credited', data: { amount: c.amount } }],
  evolve: (s, e) => ({ total: s.total + e.data.amount }),
})


const DEADLINE_MS = 15_000

describePostgres('postgresInbox used concurrently through one inbox object', () => {
  const schemas: string[] = []
  let admin: pg.Pool

  beforeAll(() => {
    admin = new pg.Pool({ connectionString: postgresUrl(), max: 1 })
  })
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(admin, schema)
    await admin.end()
  })

  // 1 and 2 are the smallest pools; 6 is the shop sample's; 10 is pg's default (the README's, and a store's own pool from a URL).
  describe.each([1, 2, 6, 10])('on a pool of %i', (max) => {
    let pool: pg.Pool
    let inbox: ReturnType<typeof postgresInbox>
    let transport: InMemoryTransport
    let tag: string
    let failing: Set<string>

    beforeEach(async () => {
      const schema = freshSchema('inbox')
      schemas.push(schema)
      pool = new pg.Pool({ connectionString: postgresUrl(), max })
      inbox = postgresInbox(pool, { schema })
      transport = new InMemoryTransport()
      tag = `c${randomBytes(4).toString('hex')}`
      await transport.declare({ name: `${tag}-orders`, partitions: 4 })
      failing = new Set()
    })
    afterEach(async () => {
      await transport.close()
      await inbox.close()
      await pool.end()
    })

    const credit: IntegrationHandler<{ accountId: string; amount: number }> = async (e, { documents, commands }) => {
      if (failing.has(e.id)) throw new Error(`cannot credit ${e.data.accountId} yet`)
      const { accountId, amount } = e.data
      documents.upsert(accountId, { $inc: { total: amount } })
      await commands.execute({ type: 'Credit', accountId, amount }).catch((error: unknown) => {
        if (!(error instanceof AggregateNotFoundError)) throw error
        return commands.execute({ type: 'Open', accountId, amount })
      })
    }
    const consumer = () => defineConsumer(`${tag}-billing`, { topics: [`${tag}-orders`], collection: 'accounts', handlers: { 'OrderPlaced.v1': credit } })
    const worker = (options: ConsumerWorkerOptions = {}) =>
      new ConsumerWorker(consumer(), transport, inbox, { aggregates: [Account], maxAttempts: 1, maxBatchWaitMs: 5, retry: { initialDelayMs: 1, maxDelayMs: 5 }, ...options })

    /** Publishes one credit of `amount` per account of `accounts`, in order; returns the message ids. */
    const publish = async (credits: readonly (readonly [accountId: string, amount: number])[]): Promise<string[]> => {
      const messages = credits.map(([accountId, amount]) => ({
        id: randomUUID(),
        type: 'OrderPlaced.v1',
        source: 'orders',
        streamId: `Order-${accountId}`,
        revision: 0n,
        position: 1n,
        occurredAt: new Date().toISOString(),
        payload: 'full' as const,
        data: { accountId, amount },
      }))
      await transport.publish(`${tag}-orders`, messages.map(encodeEnvelope))
      return messages.map((m) => m.id)
    }

    /** Runs `count` workers in one group over the inbox until they handled (applied or parked) `messages` messages between them. */
    const consume = async (count: number, messages: number, what: string): Promise<void> => {
      const handled = new Map<number, number>()
      const workers: ConsumerWorker[] = Array.from({ length: count }, (_, n) =>
        worker({
          onProgress: (p) => {
            handled.set(n, p.eventsApplied + p.parked)
            if ([...handled.values()].reduce((sum, h) => sum + h, 0) >= messages) for (const w of workers) w.stop()
          },
        }),
      )
      await within(Promise.all(workers.map((w) => w.run())), DEADLINE_MS, what)
    }

    const total = async (accountId: string): Promise<unknown> => (await inbox.documents.get('accounts', accountId))?.total
    const credited = async (accountId: string): Promise<number[]> => {
      const amounts: number[] = []
      for await (const e of inbox.events!.readStream(`InboxAccount-${accountId}`)) amounts.push((e.data as { amount: number }).amount)
      return amounts
    }

    it('handles messages with several workers in one group at once, each applied once', async () => {
      const accounts = Array.from({ length: 8 }, (_, n) => `${tag}-a${n}`)
      await publish(accounts.flatMap((a) => [[a, 1], [a, 2], [a, 4]] as const))
      await consume(3, 24, `3 workers handling 24 messages through one inbox on a pool of ${max}`)
      for (const a of accounts) {
        expect(await total(a)).toBe(7)
        expect(await credited(a)).toEqual([1, 2, 4])
      }
    })

    it('applies each of several parked messages once when their retries run at once', async () => {
      const accounts = Array.from({ length: 5 }, (_, n) => `${tag}-p${n}`)
      const ids = await publish(accounts.map((a) => [a, 10] as const))
      for (const id of ids) failing.add(id)
      await consume(1, ids.length, `parking ${ids.length} messages on a pool of ${max}`)
      failing.clear()
      const outcomes = await within(
        Promise.allSettled(ids.map((id) => worker().retryParked(id))),
        DEADLINE_MS,
        `${ids.length} concurrent retries of distinct parked messages through one inbox on a pool of ${max}`,
      )
      expect(outcomes.map((o) => o.status)).toEqual(ids.map(() => 'fulfilled'))
      for (const a of accounts) expect(await credited(a)).toEqual([10])
      expect(await new ParkedMessages(inbox.documents).list({ consumer: `${tag}-billing` })).toEqual([])
    })

    it('applies one parked message once when several retries of it run at once', async () => {
      const [id] = await publish([[`${tag}-one`, 10]])
      failing.add(id!)
      await consume(1, 1, `parking a message on a pool of ${max}`)
      failing.clear()
      const shared = worker()
      const outcomes = await within(
        Promise.allSettled([shared.retryParked(id!), shared.retryParked(id!), worker().retryParked(id!), worker().retryParked(id!)]),
        DEADLINE_MS,
        `4 concurrent retries of parked message ${id} through one inbox on a pool of ${max}`,
      )
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
      expect(outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason)).toMatchObject([
        { type: 'ParkedMessageNotFoundError', messageId: id },
        { type: 'ParkedMessageNotFoundError', messageId: id },
        { type: 'ParkedMessageNotFoundError', messageId: id },
      ])
      expect(await credited(`${tag}-one`)).toEqual([10])
    })
  })
})
