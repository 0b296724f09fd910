import { describe, expect, it } from '@jest/globals'
import { convertToCommandError, type EventStoreDBClient, type PersistentSubscriptionToAllSettings } from '@eventstore/db-client'
import { SubscriptionInfo } from '@eventstore/db-client/generated/persistent_pb'
import { mapPersistentSubscriptionToAllInfo } from '@eventstore/db-client/dist/persistentSubscription/utils/mapPersistentSubscriptionInfo'
import { PersistentSubscriptionSource } from './persistent-subscription-source'

/** The client's error for a create of a group that exists, built by the client from the server's gRPC error. */
const groupExists = (group: string): unknown =>
  convertToCommandError(
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
const clientWithGroup = (existing: PersistentSubscriptionToAllSettings) => {
  const calls: string[] = []
  const client = {
    createPersistentSubscriptionToAll: async (group: string) => {
      calls.push('create')
      throw groupExists(group)
    },
    getPersistentSubscriptionToAllInfo: async () => {
      calls.push('info')
      return reported(existing)
    },
    updatePersistentSubscriptionToAll: async () => void calls.push('update'),
  } as unknown as EventStoreDBClient
  return { client, calls }
}

describe('PersistentSubscriptionSource.ensure', () => {
  it('leaves an existing group with the same settings alone, so the workers in it stay connected', async () => {
    const options = { group: 'g', startFrom: 'end' as const }
    const { client, calls } = clientWithGroup(new PersistentSubscriptionSource({} as EventStoreDBClient, options).settings())

    await expect(new PersistentSubscriptionSource(client, options).ensure()).resolves.toBe('unchanged')
    expect(calls).toEqual(['create', 'info'])
  })

  it('updates an existing group whose settings differ', async () => {
    const { client, calls } = clientWithGroup(new PersistentSubscriptionSource({} as EventStoreDBClient, { group: 'g' }).settings())

    await expect(new PersistentSubscriptionSource(client, { group: 'g', settings: { messageTimeout: 5000 } }).ensure()).resolves.toBe('updated')
    expect(calls).toEqual(['create', 'info', 'update'])
  })

  it('creates a missing group', async () => {
    const calls: string[] = []
    const client = { createPersistentSubscriptionToAll: async () => void calls.push('create') } as unknown as EventStoreDBClient

    await expect(new PersistentSubscriptionSource(client, { group: 'g' }).ensure()).resolves.toBe('created')
    expect(calls).toEqual(['create'])
  })

  it('updates on an explicit call whatever the group has', async () => {
    const source = new PersistentSubscriptionSource({} as EventStoreDBClient, { group: 'g' })
    const { client, calls } = clientWithGroup(source.settings())

    await new PersistentSubscriptionSource(client, { group: 'g' }).updateSettings()
    expect(calls).toEqual(['update'])
  })
})
