import { EventEmitter } from 'node:events'
import { describe, expect, it } from '@jest/globals'
import { PARK, PINNED, type PersistentSubscriptionToAllResolvedEvent } from '@eventstore/db-client'
import type { EventStoreClient } from '../client/client'
import { clientShapes, type ClientShape } from '../test-support/client-shapes'
import type { RecordedEvent } from '@eventfold/core'
import { defineProjection, InMemoryDocumentStore, TransactionsRequiredError } from '@eventfold/projections'
import { type CommitRequest, physicalCollection } from '@eventfold/projections/spi'
import { SubscriptionDroppedError } from '../errors'
import { toEventStoreDBFilter } from '../mapping/filter'
import { encodePosition } from '../mapping/position'
import { decodeParkReason } from './parked-messages'
import { persistentProjectionWorker } from './persistent-projection-worker'

type Sent = { readonly ack?: string[]; readonly nack?: { action: string; reason: string; ids: string[] }; readonly commit?: number }

/**
 * The client's side of a persistent subscription, without a server: the test
 * emits what the server would send and sees the acks and nacks written back.
 * What the server does with them is the integration test's business.
 */
class ClientSubscription extends EventEmitter {
  readonly sent: Sent[] = []
  unsubscribed = false
  async ack(...events: PersistentSubscriptionToAllResolvedEvent[]): Promise<void> {
    this.sent.push({ ack: events.map((e) => e.event!.id) })
  }
  async nack(action: string, reason: string, ...events: PersistentSubscriptionToAllResolvedEvent[]): Promise<void> {
    this.sent.push({ nack: { action, reason, ids: events.map((e) => e.event!.id) } })
  }
  async unsubscribe(): Promise<void> {
    this.unsubscribed = true
  }
}

const clientOfShape = (shape: ClientShape, subscription: ClientSubscription, joined: unknown[] = []): EventStoreClient =>
  shape.client({
    subscribeToPersistentSubscriptionToAll: (group: string, options: unknown) => {
      joined.push({ group, options })
      return subscription
    },
    createPersistentSubscriptionToAll: async (group: string, _settings: unknown, options: unknown) => void joined.push({ created: group, options }),
  })

let commit = 1000n
const delivered = (streamId: string, revision: bigint, type = 'Counted', data: unknown = {}): PersistentSubscriptionToAllResolvedEvent => {
  commit += 10n
  return {
    event: {
      streamId,
      id: `${streamId}@${revision}`,
      isJson: true,
      revision,
      type,
      created: new Date('2024-01-01T00:00:00.000Z'),
      data: data as Record<string, unknown>,
      metadata: {},
      position: { commit, prepare: commit },
    },
    commitPosition: commit,
    retryCount: 0,
  } as PersistentSubscriptionToAllResolvedEvent
}

const projection = (poison = new Set<string>()) =>
  defineProjection({
    name: 'tallies',
    collections: ['tallies'],
    handlers: {
      Counted: (e: RecordedEvent, view) => {
        if (poison.has(`${e.streamId}@${e.revision}`)) throw new Error(`cannot count ${e.streamId}@${e.revision}`)
        view.upsert(e.streamId, { $inc: { n: 1 } })
      },
    },
  })

const waitFor = async (condition: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 5))
  expect(condition()).toBe(true)
}

describe.each(clientShapes)('persistentProjectionWorker through the $name', (shape) => {
  const clientWith = (subscription: ClientSubscription, joined?: unknown[]) => clientOfShape(shape, subscription, joined)

  it('creates a Pinned group named after the projection, filtered to its event types, with room for a batch', async () => {
    const joined: unknown[] = []
    const { group, worker } = persistentProjectionWorker(clientWith(new ClientSubscription(), joined), {
      projection: projection(),
      documents: new InMemoryDocumentStore(),
      batchSize: 50,
    })

    expect(group.group).toBe('tallies')
    expect(group.settings()).toMatchObject({ consumerStrategyName: PINNED })
    expect(worker.source).toBe(group)
    await group.ensure()
    group.subscribe()
    expect(joined).toEqual([
      { created: 'tallies', options: { filter: toEventStoreDBFilter({ eventTypes: ['Counted'] }) } },
      { group: 'tallies', options: { bufferSize: 50 } },
    ])
  })

  it('refuses to run on a document store without transactions, before joining the group', async () => {
    const joined: unknown[] = []
    const documents = Object.assign(new InMemoryDocumentStore(), { capabilities: { transactions: false } })
    const { worker } = persistentProjectionWorker(clientWith(new ClientSubscription(), joined), { projection: projection(), documents })

    await expect(worker.run()).rejects.toBeInstanceOf(TransactionsRequiredError)
    expect(joined).toEqual([])
  })

  it('acknowledges a batch in one message after committing it, and parks a poison event with its error', async () => {
    const subscription = new ClientSubscription()
    // Commits go to the same log as what the worker sends the server, to show their order.
    const documents = new (class extends InMemoryDocumentStore {
      override async commit(request: CommitRequest) {
        const result = await super.commit(request)
        if (request.writes.some((w) => w.collection === physicalCollection('tallies', 1))) subscription.sent.push({ commit: request.writes.length })
        return result
      }
    })()
    const { worker } = persistentProjectionWorker(clientWith(subscription), {
      projection: projection(new Set(['S-2@0'])),
      documents,
      maxAttempts: 2,
      maxBatchWaitMs: 20,
      retry: { initialDelayMs: 1, maxDelayMs: 1 },
    })
    const running = worker.run()
    await new Promise((r) => setImmediate(r))

    for (const e of [delivered('S-1', 0n), delivered('S-2', 0n), delivered('$stats', 0n, '$statsCollected'), delivered('S-1', 1n)]) subscription.emit('data', e)
    await waitFor(() => subscription.sent.length === 4)
    await worker.stop()
    await running

    expect(subscription.sent[0]).toEqual({ ack: ['$stats@0'] })
    // The commit (one document, two stream markers) comes first: a worker that dies before acknowledging has its events sent again, and skips them.
    expect(subscription.sent[1]).toEqual({ commit: 3 })
    expect(subscription.sent.slice(2)).toEqual(
      expect.arrayContaining([{ ack: ['S-1@0', 'S-1@1'] }, { nack: { action: PARK, reason: expect.any(String), ids: ['S-2@0'] } }]),
    )
    expect(await documents.get(physicalCollection('tallies', 1), 'S-1')).toEqual({ _id: 'S-1', n: 2 })
    const reason = subscription.sent.find((s) => s.nack)!.nack!.reason
    expect(decodeParkReason(reason)).toMatchObject({ error: { message: 'cannot count S-2@0' }, attempts: 2 })
    expect(worker.status).toMatchObject({ eventsRead: 3, eventsApplied: 2, parked: 1 })
    expect(subscription.unsubscribed).toBe(true)
  })

  it('skips an event delivered again after its batch was committed', async () => {
    const subscription = new ClientSubscription()
    const documents = new InMemoryDocumentStore()
    const { worker } = persistentProjectionWorker(clientWith(subscription), { projection: projection(), documents, maxBatchWaitMs: 1 })
    const running = worker.run()
    await new Promise((r) => setImmediate(r))
    const first = delivered('S-1', 0n)

    subscription.emit('data', first)
    await waitFor(() => subscription.sent.length === 1)
    subscription.emit('data', { ...first, retryCount: 1 })
    await waitFor(() => subscription.sent.length === 2)
    await worker.stop()
    await running

    expect(subscription.sent).toEqual([{ ack: ['S-1@0'] }, { ack: ['S-1@0'] }])
    expect(await documents.get(physicalCollection('tallies', 1), 'S-1')).toEqual({ _id: 'S-1', n: 1 })
    expect(worker.status).toMatchObject({ eventsRead: 2, eventsApplied: 1 })
  })

  it('fails the run with SubscriptionDroppedError when the server ends the subscription', async () => {
    const subscription = new ClientSubscription()
    const { worker } = persistentProjectionWorker(clientWith(subscription), { projection: projection(), documents: new InMemoryDocumentStore() })
    const running = worker.run()
    await new Promise((r) => setImmediate(r))

    subscription.emit('error', new Error('connection reset'))

    await expect(running).rejects.toBeInstanceOf(SubscriptionDroppedError)
  })

  it('encodes the positions of delivered events as the catch-up subscription does', async () => {
    const subscription = new ClientSubscription()
    const { group } = persistentProjectionWorker(clientWith(subscription), { projection: projection(), documents: new InMemoryDocumentStore() })
    const feed = group.subscribe()
    const e = delivered('S-9', 4n)

    subscription.emit('data', e)
    const { value } = await feed[Symbol.asyncIterator]().next()

    expect(value?.event).toMatchObject({ streamId: 'S-9', revision: 4n, position: encodePosition(e.event!.position!) })
    await feed.close()
  })
})
