import { expect, it } from '@jest/globals'
import type { RecordedEvent } from '@eventfold/core'
import { defineProjection, InMemoryDocumentStore, type DeadLetter } from '@eventfold/projections'
import { physicalCollection } from '@eventfold/projections/spi'
import { describeEventStoreDB, waitFor, withPersistentGroup } from '../testing/server'
import { persistentProjectionWorker } from './persistent-projection-worker'

describeEventStoreDB('persistentProjectionWorker on a server', (url) => {
  const server = withPersistentGroup(url, 'balances')

  it('shares one projection between two workers of one group, applying each event once and parking a poison event', async () => {
    const { client, store, tag, group } = server
    // An event type of this test only: the group's server-side filter keeps other tests' events out.
    const type = `${tag}Moved`
    const streams = 20
    const perStream = 10
    const projection = defineProjection({
      name: group,
      collections: ['streams'],
      handlers: {
        [type]: (e: RecordedEvent<{ poison?: boolean }>, view) => {
          if (e.data.poison) throw new Error(`cannot apply ${e.streamId}@${e.revision}`)
          view.upsert(e.streamId, { $push: { revisions: Number(e.revision) } })
        },
      },
    })
    const documents = new InMemoryDocumentStore()
    const head = await store.headPosition()
    const workers = [1, 2].map(() =>
      persistentProjectionWorker(client, {
        projection,
        documents,
        ...(head !== undefined ? { startFrom: head } : {}),
        batchSize: 20,
        maxBatchWaitMs: 10,
        maxAttempts: 2,
        retry: { initialDelayMs: 1, maxDelayMs: 1 },
      }),
    )
    expect(await workers[0]!.group.ensure()).toBe('created')
    const running = workers.map(({ worker }) => worker.run())
    await waitFor(async () => (await client.getPersistentSubscriptionToAllInfo(group)).connections.length === 2, 'both workers to join')
    // A worker that starts later ensures the group too: with the same settings, nobody is disconnected.
    expect(await workers[1]!.group.ensure()).toBe('unchanged')
    expect((await client.getPersistentSubscriptionToAllInfo(group)).connections).toHaveLength(2)

    for (let r = 0; r < perStream; r++) {
      for (let s = 0; s < streams; s++) {
        await store.appendToStream(`${tag}Acc-${s}`, [{ type, data: { poison: s === 3 && r === 4 } }])
      }
    }
    const applied = () => workers.reduce((sum, { worker }) => sum + worker.status.eventsApplied, 0)
    const parked = () => workers.reduce((sum, { worker }) => sum + worker.status.parked, 0)
    await waitFor(() => applied() === streams * perStream - 1 && parked() === 1, 'every event applied or parked')
    await Promise.all(workers.map(({ worker }) => worker.stop()))
    await Promise.all(running)

    // Pinned hashes 20 streams over both workers.
    for (const { worker } of workers) expect(worker.status.eventsApplied).toBeGreaterThan(0)
    const model = await documents.find(physicalCollection('streams', 1), {}, { sort: { _id: 1 } })
    expect(model).toHaveLength(streams)
    for (const doc of model) {
      const all = Array.from({ length: perStream }, (_, r) => r)
      expect(doc.revisions).toEqual(doc._id === `${tag}Acc-3` ? all.filter((r) => r !== 4) : all)
    }
    const letters: DeadLetter[] = []
    await waitFor(async () => {
      letters.length = 0
      for await (const d of workers[1]!.worker.deadLetters()) letters.push(d)
      return letters.length === 1
    }, 'the parked message')
    expect(letters[0]).toMatchObject({
      projection: group,
      event: { streamId: `${tag}Acc-3`, revision: '4' },
      error: { message: `cannot apply ${tag}Acc-3@4` },
      attempts: 2,
    })
  })
})
