import { describe, expect, it } from '@jest/globals'
import type { RecordedEvent } from '../events/event'
import { matchesFilter } from './event-store'
import { AppendSignal, pollingSubscription, type PollingSource } from './polling-subscription'

const recorded = (position: number, type = 'E'): RecordedEvent => ({
  type,
  data: {},
  metadata: { eventId: `e${position}`, occurredAt: '2024-01-01T00:00:00.000Z', schemaVersion: 1 },
  streamId: 'S-1',
  revision: BigInt(position - 1),
  position: BigInt(position),
})

/** A log in an array that records how it is queried. */
const fakeLog = (types: string[] = []) => {
  const log = types.map((t, i) => recorded(i + 1, t))
  const signal = new AppendSignal()
  const reads: Array<bigint | undefined> = []
  const readWaiters = new Set<() => void>()
  let seen = signal.version
  const source: PollingSource = {
    readAfter: async (after, limit, filter) => {
      seen = signal.version
      reads.push(after)
      readWaiters.forEach((w) => w())
      return log.filter((e) => (after === undefined || e.position > after) && matchesFilter(filter, e)).slice(0, limit)
    },
    headPosition: async () => log[log.length - 1]?.position,
    waitForAppend: (ms, abort) => signal.wait(ms, abort, seen),
  }
  const append = (type = 'E') => {
    log.push(recorded(log.length + 1, type))
    signal.notify()
  }
  /** Resolves once the log has been read `count` times in all. */
  const readCount = (count: number): Promise<void> =>
    new Promise((resolve) => {
      const check = () => {
        if (reads.length < count) return
        readWaiters.delete(check)
        resolve()
      }
      readWaiters.add(check)
      check()
    })
  return { log, source, reads, append, readCount }
}

const next = async (sub: AsyncIterator<RecordedEvent>, ms = 1000): Promise<RecordedEvent> => {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no event within ${ms}ms`)), ms)
  })
  try {
    const result = await Promise.race([sub.next(), timeout])
    if (result.done) throw new Error('subscription ended')
    return result.value
  } finally {
    clearTimeout(timer)
  }
}

describe('pollingSubscription', () => {
  it('takes the head for a subscription from end when it subscribes, not when it is first iterated', async () => {
    const { source, append } = fakeLog(['E', 'E'])
    const sub = pollingSubscription(source, { fromPosition: 'end', pollIntervalMs: 10_000 })
    append()

    const first = await next(sub[Symbol.asyncIterator]())

    expect(first.position).toBe(3n)
    await sub.close()
  })

  it('moves a filtered subscription past the events its filter skipped instead of scanning them again', async () => {
    const { source, reads, append } = fakeLog(Array.from({ length: 50 }, () => 'Other'))
    const caughtUp: Array<bigint | undefined> = []
    let reachedHead!: () => void
    const idle = new Promise<void>((resolve) => (reachedHead = resolve))
    const sub = pollingSubscription(source, {
      filter: { eventTypes: ['Wanted'] },
      pollIntervalMs: 10_000,
      onCaughtUp: (p) => {
        caughtUp.push(p)
        reachedHead()
      },
    })
    const events = sub[Symbol.asyncIterator]()
    const wanted = next(events)
    await idle

    append('Other')
    append('Wanted')

    expect((await wanted).position).toBe(52n)
    expect(reads[0]).toBeUndefined()
    expect(reads[1]).toBe(50n)
    expect(caughtUp[0]).toBe(50n)
    await sub.close()
  })

  it('reports a filtered caught-up position no further than the head it read before the batch', async () => {
    const { source, append } = fakeLog(['Other'])
    const caughtUp: Array<bigint | undefined> = []
    // An append lands while the batch is being read: it must not be reported as passed.
    const racing: PollingSource = {
      ...source,
      readAfter: async (after, limit, filter) => {
        const batch = await source.readAfter(after, limit, filter)
        if (caughtUp.length === 0) append('Wanted')
        return batch
      },
    }
    const sub = pollingSubscription(racing, {
      filter: { eventTypes: ['Wanted'] },
      pollIntervalMs: 10_000,
      onCaughtUp: (p) => caughtUp.push(p),
    })

    const delivered = await next(sub[Symbol.asyncIterator]())

    expect(caughtUp[0]).toBe(1n)
    expect(delivered.position).toBe(2n)
    await sub.close()
  })

  it('wakes at once for an append made while its consumer was busy', async () => {
    const { source, append } = fakeLog(['E'])
    // It would poll again only in an hour: only the append's wake-up can deliver the event.
    const sub = pollingSubscription(source, { pollIntervalMs: 3_600_000 })
    const events = sub[Symbol.asyncIterator]()
    await next(events)

    append()
    await expect(next(events, 20_000)).resolves.toMatchObject({ position: 2n })
    await sub.close()
  })

  it('reports caught up again only when its position moved', async () => {
    const { source, append, reads, readCount } = fakeLog(['E'])
    const caughtUp: Array<bigint | undefined> = []
    const sub = pollingSubscription(source, { pollIntervalMs: 5, onCaughtUp: (p) => caughtUp.push(p) })
    const events = sub[Symbol.asyncIterator]()
    await next(events)
    const second = next(events)
    // Several polls that find nothing new.
    await readCount(reads.length + 3)

    append()
    await second
    void next(events).catch(() => undefined)
    await readCount(reads.length + 3)

    expect(caughtUp).toEqual([1n, 2n])
    await sub.close()
  })

  it.each<[string, (sub: ReturnType<typeof pollingSubscription>) => Promise<void>]>([
    ['it is closed while iterated', async (sub) => {
      const events = sub[Symbol.asyncIterator]()
      await next(events)
      await sub.close()
    }],
    ['it is closed before it is iterated', (sub) => sub.close()],
    ['its consumer breaks out', async (sub) => {
      for await (const e of sub) if (e) break
    }],
  ])('calls onEnd once when %s', async (_label, finish) => {
    const { source } = fakeLog(['E'])
    let ends = 0
    const sub = pollingSubscription(source, { onEnd: () => ends++ })

    await finish(sub)
    await sub.close()

    expect(ends).toBe(1)
  })

  it('can be iterated only once', async () => {
    const { source } = fakeLog()
    const sub = pollingSubscription(source)
    sub[Symbol.asyncIterator]()

    expect(() => sub[Symbol.asyncIterator]()).toThrow('only once')
    await sub.close()
  })
})

describe('AppendSignal', () => {
  it('resolves a waiter on notify', async () => {
    const signal = new AppendSignal()
    const waiting = signal.wait(60_000, new AbortController().signal)

    signal.notify()

    await expect(waiting).resolves.toBeUndefined()
    expect(signal.version).toBe(1)
  })

  it('resolves at once when notified since the version the waiter saw', async () => {
    const signal = new AppendSignal()
    const seen = signal.version
    signal.notify()

    await expect(signal.wait(60_000, new AbortController().signal, seen)).resolves.toBeUndefined()
  })

  it('resolves when aborted or after the timeout', async () => {
    const signal = new AppendSignal()
    const abort = new AbortController()
    const aborted = signal.wait(60_000, abort.signal)
    abort.abort()
    const started = Date.now()

    await aborted
    await signal.wait(20, new AbortController().signal, signal.version)

    expect(Date.now() - started).toBeGreaterThanOrEqual(15)
  })
})
