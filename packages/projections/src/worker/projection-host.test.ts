import { InMemoryEventStore, type RecordedEvent } from '@eventfold/core'
import { InMemoryDocumentStore } from '../documents/in-memory-document-store'
import type { Documents } from '../documents/documents'
import { On, Projection } from '../projection/decorators'
import { projectionFromInstance } from '../projection/projection-definition'
import { physicalCollection } from '../generations/projection-state'
import { rebuildProjection } from '../rebuild/rebuild-projection'
import { LeaseFence, LeaseLostError, Leases } from './leases'
import { ProjectionHost } from './projection-host'

@Projection('test-tally', { collection: 'tally' })
class Tally {
  @On('Counted') counted(e: RecordedEvent<{ n: number }>, view: Documents): void {
    view.upsert(e.streamId, { $inc: { total: e.data.n, applied: 1 } })
    view.upsert('all', { $inc: { total: e.data.n, applied: 1 } })
  }
}

const waitFor = async (cond: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('Leases', () => {
  it('gives a partition to one owner at a time and fences a lost owner out of commits', async () => {
    const store = new InMemoryDocumentStore()
    const a = new Leases(store, 'a', 50)
    const b = new Leases(store, 'b', 50)
    const now = Date.now()
    const held = await a.tryAcquire('p#0/1', now)
    expect(held).toBeDefined()
    expect(await b.tryAcquire('p#0/1', now + 49)).toBeUndefined()
    // Once its 50 ms have passed on b's clock, the lease is b's to take.
    expect(await b.tryAcquire('p#0/1', now + 51)).toBeDefined()
    const fence = new LeaseFence(a, held!)
    await expect(fence.commit((renewal) => store.commit({ writes: [renewal] }))).rejects.toBeInstanceOf(LeaseLostError)
    expect(fence.lost).toBe(true)
  })
})

describe('ProjectionHost', () => {
  it('spreads partitions over hosts, and survivors take over a dead host’s partitions', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    for (let i = 0; i < 400; i++) await eventStore.appendToStream(`S-${i % 37}`, [{ type: 'Counted', data: { n: i } }])
    const projection = projectionFromInstance(new Tally())
    const hosts = ['h1', 'h2', 'h3'].map(
      (owner) => new ProjectionHost({ eventStore, documents, projections: [projection], partitions: 8, owner, leaseTtlMs: 300, tickMs: 50, batchSize: 20 }),
    )
    hosts.forEach((h) => h.start())
    const dead = hosts[2]!
    const internals = (dead as unknown as { host: { stopped: boolean; timer: NodeJS.Timeout; running: Map<string, { worker: { stop(): Promise<void> } }> } }).host
    try {
      await waitFor(() => hosts.every((h) => h.owned.length >= 2) && hosts.reduce((n, h) => n + h.owned.length, 0) === 8)
      // h3 "dies": its timer and workers stop, its leases are neither renewed nor released.
      const orphaned = dead.owned
      internals.stopped = true
      clearTimeout(internals.timer)
      await Promise.all([...internals.running.values()].map((r) => r.worker.stop()))
      for (let i = 400; i < 600; i++) await eventStore.appendToStream(`S-${i % 37}`, [{ type: 'Counted', data: { n: i } }])
      await waitFor(async () => {
        const all = await documents.get(physicalCollection('tally', 1), 'all')
        return all?.applied === 600 && orphaned.every((k) => hosts[0]!.owned.includes(k) || hosts[1]!.owned.includes(k))
      })
    } finally {
      await Promise.all([hosts[0]!.stop(), hosts[1]!.stop()])
      internals.running.clear()
    }
    const clean = new InMemoryDocumentStore()
    await rebuildProjection({ eventStore, documents: clean, projection })
    expect(await documents.find(physicalCollection('tally', 1), {}, { sort: { _id: 1 } })).toEqual(
      await clean.find(physicalCollection('tally', 1), {}, { sort: { _id: 1 } }),
    )
  })
})
