import { randomInt } from 'node:crypto'
import type { EventData } from '@eventfold/core'
import { physicalCollection, ProjectionStates, type Document } from '@eventfold/projections'
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

  const readModel = (generation: number) =>
    app.withStores((s) => s.documents.find(physicalCollection('stream_counts', generation), {}, { sort: { _id: 1 } }))

  it('ends with the read model of a clean rebuild, every event applied exactly once', async () => {
    const killedAt: bigint[] = []
    for (let k = 0; k < KILLS; k++) {
      // Small batches: many commits, so that each kill lands between or inside batches at random.
      const child = app.spawn(['projections', 'rebuild', PROJECTION, '--batch-size', '2000'])
      // Some progress lines (throttled to ~4/s), then a random moment within the next batch or so.
      const wanted = randomInt(1, 3)
      await child.waitFor(({ lines }) => lines.filter((l) => l.includes('"type":"progress"')).length >= wanted)
      await new Promise((r) => setTimeout(r, randomInt(0, 150)))
      child.child.kill('SIGKILL')
      const r = await child.exited
      expect(r.signal).toBe('SIGKILL')
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line)
      expect(lines.some((l) => l.type === 'result')).toBe(false)
      // Every run after the first continues the same rebuild.
      expect(lines[0]).toMatchObject({ generation: 1, resumed: k > 0 })
      killedAt.push(BigInt(lines.at(-1)!.position ?? '0'))
    }
    // The crashes really happened part way, and each run got further.
    const state = await app.withStores((s) => new ProjectionStates(s.documents).get(PROJECTION))
    expect(state?.rebuilding).toMatchObject({ generation: 1 })
    expect(killedAt.at(-1)!).toBeLessThan(BigInt(STREAMS * PER_STREAM))
    expect(killedAt.at(-1)!).toBeGreaterThan(killedAt[0]!)

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
})
