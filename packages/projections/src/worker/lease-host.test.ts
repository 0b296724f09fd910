import { InMemoryDocumentStore } from '../documents/in-memory-document-store'
import { LeaseHost, type LeaseChange, type LeasedRun } from './lease-host'
import { Leases } from './leases'

/** A worker that runs until it is stopped, or until the test makes it fail. */
class FakeWorker {
  private end!: () => void
  private failWith!: (error: unknown) => void
  readonly done = new Promise<void>((resolve, reject) => {
    this.end = resolve
    this.failWith = reject
  })
  stop(): void {
    this.end()
  }
  fail(error: unknown): void {
    this.failWith(error)
  }
}

/** Resolves with the first lease change that `match` accepts. */
const nextChange = (changes: ((change: LeaseChange) => void)[], match: (change: LeaseChange) => boolean): Promise<LeaseChange> =>
  new Promise((resolve) => changes.push((change) => match(change) && resolve(change)))

const hostOn = (documents: InMemoryDocumentStore, options: { keys: string[]; stopOnFailure?: boolean; workers?: Map<string, FakeWorker[]> }) => {
  const listeners: ((change: LeaseChange) => void)[] = []
  const workers = options.workers ?? new Map<string, FakeWorker[]>()
  const host = new LeaseHost<FakeWorker>({
    documents,
    keys: options.keys,
    heartbeat: { collection: '_test_hosts' },
    owner: 'h1',
    leaseTtlMs: 200,
    tickMs: 20,
    stopOnFailure: options.stopOnFailure ?? false,
    start: (key): LeasedRun<FakeWorker> => {
      const worker = new FakeWorker()
      workers.set(key, [...(workers.get(key) ?? []), worker])
      return { worker, done: worker.done }
    },
    onLease: (change) => listeners.forEach((l) => l(change)),
    onError: () => undefined,
  })
  return { host, listeners, workers }
}

describe('LeaseHost', () => {
  it('takes no partition and throws nothing when started after it was stopped', async () => {
    const documents = new InMemoryDocumentStore()
    const { host } = hostOn(documents, { keys: ['p#0/1'] })
    await host.stop()
    expect(() => host.start()).not.toThrow()
    expect(host.owned).toEqual([])
    expect(await documents.count('_test_hosts')).toBe(0)
  })

  it('stops, with the failure, when a worker fails and stopOnFailure is set, and gives that lease back at once', async () => {
    const documents = new InMemoryDocumentStore()
    const { host, listeners, workers } = hostOn(documents, { keys: ['p#0/2', 'p#1/2'], stopOnFailure: true })
    const both = Promise.all(['p#0/2', 'p#1/2'].map((key) => nextChange(listeners, (c) => c.kind === 'acquired' && c.key === key)))
    host.start()
    await both
    const failure = new Error('broker refused the batch')
    workers.get('p#0/2')![0]!.fail(failure)
    await host.stopRequested
    await host.stop()
    expect(host.failure).toBe(failure)
    expect(host.owned).toEqual([])
    // Another process takes both partitions without waiting for the lease time.
    const other = new Leases(documents, 'h2', 200)
    expect(await other.tryAcquire('p#0/2')).toBeDefined()
    expect(await other.tryAcquire('p#1/2')).toBeDefined()
  })

  it('reports a failed worker’s partition lost and runs it again at a later tick, without stopOnFailure', async () => {
    const documents = new InMemoryDocumentStore()
    const { host, listeners, workers } = hostOn(documents, { keys: ['p#0/1'] })
    const acquired = nextChange(listeners, (c) => c.kind === 'acquired')
    host.start()
    await acquired
    const lost = nextChange(listeners, (c) => c.kind === 'lost')
    const again = nextChange(listeners, (c) => c.kind === 'acquired')
    workers.get('p#0/1')![0]!.fail(new Error('handler crashed'))
    expect(await lost).toMatchObject({ kind: 'lost', key: 'p#0/1', owner: 'h1' })
    await again
    expect(workers.get('p#0/1')).toHaveLength(2)
    expect(host.owned).toEqual(['p#0/1'])
    await host.stop()
    expect(host.failure).toBeUndefined()
  })

  it('forgets hosts not seen for ten lease times, and leaves the hosts when stopped', async () => {
    const documents = new InMemoryDocumentStore()
    await documents.commit({
      writes: [{ kind: 'put', collection: '_test_hosts', doc: { _id: 'ghost', seenAt: Date.now() - 11 * 200 }, meta: { revision: 1, positions: {} }, expectedRevision: 0 }],
    })
    const { host, listeners } = hostOn(documents, { keys: ['p#0/1'] })
    // The first tick runs after the first heartbeat, which removes the ghost.
    const acquired = nextChange(listeners, (c) => c.kind === 'acquired')
    host.start()
    await acquired
    expect((await documents.find('_test_hosts', {})).map((d) => d._id)).toEqual(['h1'])
    await host.stop()
    expect(await documents.count('_test_hosts')).toBe(0)
  })
})
