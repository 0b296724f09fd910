import { spawn, spawnSync } from 'node:child_process'
import { ProjectionStates } from '@eventfold/projections'
import { physicalCollection } from '@eventfold/projections/spi'
import { BIN, ensureBuilt } from './test-support/build'
import { createFixtureApp, seedTallies, type FixtureApp } from './test-support/fixture-app'
import { parseJson, type CliResult } from './test-support/run-cli'

const hasScript = spawnSync('script', ['--version']).status === 0

interface Status {
  name: string
  state: string
  stale: boolean
  head: string | null
  deadLetters: number
  active: { generation: number; version: number; lag: number; partitions: { partition: string; checkpoint: string | null; lag: number }[] } | null
  rebuilding: { generation: number; partitions: { partition: string; checkpoint: string | null }[] } | null
}

const jsonLines = (r: CliResult): { type: string; [k: string]: unknown }[] =>
  r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string })

describe('eventfold projections', () => {
  let app: FixtureApp
  const status = async (...names: string[]): Promise<Status[]> => {
    const r = await app.run(['projections', 'status', ...names, '--json'])
    expect(r.code).toBe(0)
    return parseJson<Status[]>(r)
  }
  const docs = (collection: string, generation: number) =>
    app.withStores((s) => s.documents.find(physicalCollection(collection, generation), {}, { sort: { _id: 1 } }))

  beforeAll(async () => {
    ensureBuilt()
    app = createFixtureApp()
    await app.withStores((s) => seedTallies(s, { streams: 3, perStream: 4 }))
  })
  afterAll(() => app.remove())

  it('lists the projections of the config without opening the stores', async () => {
    const r = await app.run(['projections', 'list'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^NAME\s+VERSION\s+COLLECTIONS\s+PARTITION BY\s+EVENT TYPES$/m)
    expect(r.stdout).toMatch(/^tallies\s+1\s+tallies\s+stream\s+TallyOpened, TallyIncremented$/m)
    expect(parseJson(await app.run(['projections', 'list', '--json']))).toContainEqual({
      name: 'event-counts',
      version: 1,
      collections: ['event_counts'],
      eventTypes: ['TallyOpened', 'TallyIncremented'],
      partitionBy: 'stream',
      indexes: [],
    })
  })

  it("reports projections that never ran as 'new'", async () => {
    const [tallies] = await status('tallies')
    expect(tallies).toMatchObject({ name: 'tallies', state: 'new', active: null, rebuilding: null, head: '12', deadLetters: 0, stale: false })
  })

  it('runs the named projections until caught up with --catch-up', async () => {
    const r = await app.run(['projections', 'run', 'tallies', 'event-counts', '--catch-up'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^PROJECTION\s+PARTITION\s+GEN\s+CHECKPOINT\s+APPLIED\s+BATCHES\s+PARKED$/m)
    expect(r.stdout).toMatch(/^tallies\s+0\/1\s+1\s+12\s+12\s+\d+\s+0$/m)
    expect(await docs('tallies', 1)).toEqual(
      ['t0', 't1', 't2'].map((t) => ({ _id: `Tally-${t}`, applied: 4, total: 6, label: `label ${t}`, lastRevision: 3 })),
    )
    expect(await docs('event_counts', 1)).toEqual([
      { _id: 'TallyIncremented', count: 9 },
      { _id: 'TallyOpened', count: 3 },
    ])
    const all = await status()
    expect(all.map((s) => s.state)).toEqual(['caught-up', 'caught-up', 'new'])
    expect(all[0]).toMatchObject({ stale: false, active: { generation: 1, version: 1, lag: 0, partitions: [{ partition: '0/1', checkpoint: '12', lag: 0 }] } })
  })

  it('follows live appends until SIGTERM, then finishes its batch and exits 0', async () => {
    const running = app.spawn(['projections', 'run', 'tallies'])
    await running.waitFor(({ stderr }) => stderr.includes('running tallies (1 partition); Ctrl-C to stop'))
    await app.withStores((s) => s.eventStore.appendToStream('Tally-t0', [{ type: 'TallyIncremented', data: { tallyId: 't0', by: 10 } }]))
    // Waits for the worker to apply the live append (the read model shows it), not for a time.
    for (let i = 0; ; i++) {
      const doc = await app.withStores((s) => s.documents.get(physicalCollection('tallies', 1), 'Tally-t0'))
      if (doc?.applied === 5) break
      if (i === 200) throw new Error(`the running worker did not apply the live append; stderr:\n${running.stderr()}`)
      await new Promise((r) => setTimeout(r, 50))
    }
    running.child.kill('SIGTERM')
    const r = await running.exited
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('SIGTERM: stopping after the batches in flight')
    expect(r.stdout).toMatch(/^tallies\s+0\/1\s+1\s+13\s+1\s+/m)
    expect(await app.withStores((s) => s.documents.get(physicalCollection('tallies', 1), 'Tally-t0'))).toMatchObject({ applied: 5, total: 16 })
    const [tallies, counts] = await status('tallies', 'event-counts')
    expect(tallies).toMatchObject({ state: 'caught-up', head: '13' })
    // Not running: the one new event waits.
    expect(counts).toMatchObject({ state: 'behind', active: { lag: 1, partitions: [{ checkpoint: '12', lag: 1 }] } })
  })

  it('rebuilds into a new generation with another partition count, printing JSON lines when not on a terminal', async () => {
    const before = await docs('tallies', 1)
    const r = await app.run(['projections', 'rebuild', 'tallies', '--partitions', '2'])
    expect(r.code).toBe(0)
    const lines = jsonLines(r)
    expect(lines.slice(0, -1).every((l) => l.type === 'progress')).toBe(true)
    expect(lines[0]).toMatchObject({ type: 'progress', projection: 'tallies', generation: 2, head: '13', resumed: false })
    expect(lines.at(-1)).toMatchObject({ type: 'result', projection: 'tallies', generation: 2, previousGeneration: 1, position: '13', eventsApplied: 13, parked: 0 })
    expect(await docs('tallies', 2)).toEqual(before)
    expect(await app.withStores((s) => s.documents.listCollections('tallies__'))).toEqual(['tallies__2'])
    const [tallies] = await status('tallies')
    expect(tallies!.active).toMatchObject({ generation: 2, lag: 0 })
    expect(tallies!.active!.partitions.map((p) => p.partition)).toEqual(['0/2', '1/2'])
    // Workers now run with the partition count the read model was built with.
    const run = await app.run(['projections', 'run', 'tallies', '--catch-up', '--json'])
    expect(parseJson<{ partition: string }[]>(run).map((p) => p.partition)).toEqual(['0/2', '1/2'])
  })

  it("run --json names its lag lagMs (milliseconds), so it is not read as status's lag (events)", async () => {
    const run = await app.run(['projections', 'run', 'tallies', '--catch-up', '--json'])
    expect(run.code).toBe(0)
    for (const worker of parseJson<Record<string, unknown>[]>(run)) {
      expect(worker).not.toHaveProperty('lag')
      expect(worker).toMatchObject({ lagMs: expect.any(Number), checkpoint: expect.any(String) })
    }
  })

  it('stops on SIGINT as on SIGTERM, exiting 0', async () => {
    const running = app.spawn(['projections', 'run', 'tallies'])
    await running.waitFor(({ stderr }) => stderr.includes('Ctrl-C to stop'))
    running.child.kill('SIGINT')
    const r = await running.exited
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('SIGINT: stopping after the batches in flight')
  })

  ;(hasScript ? it : it.skip)('draws a progress bar on stderr when it is a terminal', async () => {
    // script(1) gives the command a pseudo-terminal; -e passes its exit code on.
    const command = [process.execPath, BIN, 'projections', 'rebuild', 'event-counts'].map((a) => `'${a}'`).join(' ')
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: app.dir, stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      child.on('close', (code) => resolve({ code, out }))
    })
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/event-counts \[[█░]+\] 100% \| position 13\/13 \| \d+ ev\/s \| ETA 0s/)
    expect(r.out).toContain("rebuilt 'event-counts' into generation 2 (generation 1 dropped): 13 events applied")
    expect(r.out).not.toContain('"type":"progress"')
    expect((await status('event-counts'))[0]).toMatchObject({ state: 'caught-up', active: { generation: 2 } })
  })

  it('resets a projection: the read model is dropped and the next worker starts from the beginning', async () => {
    const r = await app.run(['projections', 'reset', 'event-counts'])
    expect(r).toMatchObject({
      code: 0,
      stdout: "reset 'event-counts': generation 2 dropped; the next worker builds generation 3 from the start of the log\n",
    })
    expect(await app.withStores((s) => s.documents.listCollections('event_counts__'))).toEqual([])
    const [counts] = await status('event-counts')
    expect(counts).toMatchObject({ state: 'behind', active: { generation: 3, lag: 13, partitions: [{ checkpoint: null, lag: 13 }] } })
    expect(await app.run(['projections', 'reset', 'stream-counts'])).toMatchObject({ code: 0, stdout: "'stream-counts' has never run: nothing to reset\n" })
  })

  describe('a rebuild in progress', () => {
    beforeAll(async () => {
      // What an interrupted first rebuild leaves: no active generation, generation 1 half built.
      await app.withStores((s) =>
        new ProjectionStates(s.documents).update('stream-counts', () => ({
          name: 'stream-counts',
          generation: 0,
          version: 1,
          partitions: 2,
          rebuilding: { generation: 1, version: 1, partitions: 2, startedAt: '2024-01-01T00:00:00.000Z' },
          updatedAt: '',
        })),
      )
    })

    it("is reported as 'rebuilding' with its own checkpoints", async () => {
      const [counts] = await status('stream-counts')
      expect(counts).toMatchObject({ state: 'rebuilding', active: null, rebuilding: { generation: 1, partitions: [{ partition: '0/2' }, { partition: '1/2' }] } })
      const human = await app.run(['projections', 'status', 'stream-counts'])
      expect(human.stdout).toMatch(/^stream-counts\s+rebuilding\s+-/m)
      expect(human.stdout).toMatch(/^stream-counts\s+1 \(rebuilding\)\s+0\/2\s+none\s+\d+$/m)
    })

    it.each([
      [['projections', 'run', 'stream-counts'], "projection 'stream-counts' has no read model yet: a first rebuild into generation 1 is in progress"],
      [['projections', 'rebuild', 'stream-counts', '--partitions', '3'], "a rebuild of 'stream-counts' into generation 1 with 2 partition(s) is in progress"],
    ])('refuses %j (exit 2, nothing changed)', async (args, message) => {
      const before = await app.fingerprint()
      const r = await app.run(args)
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(message)
      expect(await app.fingerprint()).toEqual(before)
    })

    it('is resumed by the rebuild command', async () => {
      const r = await app.run(['projections', 'rebuild', 'stream-counts', '--json'])
      expect(r.code).toBe(0)
      expect(jsonLines(r).at(-1)).toMatchObject({ type: 'result', generation: 1, resumed: true, eventsApplied: 13 })
      expect((await status('stream-counts'))[0]).toMatchObject({ state: 'caught-up', active: { generation: 1 } })
    })
  })

  it.each([
    [['projections', 'status', 'nope'], "Unknown projection 'nope' (known: tallies, event-counts, stream-counts)"],
    [['projections', 'run', 'tallies', 'nope'], "Unknown projection 'nope'"],
    [['projections', 'rebuild', 'nope'], "Unknown projection 'nope'"],
    [['projections', 'reset', 'nope'], "Unknown projection 'nope'"],
    [['projections', 'run', 'tallies', '--partitions', '0'], "option '--partitions <count>' argument '0' is invalid. Expected a whole number from 1 to 1024"],
    [['projections', 'run', 'tallies', '--partitions', 'two'], "option '--partitions <count>' argument 'two' is invalid"],
    [['projections', 'rebuild', 'tallies', '--partitions', '1025'], "option '--partitions <count>' argument '1025' is invalid"],
    [['projections', 'rebuild', 'tallies', '--partitions', '1.5'], "option '--partitions <count>' argument '1.5' is invalid"],
    [['projections', 'run', 'tallies', '--partitions', '3'], "projection 'tallies' is built with 2 partition(s), not 3: run it with --partitions 2"],
    [['projections', 'rebuild'], "missing required argument 'name'"],
  ])('exits 2 on %j, says why, and changes nothing', async (args, message) => {
    const before = await app.fingerprint()
    const r = await app.run(args)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(message)
    expect(await app.fingerprint()).toEqual(before)
  })
})
