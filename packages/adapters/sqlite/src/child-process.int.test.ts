import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import type { RecordedEvent } from '@eventfold/core'
import { openSqlite } from './sqlite-connection'
import { SqliteEventStore } from './sqlite-event-store'
import { tempDir, type TempDir } from './test-support/temp-dir'
import { buildPackage, startWriter, type Ack, type HeldAppend } from './test-support/writer-process'

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

describe('SqliteEventStore with other processes', () => {
  let dir: TempDir

  beforeAll(() => buildPackage(), 120_000)

  beforeEach(() => {
    dir = tempDir()
  })

  afterEach(() => dir.remove())

  it('loses no acknowledged append and stores no partial one when a writer is SIGKILLed mid-run', async () => {
    const file = dir.file('crash.db')
    const seed = Date.now() % 1_000_000
    // Rounds killed at a random moment, and rounds killed while the writer is provably
    // inside an append's transaction: after its first insert, before its commit.
    const rounds = ['random', 'in-transaction', 'random', 'in-transaction', 'random'] as const
    const acks: Ack[] = []
    const heldAppends: HeldAppend[] = []
    for (const [round, kind] of rounds.entries()) {
      const killAfter = 300 + ((seed * (round + 1)) % 300)
      const args = ['random', '6', String(seed + round)]
      const writer =
        kind === 'random'
          ? startWriter(file, args, { onAck: (_ack, count) => count === killAfter && writer.kill('SIGKILL') })
          : startWriter(file, [...args, String(killAfter)], { onHeld: () => writer.kill('SIGKILL') })
      // A safety net for a writer that never reaches its kill point, not a synchronisation.
      const timer = setTimeout(() => writer.kill('SIGKILL'), 60_000)
      const ended = await writer.ended
      clearTimeout(timer)
      expect({ seed, round, signal: ended.signal, stderr: ended.stderr }).toEqual({ seed, round, signal: 'SIGKILL', stderr: '' })
      if (kind === 'random') {
        expect(ended.acks.length).toBeGreaterThanOrEqual(killAfter)
      } else {
        // Killed inside the transaction of the append after the last acknowledged one.
        expect({ round, acks: ended.acks.length, held: ended.held !== undefined }).toEqual({ round, acks: killAfter, held: true })
        heldAppends.push(ended.held!)
      }
      acks.push(...ended.acks)
    }
    expect(heldAppends).toHaveLength(rounds.filter((k) => k === 'in-transaction').length)

    const sqlite = openSqlite(file)
    try {
      expect(sqlite.db.pragma('integrity_check', { simple: true })).toBe('ok')
      const store = new SqliteEventStore(sqlite)
      const log = await collect(store.readAll())
      const positions = log.map((e) => e.position)
      expect(positions.filter((p, i) => i > 0 && p <= positions[i - 1]!)).toEqual([])

      const streams = new Map<string, RecordedEvent[]>()
      for (const stream of new Set(log.map((e) => e.streamId))) {
        const events = await collect(store.readStream(stream))
        expect({ stream, revisions: events.map((e) => e.revision) }).toEqual({
          stream,
          revisions: events.map((_, i) => BigInt(i)),
        })
        streams.set(stream, events)
      }
      expect([...streams.values()].reduce((n, s) => n + s.length, 0)).toBe(log.length)

      const missing = acks.filter((ack) => {
        const events = streams.get(ack.stream) ?? []
        const last = Number(ack.nextRevision)
        const stored = events.slice(last - ack.eventIds.length + 1, last + 1)
        return (
          stored.length !== ack.eventIds.length ||
          stored.some((e, i) => e.metadata.eventId !== ack.eventIds[i]) ||
          stored[stored.length - 1]!.position !== ack.position
        )
      })
      expect({ seed, missing }).toEqual({ seed, missing: [] })
      // Only the append in flight at each kill may be stored unacknowledged, and only whole.
      const acknowledged = new Set(acks.flatMap((ack) => ack.eventIds))
      const inFlight: Array<Array<{ i: number; of: number }>> = []
      for (const e of log.filter((e) => !acknowledged.has(e.metadata.eventId))) {
        const part = e.data as { i: number; of: number }
        if (part.i === 0) inFlight.push([part])
        else inFlight[inFlight.length - 1]?.push(part)
      }
      expect(inFlight.length).toBeLessThanOrEqual(rounds.filter((k) => k === 'random').length)
      // An append killed between its begin and its commit left nothing behind.
      const stored = new Set(log.map((e) => e.metadata.eventId))
      for (const held of heldAppends) expect({ held, stored: held.eventIds.filter((id) => stored.has(id)) }).toEqual({ held, stored: [] })
      for (const parts of inFlight) {
        expect(parts.map((p) => p.i)).toEqual(Array.from({ length: parts[0]!.of }, (_, i) => i))
      }
      expect(log.length).toBe(acknowledged.size + inFlight.reduce((n, parts) => n + parts.length, 0))

      const [stream, events] = [...streams.entries()][0]!
      await expect(
        store.appendToStream(stream, [{ type: 'AfterRecovery', data: {} }], { expectedRevision: BigInt(events.length - 1) }),
      ).resolves.toMatchObject({ nextRevision: BigInt(events.length) })
    } finally {
      await sqlite.close()
    }
  }, 180_000)

  it('a subscriber here sees appends of another process by polling, and appends here at once', async () => {
    const file = dir.file('shared.db')
    const pollIntervalMs = 1000
    const store = SqliteEventStore.open(file, { pollIntervalMs })
    try {
      let caughtUp!: () => void
      const ready = new Promise<void>((resolve) => (caughtUp = resolve))
      const sub = store.subscribeToAll({ onCaughtUp: () => caughtUp() })
      const events = sub[Symbol.asyncIterator]()
      const remote = (async () => {
        const out: RecordedEvent[] = []
        while (out.length < 20) out.push((await events.next()).value as RecordedEvent)
        return out
      })()
      await ready

      const writer = startWriter(file, ['sequence', 'Remote-1', '20'])
      const ended = await writer.ended
      expect({ code: ended.code, stderr: ended.stderr }).toEqual({ code: 0, stderr: '' })
      const seen = await remote

      expect(seen.map((e) => e.metadata.eventId)).toEqual(ended.acks.flatMap((a) => a.eventIds))
      expect(seen.map((e) => e.revision)).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i)))

      await sub.close()
    } finally {
      await store.close()
    }

    // A store that would poll only once an hour still delivers its own appends: they wake its subscribers.
    const local = SqliteEventStore.open(file, { pollIntervalMs: 3_600_000 })
    try {
      let caughtUp!: () => void
      const ready = new Promise<void>((resolve) => (caughtUp = resolve))
      const sub = local.subscribeToAll({ onCaughtUp: () => caughtUp() })
      const events = sub[Symbol.asyncIterator]()
      for (let i = 0; i < 20; i++) expect(((await events.next()).value as RecordedEvent).streamId).toBe('Remote-1')
      // Asking for the next event finds the head: the subscription reports it caught up and waits.
      const next = events.next()
      await ready
      await local.appendToStream('Local-1', [{ type: 'Here', data: {} }])
      expect(((await next).value as RecordedEvent).streamId).toBe('Local-1')
      await sub.close()
    } finally {
      await local.close()
    }
  }, 60_000)
})
