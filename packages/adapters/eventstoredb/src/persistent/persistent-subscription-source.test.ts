import { EventEmitter } from 'node:events'
import { describe, expect, it } from '@jest/globals'
import {
  type EventStoreDBClient,
  type PersistentSubscriptionToAllResolvedEvent,
  type PersistentSubscriptionToAllSettings,
  type RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client'
import { encodePosition } from '../mapping/position'
import { clientShapes, type ClientShape } from '../test-support/client-shapes'
import { parkedStreamOf } from './parked-messages'
import { SubscriptionInfo } from '@eventstore/db-client/generated/persistent_pb'
import { mapPersistentSubscriptionToAllInfo } from '@eventstore/db-client/dist/persistentSubscription/utils/mapPersistentSubscriptionInfo'
import { PersistentSubscriptionSource } from './persistent-subscription-source'

/** The client's error for a create of a group that exists, built by the client from the server's gRPC error. */
const groupExists = (shape: ClientShape, group: string): unknown =>
  shape.errors.convertToCommandError(
    Object.assign(new Error('exists'), {
      code: 6,
      details: '',
      metadata: { getMap: () => ({ exception: 'persistent-subscription-exists', 'stream-name': '$all', 'group-name': group }) },
    }),
  )

/** A group's settings as the server reports them (`GetInfo`), mapped by the client itself. */
const reported = (s: PersistentSubscriptionToAllSettings) =>
  mapPersistentSubscriptionToAllInfo(
    new SubscriptionInfo()
      .setEventSource('$all')
      .setGroupName('g')
      .setStatus('Live')
      .setStartFrom('C:-1/P:-1')
      .setResolveLinkTos(s.resolveLinkTos)
      .setExtraStatistics(s.extraStatistics)
      .setMessageTimeoutMilliseconds(s.messageTimeout)
      .setMaxRetryCount(s.maxRetryCount)
      .setCheckPointAfterMilliseconds(s.checkPointAfter)
      .setMinCheckPointCount(s.checkPointLowerBound)
      .setMaxCheckPointCount(s.checkPointUpperBound)
      .setMaxSubscriberCount(typeof s.maxSubscriberCount === 'number' ? s.maxSubscriberCount : 0)
      .setLiveBufferSize(s.liveBufferSize)
      .setReadBatchSize(s.readBatchSize)
      .setBufferSize(s.historyBufferSize)
      .setNamedConsumerStrategy(s.consumerStrategyName)
      .setTotalItems('0')
      .setCountSinceLastMeasurement('0')
      .setLiveBufferCount('0')
      .setParkedMessageCount('0'),
  )

/** A client whose group already exists with `existing` settings; it records the management calls made. */
const clientWithGroup = (shape: ClientShape, existing: PersistentSubscriptionToAllSettings) => {
  const calls: string[] = []
  const client = shape.client({
    createPersistentSubscriptionToAll: async (group: string) => {
      calls.push('create')
      throw groupExists(shape, group)
    },
    getPersistentSubscriptionToAllInfo: async () => {
      calls.push('info')
      return reported(existing)
    },
    updatePersistentSubscriptionToAll: async () => void calls.push('update'),
  })
  return { client, calls }
}

describe.each(clientShapes)('PersistentSubscriptionSource.ensure through the $name', (shape) => {
  it('leaves an existing group with the same settings alone, so the workers in it stay connected', async () => {
    const options = { group: 'g', startFrom: 'end' as const }
    const { client, calls } = clientWithGroup(shape, new PersistentSubscriptionSource({} as EventStoreDBClient, options).settings())

    await expect(new PersistentSubscriptionSource(client, options).ensure()).resolves.toBe('unchanged')
    expect(calls).toEqual(['create', 'info'])
  })

  it('updates an existing group whose settings differ', async () => {
    const { client, calls } = clientWithGroup(shape, new PersistentSubscriptionSource({} as EventStoreDBClient, { group: 'g' }).settings())

    await expect(new PersistentSubscriptionSource(client, { group: 'g', settings: { messageTimeout: 5000 } }).ensure()).resolves.toBe('updated')
    expect(calls).toEqual(['create', 'info', 'update'])
  })

  it('creates a missing group', async () => {
    const calls: string[] = []
    const client = shape.client({ createPersistentSubscriptionToAll: async () => void calls.push('create') })

    await expect(new PersistentSubscriptionSource(client, { group: 'g' }).ensure()).resolves.toBe('created')
    expect(calls).toEqual(['create'])
  })

  it('updates on an explicit call whatever the group has', async () => {
    const source = new PersistentSubscriptionSource({} as EventStoreDBClient, { group: 'g' })
    const { client, calls } = clientWithGroup(shape, source.settings())

    await new PersistentSubscriptionSource(client, { group: 'g' }).updateSettings()
    expect(calls).toEqual(['update'])
  })
})

describe.each(clientShapes)('PersistentSubscriptionSource deliveries through the $name', (shape) => {
  const original: EsdbRecordedEvent & { position: { commit: bigint; prepare: bigint } } = {
    streamId: 'Account-1',
    id: '0f8fad5b-d9cb-469f-a165-70867728950e',
    isJson: true,
    revision: 3n,
    type: 'Deposited',
    created: new Date('2024-06-01T09:00:00.000Z'),
    data: { amount: 5 },
    metadata: { eventId: 'e-3', occurredAt: '2024-06-01T09:00:00.000Z', schemaVersion: 1 },
    position: { commit: 900n, prepare: 900n },
  }
  const inParkedStream = { commit: 52_000n, prepare: 52_000n }
  /**
   * A parked message replayed to the group: the server sends the event
   * resolved from the parked stream's link, and both records carry the
   * link's position (the position of the resolved event's original record).
   */
  const replayed: PersistentSubscriptionToAllResolvedEvent = {
    event: { ...original, position: inParkedStream },
    link: {
      streamId: parkedStreamOf('g'),
      id: '11111111-2222-4333-8444-555555555555',
      isJson: false,
      revision: 0n,
      type: '$>',
      created: new Date('2024-06-01T10:00:00.000Z'),
      data: new TextEncoder().encode('3@Account-1'),
      metadata: {},
      position: inParkedStream,
    },
    commitPosition: inParkedStream.commit,
    retryCount: 0,
  }

  const deliveryOf = async (sent: PersistentSubscriptionToAllResolvedEvent) => {
    const subscription = Object.assign(new EventEmitter(), { ack: async () => undefined, nack: async () => undefined, unsubscribe: async () => undefined })
    const client = shape.client({
      subscribeToPersistentSubscriptionToAll: () => subscription,
      readStream: (streamId: string, { fromRevision }: { fromRevision: bigint }) =>
        shape.read(streamId === original.streamId && fromRevision === original.revision ? [{ event: original }] : []),
    })
    const feed = new PersistentSubscriptionSource(client, { group: 'g' }).subscribe()
    const iterator = feed[Symbol.asyncIterator]()
    const next = iterator.next()
    subscription.emit('data', sent)
    const { value } = await next
    await feed.close()
    return value!
  }

  it('gives a replayed parked event its $all position, not the position of its link in the parked stream', async () => {
    const delivery = await deliveryOf(replayed)

    expect(delivery.event).toMatchObject({ streamId: 'Account-1', revision: 3n, position: encodePosition(original.position!) })
  })

  it('gives an event delivered from $all the position it came with', async () => {
    const delivery = await deliveryOf({ event: original, commitPosition: 900n, retryCount: 0 })

    expect(delivery.event.position).toBe(encodePosition(original.position!))
  })
})
