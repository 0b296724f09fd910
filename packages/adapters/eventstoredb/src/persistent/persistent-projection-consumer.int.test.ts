import { expect, it } from '@jest/globals'
import type { RecordedEvent } from '@eventfold/core'
import type { DeadLetter } from '@eventfold/projections'
import { describeEventStoreDB, waitFor, withPersistentGroup } from '../testing/server'
import { PersistentProjectionConsumer } from './persistent-projection-consumer'

describeEventStoreDB('PersistentProjectionConsumer on a server', (url) => {
  const server = withPersistentGroup(url, 'group')

  it('hands the events of each stream to the group in order, and parks an event that keeps failing', async () => {
    const { client, store, tag, group } = server
    const handled: RecordedEvent[] = []
    const head = await store.headPosition()
    const consumer = new PersistentProjectionConsumer(client, {
      group,
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
    expect(await consumer.ensure()).toBe('unchanged')
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
