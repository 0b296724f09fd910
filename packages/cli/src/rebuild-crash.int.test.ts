import { randomInt } from 'node:crypto'
import type { EventData } from '@eventfold/core'
import { ProjectionStates, type Document } from '@eventfold/projections'
import { LEASE_COLLECTION, physicalCollection } from '@eventfold/projections/spi'
import { connectSqlite } from './config/sqlite'
import { ensureBuilt } from './test-support/build'
import { createFixtureApp, type FixtureApp } from './test-support/fixture-app'

const STREAMS = 200
const PER_STREAM = 1000
const KILLS = 5
const PROJECTION = 'stream-counts'

interface Line {
  type: 'progress' | 'result'
  generation: number
  position: string | null
  resumed: boolean
}

/** By of event `r` of stream `s`: varied, so that a lost or doubled event changes the total. */
const by = (s: number, r: number): number => ((s * 31 + r * 7) % 13) + 1

const expectedDoc = (s: number): Document => {
  let total = 0
  for (let r = 1; r < PER_STREAM; r++) total += by(s, r)
  return { _id: `Tally-t${s}`, applied: PER_STREAM, total, lastRevision: PER_STREAM - 1 }
}

describe('eventfold projections rebuild, killed with SIGKILL and resumed', () => {
  let app: FixtureApp
  beforeAll(async () => {
    ensureBuilt()
    app = createFixtureApp()
    // Seeding is not what is tested: skip the fsync of every commit.
    const stores = await connectSqlite(app.db, { synchronous: 'normal' })
    try {
      for (let s = 0; s < STREAMS; s++) {
        const events: EventData[] = [{ type: 'TallyOpened', data: { tallyId: `t${s}`, label: `t${s}` } }]
        for (let r = 1; r < PER_STREAM; r++) events.push({ type: 'TallyIncremented', data: { tallyId: `t${s}`, by: by(s, r) } })
        await stores.eventStore.appendToStream(`Tally-t${s}`, events)
      }
    } finally {
      await stores.close()
    }
  }, 60000)
  afterAll(() => app.remove())

  /** Waits until the lease of a killed run has expired: until then the next run is refused, the rebuild being another process's. */
  const leaseExpired = async (): Promise<void> => {
    const key = `rebuild/${PROJECTION}`
    const lease = (await app.withStores((s) => s.documents.getMany(LEASE_COLLECTION, [key]))).get(key)
    const left = (lease?.doc.expiresAt as number) - Date.now()
    if (left >= 0) await new Promise((resolve) => setTimeout(resolve, left + 1))
  }

  const readModel = (generation: number) =>
    app.withStores((s) => s.documents.find(physicalCollection('stream_counts', generation), {}, { sort: { _id: 1 } }))

  it('ends with the read model of a clean rebuild, every event applied exactly once', async () => {
    const total = STREAMS * PER_STREAM
    const killedAt: bigint[] = []
    for (let k = 0; k < KILLS; k++) {
      // Each run is held at a random position inside its own slice of the log, later than the last
      // run's by more than two batches, so every run commits some batches and is killed inside the next.
      const holdAt = randomInt(Math.floor((total * (k + 0.2)) / (KILLS + 1)), Math.floor((total * (k + 1)) / (KILLS + 1)))
      const child = app.spawn(['projections', 'rebuild', PROJECTION, '--batch-size', '2000', '--lease-ttl', '1000'], { env: { EVENTFOLD_FIXTURE_HOLD_AT: String(holdAt) } })
      await child.waitFor(({ stderr, lines }) => stderr.includes('{"held":') && lines.some((l) => l.includes('"type":"progress"')), 60000)
      // The child is blocked inside a handler: it has not finished, and the kill lands inside its open batch.
      expect(child.child.exitCode).toBeNull()
      expect(child.lines().some((l) => l.includes('"type":"result"'))).toBe(false)
      child.child.kill('SIGKILL')
      const r = await child.exited
      expect(r.signal).toBe('SIGKILL')
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line)
      expect(lines.some((l) => l.type === 'result')).toBe(false)
      // Every run after the first continues the same rebuild.
      expect(lines[0]).toMatchObject({ generation: 1, resumed: k > 0 })
      const held = BigInt((JSON.parse(r.stderr.split('\n').find((l) => l.startsWith('{"held":'))!) as { held: string }).held)
      expect(held).toBe(BigInt(holdAt))
      // The batch holding the held event was open: the stored checkpoint is before it.
      const checkpoints = [...(await app.withStores((s) => s.documents.listCheckpoints(''))).values()]
      expect(checkpoints).toHaveLength(1)
      expect(checkpoints[0]!).toBeLessThan(held)
      expect(checkpoints[0]!).toBeGreaterThanOrEqual(BigInt(lines.at(-1)!.position ?? '0'))
      killedAt.push(checkpoints[0]!)
      await leaseExpired()
    }
    // The crashes really happened part way, and each run got further.
    const state = await app.withStores((s) => new ProjectionStates(s.documents).get(PROJECTION))
    expect(state?.rebuilding).toMatchObject({ generation: 1 })
    for (let k = 1; k < KILLS; k++) expect(killedAt[k]!).toBeGreaterThan(killedAt[k - 1]!)
    expect(killedAt.at(-1)!).toBeLessThan(BigInt(total))

    const finish = await app.run(['projections', 'rebuild', PROJECTION], { timeoutMs: 60000 })
    expect(finish.code).toBe(0)
    const result = JSON.parse(finish.stdout.trim().split('\n').at(-1)!) as Line & { previousGeneration: number }
    expect(result).toMatchObject({ type: 'result', generation: 1, resumed: true, position: String(STREAMS * PER_STREAM), parked: 0 })
    const resumed = await readModel(1)

    // Every stream's document counts each of its events once, and sums them once.
    const expected = Array.from({ length: STREAMS }, (_, s) => expectedDoc(s)).sort((a, b) => (a._id < b._id ? -1 : 1))
    expect(resumed).toEqual(expected)

    // A clean rebuild, uninterrupted, into a fresh generation gives the same documents.
    const clean = await app.run(['projections', 'rebuild', PROJECTION], { timeoutMs: 60000 })
    expect(clean.code).toBe(0)
    expect(JSON.parse(clean.stdout.trim().split('\n').at(-1)!)).toMatchObject({ type: 'result', generation: 2, previousGeneration: 1, resumed: false })
    expect(await readModel(2)).toEqual(resumed)
    expect(await app.withStores((s) => s.documents.listCollections('stream_counts__'))).toEqual(['stream_counts__2'])
  }, 120000)

  it('refuses a second rebuild while one runs, naming the projection and its owner, exit 1', async () => {
    // A lease longer than the test: the held run cannot renew it, and must still own it.
    const child = app.spawn(['projections', 'rebuild', PROJECTION, '--lease-ttl', '600000'], { env: { EVENTFOLD_FIXTURE_HOLD_AT: '1' } })
    try {
      await child.waitFor(({ stderr }) => stderr.includes('{"held":'), 60000)

      const second = await app.run(['projections', 'rebuild', PROJECTION])
      expect(second).toMatchObject({ code: 1, stdout: '' })
      expect(second.stderr).toMatch(new RegExp(`^eventfold: error: A rebuild of projection '${PROJECTION}' is already running in '[^']+:${child.child.pid}:[^']+'`))
    } finally {
      child.child.kill('SIGKILL')
      await child.exited
    }
  }, 60000)
})
