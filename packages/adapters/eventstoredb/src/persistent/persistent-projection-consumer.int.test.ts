import { afterEach, beforeEach, expect, it } from '@jest/globals'
import { EventStoreDBClient } from '@eventstore/db-client'
import type { RecordedEvent } from '@eventfold/core'
import type { DeadLetter } from '@eventfold/projections'
import { EventStoreDBEventStore } from '../store/eventstoredb-event-store'
import { describeEventStoreDB, uniqueTag } from '../testing/server'
import { PersistentProjectionConsumer } from './persistent-projection-consumer'

const waitFor = async (condition: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> => {
  const deadline = Date.now() + ms
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describeEventStoreDB('PersistentProjectionConsumer on a server', (url) => {
  let client: EventStoreDBClient
  let store: EventStoreDBEventStore
  let tag: string
  beforeEach(() => {
    client = EventStoreDBClient.connectionString(url)
    store = new EventStoreDBEventStore(client)
    tag = uniqueTag()
  })
  afterEach(async () => {
    await store.close()
    await client.deletePersistentSubscriptionToAll(`${tag}-group`).catch(() => undefined)
    await client.dispose()
  })

  it('hands the events of each stream to the group in order, and parks an event that keeps failing', async () => {
    const handled: RecordedEvent[] = []
    const head = await store.headPosition()
    const consumer = new PersistentProjectionConsumer(client, {
      group: `${tag}-group`,
      filter: { streamPrefixes: [tag] },
      ...(head !== undefined ? { startFrom: head } : {}),
      maxAttempts: 2,
      retry: { initialDelayMs: 1, maxDelayMs: 1 },
      handle: (e) => {
        if ((e.data as { poison?: boolean }).poison) throw new Error(`cannot apply ${e.streamId}@${e.revision}`)
        handled.push(e)
      },
    })
    expect(await consumer.ensure()).toBe('created')
    expect(await consumer.ensure()).toBe('updated')
    const running = consumer.run()

    await store.appendToStream(`${tag}Account-1`, [1, 2, 3].map((n) => ({ type: 'Deposited', data: { n } })))
    await store.appendToStream(`${tag}Account-2`, [{ type: 'Deposited', data: { poison: true } }])
    await waitFor(() => handled.length === 3 && consumer.status.parked === 1, 'three handled and one parked')
    await consumer.stop()
    await running

    expect(handled.map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3])
    const letters: DeadLetter[] = []
    await waitFor(async () => {
      letters.length = 0
      for await (const d of consumer.deadLetters()) letters.push(d)
      return letters.length === 1
    }, 'the parked message')
    expect(letters[0]).toMatchObject({
      projection: `${tag}-group`,
      partition: `persistent:${tag}-group`,
      event: { streamId: `${tag}Account-2`, revision: '0', data: { poison: true } },
      error: { name: 'Error', message: `cannot apply ${tag}Account-2@0` },
      attempts: 2,
    })
  })
})
