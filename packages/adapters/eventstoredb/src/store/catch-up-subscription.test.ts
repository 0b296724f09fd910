import { PassThrough } from 'node:stream'
import { describe, expect, it } from '@jest/globals'
import { START, type AllStreamResolvedEvent, type AllStreamSubscription, type Position } from '@eventstore/db-client'
import type { RecordedEvent } from '@eventfold/core'
import { encodePosition } from '../mapping/position'
import { catchUpSubscription, type CatchUpSource } from './catch-up-subscription'

/**
 * No server here: a scripted stand-in for the client's subscription stream,
 * to check how this adapter orders what the stream emits. The client emits
 * `caughtUp` and calls `checkpointReached` while events may still wait in its
 * own buffer; the stand-in reproduces that with a paused object stream.
 */
class ScriptedSubscription extends PassThrough {
  checkpointReached: ((s: AllStreamSubscription, p: Position) => void) | undefined
  unsubscribed = false
  constructor() {
    super({ objectMode: true })
  }
  async unsubscribe(): Promise<void> {
    this.unsubscribed = true
  }
  event(n: number, streamId = 'Account-1', type = 'Deposited'): void {
    const resolved: AllStreamResolvedEvent = {
      event: {
        streamId,
        id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
        isJson: true,
        revision: BigInt(n),
        type,
        created: new Date(0),
        data: { n },
        metadata: { eventId: `e-${n}`, occurredAt: '2024-01-01T00:00:00.000Z', schemaVersion: 1 },
        position: at(n),
      },
    }
    this.write(resolved)
  }
  caughtUp(): void {
    this.emit('caughtUp')
  }
  checkpoint(n: number): void {
    this.checkpointReached?.(this as unknown as AllStreamSubscription, at(n))
  }
}

const at = (n: number): Position => ({ commit: BigInt(n * 100), prepare: BigInt(n * 100) })
const pos = (n: number): bigint => encodePosition(at(n))

const scripted = (reached?: bigint) => {
  const upstream = new ScriptedSubscription()
  const source: CatchUpSource = {
    start: Promise.resolve({ from: START, reached }),
    open: (_from, checkpointReached) => {
      upstream.checkpointReached = checkpointReached
      return upstream as unknown as AllStreamSubscription
    },
    translate: (cause) => Object.assign(new Error('dropped'), { cause }),
  }
  return { upstream, source }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('catch-up subscription (scripted stream, no server)', () => {
  it('delivers matching events in order and leaves out system events and filtered ones', async () => {
    const { upstream, source } = scripted()
    const sub = catchUpSubscription(source, { filter: { eventTypes: ['Deposited'] } })
    const it = sub[Symbol.asyncIterator]()
    const first = it.next()
    await tick()
    upstream.event(1)
    upstream.event(2, '$stats-node', 'StatsCollected')
    upstream.event(3, 'Account-1', 'Opened')
    upstream.event(4)

    expect(((await first).value as RecordedEvent).position).toBe(pos(1))
    expect(((await it.next()).value as RecordedEvent).position).toBe(pos(4))
    await sub.close()
  })

  it('reports caught up only after handing over every event received before the signal, at the furthest position seen', async () => {
    const { upstream, source } = scripted()
    const reports: Array<bigint | undefined> = []
    const sub = catchUpSubscription(source, { onCaughtUp: (p) => reports.push(p) })
    const it = sub[Symbol.asyncIterator]()
    const first = it.next()
    await tick()
    // Two events still wait in the client's buffer when it says it is caught up.
    upstream.pause()
    upstream.event(1)
    upstream.event(2)
    upstream.event(3, '$stats-node', 'StatsCollected')
    upstream.caughtUp()
    upstream.resume()

    expect(((await first).value as RecordedEvent).position).toBe(pos(1))
    expect(reports).toEqual([])
    expect(((await it.next()).value as RecordedEvent).position).toBe(pos(2))
    const third = it.next()
    await tick()

    expect(reports).toEqual([pos(3)])
    expect(sub.isCaughtUp).toBe(true)
    upstream.event(4)
    expect(((await third).value as RecordedEvent).position).toBe(pos(4))
    expect(sub.isCaughtUp).toBe(false)
    await sub.close()
  })

  it('moves an idle filtered subscriber on with the server’s checkpoints', async () => {
    const { upstream, source } = scripted(pos(1))
    const reports: Array<bigint | undefined> = []
    const sub = catchUpSubscription(source, { filter: { eventTypes: ['Wanted'] }, onCaughtUp: (p) => reports.push(p) })
    const it = sub[Symbol.asyncIterator]()
    const next = it.next()
    await tick()
    upstream.caughtUp()
    await tick()
    upstream.checkpoint(7)
    await tick()

    expect(reports).toEqual([pos(1), pos(7)])
    await sub.close()
    expect(await next).toEqual({ done: true, value: undefined })
  })

  it('ends a waiting iteration promptly when closed, and stops the server subscription', async () => {
    const { upstream, source } = scripted()
    const ended: string[] = []
    const sub = catchUpSubscription(source, { onEnd: () => ended.push('end') })
    const loop = (async () => {
      for await (const _ of sub) void _
    })()
    await tick()

    await sub.close()
    await loop

    expect(upstream.unsubscribed).toBe(true)
    expect(ended).toEqual(['end'])
  })

  it('ends at once when closed before it is iterated, without opening a server subscription', async () => {
    const { upstream, source } = scripted()
    const sub = catchUpSubscription(source)

    await sub.close()

    const seen: unknown[] = []
    for await (const e of sub) seen.push(e)
    expect(seen).toEqual([])
    expect(upstream.checkpointReached).toBeUndefined()
  })

  it('fails the iteration with the translated error when the stream fails or ends on its own', async () => {
    for (const failure of ['error', 'end'] as const) {
      const { upstream, source } = scripted()
      const sub = catchUpSubscription(source)
      const it = sub[Symbol.asyncIterator]()
      const next = it.next()
      await tick()
      if (failure === 'error') upstream.destroy(new Error('connection lost'))
      else upstream.end()

      await expect(next).rejects.toThrow('dropped')
    }
  })

  it('ends a bounded read at its bound without the server’s caughtUp message, leaving out later events', async () => {
    const { upstream, source } = scripted()
    const sub = catchUpSubscription(source, { filter: { eventTypes: ['Deposited'] }, until: pos(3) })
    const seen: bigint[] = []
    const loop = (async () => {
      for await (const e of sub) seen.push(e.position)
    })()
    await tick()
    upstream.event(1)
    upstream.event(2, 'Account-1', 'Opened')
    upstream.event(3, 'Account-1', 'Opened')
    upstream.event(4)

    await loop
    expect(seen).toEqual([pos(1)])
    expect(upstream.unsubscribed).toBe(true)
  })

  it('ends a bounded read at a server checkpoint at or past its bound', async () => {
    const { upstream, source } = scripted()
    const sub = catchUpSubscription(source, { filter: { eventTypes: ['Wanted'] }, until: pos(5) })
    const loop = (async () => {
      for await (const _ of sub) void _
    })()
    await tick()
    upstream.checkpoint(6)

    await loop
    expect(upstream.unsubscribed).toBe(true)
  })

  it('leaves out hidden history while catching up, and asks nothing once live', async () => {
    const { upstream, source } = scripted()
    const asked: number[] = []
    const hidden = async (e: { revision: bigint }) => {
      asked.push(Number(e.revision))
      return e.revision === 1n
    }
    const sub = catchUpSubscription(source, { hidden })
    const it = sub[Symbol.asyncIterator]()
    const first = it.next()
    await tick()
    upstream.event(1)
    upstream.event(2)

    expect(((await first).value as RecordedEvent).position).toBe(pos(2))
    const next = it.next()
    upstream.caughtUp()
    await tick()
    upstream.event(3)
    expect(((await next).value as RecordedEvent).position).toBe(pos(3))
    expect(asked).toEqual([1, 2])
    await sub.close()
  })
})
