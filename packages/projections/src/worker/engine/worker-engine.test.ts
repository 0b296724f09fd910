import { describe, expect, it } from '@jest/globals'
import { ConcurrencyError } from '@eventfold/core'
import { DocumentConflictError, DocumentRejectedError } from '../../errors/errors'
import type { BatchAttempt, EngineSink, EngineSource, OpenBatch } from './ports'
import { WorkerEngine } from './worker-engine'

/** An item: its key, and the document it writes. */
interface Item {
  readonly key: bigint
  readonly doc: string
}

const items = (n: number): Item[] => Array.from({ length: n }, (_, i) => ({ key: BigInt(i + 1), doc: `d${i + 1}` }))

/** The items of an array, in reads of at most the size asked; finished once all were read. */
class ArraySource implements EngineSource<Item> {
  private next = 0
  constructor(private readonly all: readonly Item[]) {}
  async read(maxCount: number): Promise<readonly Item[]> {
    const out = this.all.slice(this.next, this.next + maxCount)
    this.next += out.length
    return out
  }
  get finished(): boolean {
    return this.next >= this.all.length
  }
}

class Attempt implements BatchAttempt<Item> {
  readonly written = new Map<string, bigint>()
  readonly parked: bigint[] = []
  constructor(private readonly failing: (item: Item) => boolean) {}
  accepts(): boolean {
    return true
  }
  apply(item: Item): void {
    if (this.failing(item)) throw new Error(`cannot apply ${item.key}`)
    this.written.set(item.doc, item.key)
  }
  park(item: Item): void {
    this.parked.push(item.key)
  }
  async settle(): Promise<void> {}
  lastWriterOf(_collection: string, id: string): bigint | undefined {
    return this.written.get(id)
  }
}

/** Commits into `committed`, after failing each commit with the next of `commitErrors(attempt)` while it gives one. */
class ArraySink implements EngineSink<Item, Attempt> {
  readonly atomic = true
  readonly commits: { docs: string[]; parked: bigint[]; last: bigint }[] = []
  attempts = 0
  constructor(
    private readonly commitError: (attempt: Attempt) => unknown = () => undefined,
    private readonly failing: (item: Item) => boolean = () => false,
  ) {}
  begin(): Attempt {
    this.attempts++
    return new Attempt(this.failing)
  }
  async commit(attempt: Attempt, batch: OpenBatch<Item>): Promise<{ writes: number; parked: number }> {
    const error = this.commitError(attempt)
    if (error) throw error
    this.commits.push({ docs: [...attempt.written.keys()], parked: attempt.parked, last: batch.last.key })
    return { writes: attempt.written.size, parked: attempt.parked.length }
  }
}

const engine = (onError: (error: unknown) => void = () => {}) =>
  new WorkerEngine<Item>({ keyOf: (i) => i.key, batchSize: 10, maxAttempts: 3, retry: { initialDelayMs: 1, maxDelayMs: 2 }, onError })

describe('WorkerEngine', () => {
  it('redoes a batch from a fresh attempt when its commit meets an append to the same stream (a ConcurrencyError)', async () => {
    let refusals = 1
    const sink = new ArraySink(() => (refusals-- > 0 ? new ConcurrencyError('Ledger-1', 3n, 4n) : undefined))
    const e = engine(() => {
      throw new Error('a concurrency conflict is not an outage')
    })

    await e.run(new ArraySource(items(5)), sink)

    expect(sink.attempts).toBe(2)
    expect(sink.commits).toEqual([{ docs: ['d1', 'd2', 'd3', 'd4', 'd5'], parked: [], last: 5n }])
    expect(e.counters).toMatchObject({ conflicts: 1, retries: 0, eventsApplied: 5 })
  })

  it('commits what the source gives in batches, and counts it', async () => {
    const sink = new ArraySink()
    const e = engine()

    await e.run(new ArraySource(items(25)), sink)

    expect(sink.commits.map((c) => c.last)).toEqual([10n, 20n, 25n])
    expect(e.counters).toMatchObject({ eventsRead: 25, eventsApplied: 25, writes: 25, batches: 3, parked: 0, retries: 0, conflicts: 0 })
  })

  it('parks an item whose handler keeps failing after its attempts, and commits the others', async () => {
    const sink = new ArraySink(undefined, (item) => item.key === 4n)
    const e = engine()

    await e.run(new ArraySource(items(6)), sink)

    expect(sink.commits).toEqual([{ docs: ['d1', 'd2', 'd3', 'd5', 'd6'], parked: [4n], last: 6n }])
    expect(e.counters).toMatchObject({ eventsApplied: 5, parked: 1, retries: 2 })
  })

  it('parks the item that wrote a document the store refused for its content, and commits the others', async () => {
    const sink = new ArraySink((attempt) => (attempt.written.has('d2') ? new DocumentRejectedError('c', 'd2', 'a key it cannot hold') : undefined))
    const outages: unknown[] = []
    const e = engine((error) => outages.push(error))

    await e.run(new ArraySource(items(3)), sink)

    expect(sink.commits).toEqual([{ docs: ['d1', 'd3'], parked: [2n], last: 3n }])
    expect(outages).toEqual([])
  })

  it('retries an outage, and never parks an item for it', async () => {
    let down = 4
    const sink = new ArraySink(() => (down-- > 0 ? new Error('connection refused') : undefined))
    const outages: unknown[] = []
    const e = engine((error) => outages.push(error))

    await e.run(new ArraySource(items(3)), sink)

    expect(outages).toHaveLength(4)
    expect(sink.commits).toEqual([{ docs: ['d1', 'd2', 'd3'], parked: [], last: 3n }])
    expect(e.counters).toMatchObject({ parked: 0, retries: 4 })
  })

  it('redoes a batch from a fresh attempt when its commit met another worker’s write', async () => {
    let conflicts = 2
    const sink = new ArraySink(() => (conflicts-- > 0 ? new DocumentConflictError('c', 'd1', 1, 2) : undefined))
    const e = engine()

    await e.run(new ArraySource(items(3)), sink)

    expect(sink.attempts).toBe(3)
    expect(sink.commits).toHaveLength(1)
    expect(e.counters).toMatchObject({ conflicts: 2, parked: 0 })
  })

  it('keeps trying a store that fails until stopped, then ends the run with its error', async () => {
    const down = new Error('connection refused')
    const e = engine(() => e.stop())
    const sink = new ArraySink(() => down)

    await expect(e.run(new ArraySource(items(2)), sink)).rejects.toBe(down)
    expect(e.counters).toMatchObject({ batches: 0, parked: 0 })
  })

  it('stops after committing the open batch, or, told to drop it, without committing it', async () => {
    for (const drop of [false, true]) {
      const e = engine()
      const sink = new ArraySink(undefined, (item) => {
        if (item.key === 2n) e.stop({ drop })
        return false
      })

      await e.run(new ArraySource(items(3)), sink)

      expect(sink.commits.map((c) => c.last)).toEqual(drop ? [] : [3n])
    }
  })

  it('gives up the retries of a batch it was told to drop on stop: no further attempt, nothing parked or committed', async () => {
    let tries = 0
    const e = new WorkerEngine<Item>({ keyOf: (i) => i.key, maxAttempts: 3, retry: { initialDelayMs: 600_000, maxDelayMs: 600_000 } })
    const sink = new ArraySink(undefined, () => {
      if (++tries === 1) e.stop({ drop: true })
      return true
    })

    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const before = timers()
    await e.run(new ArraySource(items(1)), sink)

    expect(tries).toBe(1)
    expect(sink.commits).toEqual([])
    expect(e.counters).toMatchObject({ parked: 0, batches: 0 })
    // The ten-minute backoff is cleared with the stop: a stopped worker does not keep its process alive.
    expect(timers()).toBe(before)
  })

  it('does not commit when the generation written to is no longer active', async () => {
    const states = { get: async () => ({ generation: 2 }) } as never
    const sink = new ArraySink()
    const e = engine()

    const run = e.run(new ArraySource(items(2)), sink, { states, projection: 'p', generation: 1, switched: (active) => new Error(`now ${active}`) })

    await expect(run).rejects.toThrow('now 2')
    expect(sink.commits).toEqual([])
  })
})
