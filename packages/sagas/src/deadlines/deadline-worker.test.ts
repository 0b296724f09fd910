import { InvalidDeadlineError } from '../errors'
import { TestClock } from '../testing'
import type { SettleOutcome } from './deadline-store'
import { Deadlines } from './deadlines'
import { DeadlineWorker, type DeadlineDelivery, type DeadlineWorkerOptions } from './deadline-worker'
import { InMemoryDeadlineStore } from './in-memory-deadline-store'

/** Resolves once `n` deadlines were marked fired or parked, as the worker's `onSettled` reports them. */
const settlements = () => {
  const settled: { id: string; scope: string; state: 'fired' | 'parked' }[] = []
  const waiters: { n: number; resolve: () => void }[] = []
  const onSettled: DeadlineWorkerOptions['onSettled'] = (d, state) => {
    settled.push({ id: d.id, scope: d.scope, state })
    for (const w of waiters) if (settled.length >= w.n) w.resolve()
  }
  return { settled, onSettled, count: (n: number) => new Promise<void>((resolve) => (settled.length >= n ? resolve() : waiters.push({ n, resolve }))) }
}

/** Collects deliveries and resolves when a given number has arrived. */
const recorder = () => {
  const delivered: DeadlineDelivery[] = []
  const waiters: { n: number; resolve: () => void }[] = []
  return {
    delivered,
    handler: (d: DeadlineDelivery) => {
      delivered.push(d)
      for (const w of waiters) if (delivered.length >= w.n) w.resolve()
    },
    count: (n: number) => new Promise<void>((resolve) => (delivered.length >= n ? resolve() : waiters.push({ n, resolve }))),
  }
}

describe('DeadlineWorker', () => {
  const T0 = Date.parse('2026-01-01T00:00:00Z')
  let clock: TestClock
  let store: InMemoryDeadlineStore
  const workers: DeadlineWorker[] = []
  const start = (w: DeadlineWorker) => (workers.push(w), void w.start(), w)

  beforeEach(() => {
    clock = new TestClock(T0)
    store = new InMemoryDeadlineStore()
  })
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()))
  })

  it('fires a deadline once the clock reaches it, and not one that is not due', async () => {
    const r = recorder()
    const worker = start(new DeadlineWorker(store, { clock, handlers: { reminder: r.handler } }))
    const deadlines = new Deadlines(store, { clock, onScheduled: () => worker.wake() })
    const soon = await deadlines.scope('Order-1').schedule('reminder', { after: 10_000 }, { orderId: '1' })
    await deadlines.scope('Order-2').schedule('reminder', { at: new Date(T0 + 60_000) }, { orderId: '2' })
    clock.advance(10_000)
    await r.count(1)
    expect(r.delivered).toEqual([{ id: soon.id, scope: 'Order-1', name: 'reminder', dueAt: T0 + 10_000, payload: { orderId: '1' } }])
    clock.advance(50_000)
    await r.count(2)
    await worker.stop()
    expect(r.delivered.map((d) => d.scope)).toEqual(['Order-1', 'Order-2'])
    expect((await store.list()).map((d) => d.state)).toEqual(['fired', 'fired'])
    expect(worker.counters).toMatchObject({ fired: 2, lost: 0, parked: 0 })
  })

  it('never fires a cancelled deadline', async () => {
    const r = recorder()
    const worker = start(new DeadlineWorker(store, { clock, handlers: { reminder: r.handler } }))
    const deadlines = new Deadlines(store, { clock })
    await deadlines.scope('Order-1').schedule('reminder', { after: 10_000 })
    await deadlines.scope('Order-2').schedule('reminder', { after: 10_000 })
    await expect(deadlines.scope('Order-1').cancel('reminder')).resolves.toBe(true)
    clock.advance(10_000)
    await r.count(1)
    clock.advance(3_600_000)
    await worker.stop()
    expect(r.delivered.map((d) => d.scope)).toEqual(['Order-2'])
    expect((await store.list()).map((d) => d.scope)).toEqual(['Order-2'])
  })

  it('retries a failing handler, then parks the deadline with its error', async () => {
    let calls = 0
    const s = settlements()
    const worker = new DeadlineWorker(store, {
      clock,
      onSettled: s.onSettled,
      maxAttempts: 2,
      retry: { initialDelayMs: 1, maxDelayMs: 1 },
      handlers: {
        reminder: () => {
          calls++
          throw new Error('target down')
        },
      },
    })
    await new Deadlines(store, { clock }).scope('Order-1').schedule('reminder', { at: T0 })
    start(worker)
    await s.count(1)
    expect(s.settled).toEqual([expect.objectContaining({ scope: 'Order-1', state: 'parked' })])
    expect(calls).toBe(2)
    expect(await store.list()).toEqual([expect.objectContaining({ state: 'parked', error: 'Error: target down' })])
  })

  it('does not deliver again a deadline delivered before a later one in its batch failed', async () => {
    const delivered: string[] = []
    let failures = 1
    const s = settlements()
    const worker = start(
      new DeadlineWorker(store, {
        clock,
        onSettled: s.onSettled,
        retry: { initialDelayMs: 1, maxDelayMs: 1 },
        handlers: {
          reminder: (d) => {
            if (d.scope === 'B' && failures-- > 0) throw new Error('once')
            delivered.push(d.scope)
          },
        },
      }),
    )
    const deadlines = new Deadlines(store, { clock })
    await deadlines.scope('A').schedule('reminder', { at: T0 + 1 })
    await deadlines.scope('B').schedule('reminder', { at: T0 + 2 })
    clock.advance(10)
    await s.count(2)
    await worker.stop()
    expect(delivered).toEqual(['A', 'B'])
    expect(worker.counters).toMatchObject({ fired: 2, lost: 0 })
  })

  it('shares the due deadlines between workers, each delivered once', async () => {
    const r = recorder()
    for (let w = 0; w < 3; w++) start(new DeadlineWorker(store, { clock, batchSize: 2, owner: `w${w}`, handlers: { reminder: r.handler } }))
    const deadlines = new Deadlines(store, { clock })
    for (let i = 0; i < 30; i++) await deadlines.scope(`Order-${i}`).schedule('reminder', { after: 1000 + i })
    clock.advance(5000)
    await r.count(30)
    await Promise.all(workers.splice(0).map((w) => w.stop()))
    expect(new Set(r.delivered.map((d) => d.id)).size).toBe(30)
    expect(r.delivered).toHaveLength(30)
  })

  it('neither delivers nor marks again when the store failed in the middle of marking a batch', async () => {
    const delivered: string[] = []
    let settles = 0
    const flaky = Object.assign(Object.create(store) as InMemoryDeadlineStore, {
      settle: async (claim: Parameters<InMemoryDeadlineStore['settle']>[0], outcome: SettleOutcome) => {
        if (++settles === 2) throw new Error('connection reset')
        return store.settle(claim, outcome)
      },
    })
    const s = settlements()
    const worker = start(
      new DeadlineWorker(flaky, {
        clock,
        onError: () => {},
        retry: { initialDelayMs: 1, maxDelayMs: 1 },
        onSettled: s.onSettled,
        handlers: { reminder: (d) => void delivered.push(d.scope) },
      }),
    )
    const deadlines = new Deadlines(store, { clock })
    await deadlines.scope('A').schedule('reminder', { at: T0 + 1 })
    await deadlines.scope('B').schedule('reminder', { at: T0 + 2 })
    clock.advance(10)
    await s.count(2)
    await worker.stop()
    expect(delivered).toEqual(['A', 'B'])
    expect(s.settled.map((d) => d.scope)).toEqual(['A', 'B'])
    expect(worker.counters).toMatchObject({ fired: 2, lost: 0, parked: 0 })
  })

  it('refuses a due time that is not a moment', async () => {
    await expect(new Deadlines(store, { clock }).scope('Order-1').schedule('reminder', { at: Number.NaN })).rejects.toBeInstanceOf(InvalidDeadlineError)
    await expect(new Deadlines(store, { clock }).scope('Order-1').schedule('reminder', { after: Number.POSITIVE_INFINITY })).rejects.toMatchObject({
      type: 'InvalidDeadlineError',
      scope: 'Order-1',
      deadline: 'reminder',
    })
    expect(await store.list()).toEqual([])
  })
})
