import { expect, it } from '@jest/globals'
import type { RecordedEvent } from '@eventfold/core'
import type { DeadLetter } from '@eventfold/projections'
import { describeEventStoreDB, waitFor, withPersistentGroup } from '../testing/server'
import { PersistentProjectionConsumer } from './persistent-projection-consumer'

describeEventStoreDB('PersistentSubscriptionSource on a server', (url) => {
  const server = withPersistentGroup(url, 'source')

  it('replays a parked event with its own $all position and reads its error back', async () => {
    const { client, store, tag, group } = server
    let healed = false
    const handled: RecordedEvent[] = []
    const head = await store.headPosition()
    const consumer = new PersistentProjectionConsumer(client, {
      group,
      filter: { streamPrefixes: [tag] },
      ...(head !== undefined ? { startFrom: head } : {}),
      maxAttempts: 1,
      handle: (e) => {
        if (!healed) throw new RangeError(`not yet: ${e.streamId}`)
        handled.push(e)
      },
    })
    await consumer.ensure()
    const running = consumer.run()
    const { position } = await store.appendToStream(`${tag}Account-1`, [{ type: 'Deposited', data: {} }])
    await waitFor(() => consumer.status.parked === 1, 'the event to be parked')
    const letters: DeadLetter[] = []
    await waitFor(async () => {
      letters.length = 0
      for await (const d of consumer.deadLetters()) letters.push(d)
      return letters.length === 1
    }, 'the parked message')
    expect(letters[0]).toMatchObject({ error: { name: 'RangeError', message: `not yet: ${tag}Account-1` }, attempts: 1 })

    healed = true
    await consumer.replayParked()
    await waitFor(() => handled.length === 1, 'the replayed event')
    await consumer.stop()
    await running

    expect(handled[0]).toMatchObject({ streamId: `${tag}Account-1`, revision: 0n, position })
  })
})
