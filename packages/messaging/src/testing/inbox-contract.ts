import { randomBytes, randomUUID } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { DocumentConflictError, type DocumentStore } from '@eventfold/projections'
import { AggregateNotFoundError, defineAggregate, PermanentStoreError, type RecordedEvent } from '@eventfold/core'
import { within } from '@eventfold/core/testing'
import { defineConsumer, type ConsumerDefinition, type IntegrationHandler } from '../consumers/consumer-definition'
import { ConsumerWorker, type ConsumerProgress, type ConsumerWorkerOptions } from '../consumers/consumer-worker'
import { encodeEnvelope } from '../envelope/codec'
import type { IntegrationEnvelope } from '../envelope/envelope'
import { InboxAppendUnsupportedError, ParkedMessageNotFoundError, ParkedRetryFailedError } from '../errors'
import { INBOX_COLLECTION, PARKED_COLLECTION } from '../inbox/inbox-records'
import type { InboxStore } from '../inbox/inbox-store'
import { ParkedMessages } from '../parked/parked-messages'
import { InMemoryTransport, inMemoryDeadLetterTopic } from '../transport/in-memory-transport'

/** What an {@link inboxContract} factory returns: an inbox on a fresh store, and how to dispose of it. */
export interface InboxUnderTest {
  readonly inbox: InboxStore
  readonly teardown?: () => Promise<void>
}

/** What the store behind the inbox holds. */
export interface InboxCapabilities {
  /** The store has the consumer's log: handlers may dispatch commands. */
  readonly appends: boolean
  /** A commit is one transaction (`documents.capabilities.transactions`). */
  readonly transactions: boolean
}

interface Credit {
  readonly type: 'Credit' | 'OpenLedger'
  readonly ledgerId: string
  readonly amount: number
}

/** The consumer service's own aggregate in the contract: credits of a ledger. */
const Ledger = defineAggregate<{ total: number }, Credit, { type: string; data: { amount: number } }>({
  category: 'ContractLedger',
  commands: { Credit: { aggregateId: (c) => c.ledgerId }, OpenLedger: { aggregateId: (c) => c.ledgerId, creates: true } },
  initialState: () => ({ total: 0 }),
  decide: (c) => [{ type: 'Credited', data: { amount: c.amount } }],
  evolve: (s, e) => ({ total: s.total + e.data.amount }),
})

/**
 * Registers the contract every {@link InboxStore} passes as jest tests,
 * against a real server, with the in-memory transport: redelivery has no
 * second effect, a conflicting append redoes the message, a poison message
 * is parked after its last attempt while the rest flow, a parked message is
 * retried once or discarded, and a zero-payload event's `fetch()` returns
 * the producer's current data.
 * @example
 * ```ts
 * inboxContract('SQLite', { appends: true, transactions: true }, async () => ({ inbox: sqliteInbox(openSqlite(':memory:')) }))
 * ```
 */
export const inboxContract = (name: string, capabilities: InboxCapabilities, factory: () => Promise<InboxUnderTest>): void => {
  describe(`${name} (inbox contract)`, () => {
    let subject: InboxUnderTest
    let inbox: InboxStore
    let transport: InMemoryTransport
    let tag: string
    let topic: string

    beforeEach(async () => {
      subject = await factory()
      inbox = subject.inbox
      // The tests that differ by it must know it right.
      expect(inbox.documents.capabilities.transactions).toBe(capabilities.transactions)
      transport = new InMemoryTransport()
      tag = `c${randomBytes(4).toString('hex')}`
      topic = `${tag}-orders`
      await transport.declare({ name: topic, partitions: 2 })
    })

    afterEach(async () => {
      await transport.close()
      await subject.teardown?.()
    })

    const envelope = (streamId: string, data: unknown, change: Partial<IntegrationEnvelope> = {}): IntegrationEnvelope => ({
      id: randomUUID(),
      type: 'OrderPlaced.v1',
      source: 'orders',
      streamId,
      revision: 0n,
      position: 1n,
      occurredAt: new Date().toISOString(),
      payload: 'full',
      data,
      ...change,
    })
    // A header of the producer's own, named as no document field may be: a parked message keeps it.
    const publish = (on: InMemoryTransport, ...envelopes: IntegrationEnvelope[]): Promise<void> =>
      on.publish(topic, envelopes.map((e) => ({ ...encodeEnvelope(e), headers: { ...encodeEnvelope(e).headers, '$x.trace': 'a.b' } })))

    const consumerOf = (handler: IntegrationHandler): ConsumerDefinition =>
      defineConsumer(`${tag}-billing`, { topics: [topic], collection: 'ledgers', handlers: { 'OrderPlaced.v1': handler } })

    /** The handler the tests share: a document change, and a command when the store has a log. */
    const credit: IntegrationHandler<{ ledgerId: string; amount: number }> = async (e, { documents, commands }) => {
      documents.upsert(e.data.ledgerId, { $inc: { total: e.data.amount } })
      if (!capabilities.appends) return
      const { ledgerId, amount } = e.data
      await commands.execute({ type: 'Credit', ledgerId, amount }).catch((error: unknown) => {
        if (!(error instanceof AggregateNotFoundError)) throw error
        return commands.execute({ type: 'OpenLedger', ledgerId, amount })
      })
    }

    /** Runs a worker until `done` holds after a commit; fails at a deadline (a guard, not a pacing clock). */
    const consume = async (
      consumer: ConsumerDefinition,
      done: (p: ConsumerProgress) => boolean,
      options: ConsumerWorkerOptions = {},
      on: InMemoryTransport = transport,
    ): Promise<{ progress: ConsumerProgress; worker: ConsumerWorker }> => {
      const worker: ConsumerWorker = new ConsumerWorker(consumer, on, inbox, {
        aggregates: [Ledger],
        maxBatchWaitMs: 5,
        retry: { initialDelayMs: 1, maxDelayMs: 5 },
        ...options,
        onProgress: (p) => {
          if (done(p)) worker.stop()
        },
      })
      const guard = setTimeout(() => worker.stop(), 20_000)
      try {
        const progress = await worker.run()
        if (!done(progress)) throw new Error(`consumer stopped at its deadline: ${JSON.stringify(progress)}`)
        return { progress, worker }
      } finally {
        clearTimeout(guard)
      }
    }

    const total = async (ledgerId: string): Promise<unknown> => (await inbox.documents.get('ledgers', ledgerId))?.total
    const credits = async (ledgerId: string): Promise<number[]> => {
      const found: RecordedEvent[] = []
      for await (const e of inbox.events!.readStream(`ContractLedger-${ledgerId}`)) found.push(e)
      return found.map((e) => (e.data as { amount: number }).amount)
    }

    it('applies a message delivered twice once: one document change (and one append, with a log)', async () => {
      const first = envelope('Order-1', { ledgerId: `${tag}-a`, amount: 5 })
      const second = envelope('Order-1', { ledgerId: `${tag}-a`, amount: 7 })
      // A relay that crashed after publishing and before its checkpoint publishes again: the same ids.
      await publish(transport, first, second, first)
      const { progress } = await consume(consumerOf(credit), (p) => p.eventsRead >= 3)
      expect(progress.eventsApplied).toBe(2)
      expect(await total(`${tag}-a`)).toBe(12)
      if (capabilities.appends) {
        expect(await credits(`${tag}-a`)).toEqual([5, 7])
        // The events a message's commands append name it as their cause.
        const [opened] = await inbox.events!.readStream(`ContractLedger-${tag}-a`, { maxCount: 1 }).pages()[Symbol.asyncIterator]().next().then((r) => r.value ?? [])
        expect(opened?.metadata).toMatchObject({ causationId: first.id, correlationId: first.id })
      }

      // The group lost its offsets (a new broker, a reset group): everything is delivered again, nothing applied again.
      const again = new InMemoryTransport()
      await again.declare({ name: topic, partitions: 2 })
      await publish(again, first, second)
      const replayed = await consume(consumerOf(credit), (p) => p.eventsRead >= 2, {}, again)
      await again.close()
      expect(replayed.progress.eventsApplied).toBe(0)
      expect(await total(`${tag}-a`)).toBe(12)
      if (capabilities.appends) expect(await credits(`${tag}-a`)).toEqual([5, 7])
    })

    it('applies a message once when its first commit was stored but reported failed (a connection lost on the reply)', async () => {
      const ledgerId = `${tag}-lost`
      const real = inbox
      let failed = false
      // The first commit reaches the store, and its caller sees an error: without transactions, the one that stored the effects.
      inbox = {
        documents: real.documents,
        events: real.events,
        async commit(request) {
          await real.commit(request)
          if (failed) return
          failed = true
          throw new Error('connection lost after the commit')
        },
      }
      await publish(transport, envelope('Order-1', { ledgerId, amount: 6 }))
      const { progress } = await consume(consumerOf(credit), (p) => p.batches >= 1, { onError: () => {} })
      inbox = real
      expect(failed).toBe(true)
      expect(progress.retries).toBeGreaterThanOrEqual(1)
      expect(await total(ledgerId)).toBe(6)
      if (capabilities.appends) expect(await credits(ledgerId)).toEqual([6])
    })

    if (capabilities.appends) {
      it('redoes a message whose append met another writer, from fresh reads', async () => {
        const ledgerId = `${tag}-b`
        let calls = 0
        const racing: IntegrationHandler<{ ledgerId: string; amount: number }> = async (e, context) => {
          await credit(e, context)
          // Another writer appends to the stream the handler's command just loaded and appended to (held, not committed).
          if (++calls === 1) await inbox.events!.appendToStream(`ContractLedger-${ledgerId}`, [{ type: 'Credited', data: { amount: 100 } }])
        }
        await publish(transport, envelope('Order-1', { ledgerId, amount: 3 }))
        const { progress } = await consume(consumerOf(racing), (p) => p.eventsApplied >= 1)
        expect(calls).toBe(2)
        expect(progress.conflicts).toBeGreaterThanOrEqual(1)
        expect(await credits(ledgerId)).toEqual([100, 3])
        expect(await total(ledgerId)).toBe(3)
      })

      it('stores none of a commit whose document write is refused: appends, documents and inbox record go together', async () => {
        const streamId = `${tag}-atomic`
        const request = {
          appends: [{ streamId, events: [{ type: 'Credited', data: { amount: 1 } }], expectedRevision: 'no_stream' as const }],
          writes: [
            { kind: 'put' as const, collection: 'ledgers', doc: { _id: `${tag}-new`, total: 1 }, meta: { revision: 1, positions: {} }, expectedRevision: 0 },
            // A document someone else changed: the whole commit must be refused.
            { kind: 'put' as const, collection: 'ledgers', doc: { _id: `${tag}-stale`, total: 2 }, meta: { revision: 4, positions: {} }, expectedRevision: 3 },
          ],
        }
        await expect(inbox.commit(request)).rejects.toMatchObject({ type: new DocumentConflictError('ledgers', 'x', 3, undefined).type })
        expect(await inbox.events!.streamRevision(streamId)).toBeUndefined()
        expect(await inbox.documents.get('ledgers', `${tag}-new`)).toBeUndefined()
      })
    } else {
      it('refuses a command on a store without a log: the message is parked with the error', async () => {
        const commanding: IntegrationHandler = async (_e, { commands }) => {
          await commands.execute({ type: 'Credit', ledgerId: 'x', amount: 1 })
        }
        const message = envelope('Order-1', {})
        await publish(transport, message)
        await consume(consumerOf(commanding), (p) => p.parked >= 1, { maxAttempts: 1 })
        const [parked] = await new ParkedMessages(inbox.documents).list({ consumer: `${tag}-billing` })
        expect(parked).toMatchObject({ id: message.id, error: { type: new InboxAppendUnsupportedError('', '').type } })
      })
    }

    describe('a poison message', () => {
      let poison: IntegrationEnvelope
      let healthy: boolean
      const ledgerId = (): string => `${tag}-p`
      const picky: IntegrationHandler<{ ledgerId: string; amount: number; poison?: boolean }> = async (e, context) => {
        if (e.data.poison && !healthy) throw new Error('cannot bill this order yet')
        await credit(e, context)
      }

      beforeEach(async () => {
        healthy = false
        poison = envelope('Order-1', { ledgerId: ledgerId(), amount: 10, poison: true })
        // One stream, so one partition: the messages after the poison one wait for it, then flow.
        await publish(
          transport,
          envelope('Order-1', { ledgerId: ledgerId(), amount: 1 }),
          poison,
          envelope('Order-1', { ledgerId: ledgerId(), amount: 2 }),
          envelope('Order-1', { ledgerId: ledgerId(), amount: 4 }),
        )
        const { progress, worker } = await consume(consumerOf(picky), (p) => p.parked >= 1 && p.eventsApplied >= 3, { maxAttempts: 3 })
        expect(progress).toMatchObject({ parked: 1, eventsApplied: 3, retries: 2 })
        expect((await worker.lag()).reduce((n, l) => n + l.lag, 0n)).toBe(0n)
      })

      it('is parked after its last attempt, with its error, while the rest of its partition flows', async () => {
        expect(await total(ledgerId())).toBe(7)
        if (capabilities.appends) expect(await credits(ledgerId())).toEqual([1, 2, 4])
        const parked = await new ParkedMessages(inbox.documents).list({ consumer: `${tag}-billing` })
        expect(parked).toMatchObject([{ id: poison.id, eventType: 'OrderPlaced.v1', topic, attempts: 3, error: { message: 'cannot bill this order yet' } }])
        expect(parked[0]!.headers).toMatchObject({ 'ef-id': poison.id, '$x.trace': 'a.b' })
        // And handed to the transport's dead-letter destination.
        const dead = await transport.subscribe({ group: `${tag}-ops`, topics: [inMemoryDeadLetterTopic(`${tag}-billing`, topic)] })
        expect((await dead.read(10, 5, new Promise(() => {}))).map((d) => d.id)).toEqual([poison.id])
        await dead.close()
      })

      it('is applied once by a retry, and a second retry finds nothing to do', async () => {
        healthy = true
        const worker = new ConsumerWorker(consumerOf(picky), transport, inbox, { aggregates: [Ledger] })
        expect(await worker.retryParked(poison.id)).toMatchObject({ id: poison.id })
        await expect(worker.retryParked(poison.id)).rejects.toMatchObject({ type: new ParkedMessageNotFoundError('', '').type, messageId: poison.id })
        expect(await total(ledgerId())).toBe(17)
        if (capabilities.appends) expect(await credits(ledgerId())).toEqual([1, 2, 4, 10])
        expect(await new ParkedMessages(inbox.documents).list({ consumer: `${tag}-billing` })).toEqual([])
      })

      it('stays parked, with the new error, when a retry fails again', async () => {
        const worker = new ConsumerWorker(consumerOf(picky), transport, inbox, { aggregates: [Ledger], maxAttempts: 1 })
        await expect(worker.retryParked(poison.id)).rejects.toMatchObject({ type: new ParkedRetryFailedError('', '', { cause: 0 }).type, messageId: poison.id })
        expect(await new ParkedMessages(inbox.documents).list({ consumer: `${tag}-billing` })).toMatchObject([{ id: poison.id, attempts: 1 }])
        expect(await total(ledgerId())).toBe(7)
      })

      it(
        capabilities.transactions
          ? 'stays parked, and is not applied by the next consumer, when the consumer dies after the commit that parked it'
          : 'is applied by the next consumer, and leaves the parked messages, when the inbox record that parked it was lost with a crash',
        async () => {
          const message = envelope('Order-9', { ledgerId: ledgerId(), amount: 100, poison: true })
          await publish(transport, message)
          const real = inbox
          inbox = {
            documents: real.documents,
            events: real.events,
            async commit(request) {
              // Without transactions the process dies before the inbox records; with them, after the one commit.
              const inboxOnly = request.writes.length > 0 && request.writes.every((w) => w.collection === INBOX_COLLECTION)
              if (!capabilities.transactions && inboxOnly) throw new PermanentStoreError('test', 'here', 'crashed')
              await real.commit(request)
              if (capabilities.transactions && request.writes.some((w) => w.collection === PARKED_COLLECTION)) throw new PermanentStoreError('test', 'here', 'crashed')
            },
          }
          await expect(consume(consumerOf(picky), () => false, { maxAttempts: 1 })).rejects.toBeInstanceOf(PermanentStoreError)
          inbox = real
          healthy = true
          await consume(consumerOf(picky), (p) => p.eventsRead >= 1)
          const parked = (await new ParkedMessages(inbox.documents).list({ consumer: `${tag}-billing` })).map((p) => p.id)
          if (capabilities.transactions) {
            expect(await total(ledgerId())).toBe(7)
            expect(parked).toEqual([poison.id, message.id])
          } else {
            expect(await total(ledgerId())).toBe(107)
            expect(parked).toEqual([poison.id])
          }
        },
      )

      it.each([
        ['two retries through one worker', 2, 'one worker'],
        ['five retries, each through its own worker', 5, 'a worker each'],
      ] as const)('is applied once when %s race through one inbox, and the others find it gone', async (_, n, workers) => {
        healthy = true
        const shared = new ConsumerWorker(consumerOf(picky), transport, inbox, { aggregates: [Ledger] })
        const retries = Array.from({ length: n }, () =>
          (workers === 'one worker' ? shared : new ConsumerWorker(consumerOf(picky), transport, inbox, { aggregates: [Ledger] })).retryParked(poison.id),
        )
        const outcomes = await within(Promise.allSettled(retries), 10_000, `${n} concurrent retries of parked message ${poison.id} through one inbox`)
        // Without transactions a winner whose commit wrote the removal and then lost a later write redoes, finds the
        // message gone and cannot tell that the removal was its own: at most one reports it applied, all may report it gone.
        const applied = outcomes.filter((o) => o.status === 'fulfilled').length
        if (capabilities.transactions) expect(applied).toBe(1)
        else expect(applied).toBeLessThanOrEqual(1)
        for (const o of outcomes) {
          if (o.status === 'rejected') expect(o.reason).toMatchObject({ type: new ParkedMessageNotFoundError('', '').type, messageId: poison.id })
        }
        expect(await total(ledgerId())).toBe(17)
        if (capabilities.appends) expect(await credits(ledgerId())).toEqual([1, 2, 4, 10])
        expect(await new ParkedMessages(inbox.documents).list({ consumer: `${tag}-billing` })).toEqual([])
      })

      it('is either applied by a retry or discarded when both race, and the loser finds it gone', async () => {
        healthy = true
        const worker = new ConsumerWorker(consumerOf(picky), transport, inbox, { aggregates: [Ledger] })
        const [retried, discarded] = await within(
          Promise.allSettled([worker.retryParked(poison.id), new ParkedMessages(inbox.documents).discard(`${tag}-billing`, poison.id)]),
          10_000,
          `a retry and a discard of parked message ${poison.id} racing through one inbox`,
        )
        expect([retried!.status, discarded!.status].sort()).toEqual(['fulfilled', 'rejected'])
        const loser = retried!.status === 'rejected' ? retried! : discarded!
        expect((loser as PromiseRejectedResult).reason).toMatchObject({ type: new ParkedMessageNotFoundError('', '').type, messageId: poison.id })
        expect(await total(ledgerId())).toBe(retried!.status === 'fulfilled' ? 17 : 7)
        expect(await new ParkedMessages(inbox.documents).list({ consumer: `${tag}-billing` })).toEqual([])
      })

      it('is not found by a discard that a retry overtakes between its read and its removal', async () => {
        healthy = true
        const worker = new ConsumerWorker(consumerOf(picky), transport, inbox, { aggregates: [Ledger] })
        let overtaken = false
        const documents = readingThen(inbox.documents, async () => {
          if (overtaken) return
          overtaken = true
          await worker.retryParked(poison.id)
        })
        await expect(new ParkedMessages(documents).discard(`${tag}-billing`, poison.id)).rejects.toMatchObject({
          type: new ParkedMessageNotFoundError('', '').type,
          messageId: poison.id,
        })
        expect(overtaken).toBe(true)
        expect(await total(ledgerId())).toBe(17)
      })

      it('is never applied once discarded', async () => {
        const parked = new ParkedMessages(inbox.documents)
        await parked.discard(`${tag}-billing`, poison.id)
        await expect(parked.discard(`${tag}-billing`, poison.id)).rejects.toBeInstanceOf(ParkedMessageNotFoundError)
        healthy = true
        const worker = new ConsumerWorker(consumerOf(picky), transport, inbox, { aggregates: [Ledger] })
        await expect(worker.retryParked(poison.id)).rejects.toBeInstanceOf(ParkedMessageNotFoundError)
        expect(await total(ledgerId())).toBe(7)
      })
    })

    it("hands a zero-payload event's handler the producer's current data through fetch()", async () => {
      const producer = new Map<string, { amount: number }>([['o-1', { amount: 1 }]])
      const fetched: IntegrationHandler<{ orderId: string }, { amount: number }> = async (e, { documents, fetch }) => {
        const order = await fetch()
        documents.upsert(e.data.orderId, { $set: { amount: order.amount, payload: e.payload } })
      }
      await publish(transport, envelope('Order-o-1', { orderId: 'o-1' }, { payload: 'reference' }))
      // The order changed after the event was published: the consumer reads what is true now.
      producer.set('o-1', { amount: 99 })
      await consume(consumerOf(fetched), (p) => p.eventsApplied >= 1, {
        fetchers: { 'OrderPlaced.v1': async (e: IntegrationEnvelope<{ orderId: string }>) => producer.get(e.data.orderId) },
      })
      expect(await inbox.documents.get('ledgers', 'o-1')).toEqual({ _id: 'o-1', amount: 99, payload: 'reference' })
    })
  })
}


/** `documents`, whose `getMany` runs `then` after its read and before it answers. */
const readingThen = (documents: DocumentStore, then: () => Promise<void>): DocumentStore =>
  new Proxy(documents, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target)
      if (property === 'getMany') {
        return async (...args: Parameters<DocumentStore['getMany']>) => {
          const found = await target.getMany(...args)
          await then()
          return found
        }
      }
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
