import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CLI_ROOT, ensureBuilt } from './test-support/build'
import { createFixtureApp, fixtureConfigJs, seedTallies, type FixtureApp } from './test-support/fixture-app'
import { parseJson } from './test-support/run-cli'

const TRANSPORT = join(CLI_ROOT, 'dist/__fixtures__/file-transport.js')
const PUBLICATIONS = join(CLI_ROOT, 'dist/__fixtures__/tally-publications.js')

interface Line {
  readonly declared?: string
  readonly topic?: string
  readonly id?: string
  readonly key?: string
  readonly headers?: Record<string, string>
}

/** The fixture app with a relay in its config (and the transport module beside it). */
const relayApp = (relay = `{ publications: require(${JSON.stringify(PUBLICATIONS)}).publications }`): FixtureApp =>
  createFixtureApp({
    config: (db) => ({
      'eventfold.config.js': fixtureConfigJs(db, { properties: `relay: ${relay},` }),
      'transport.js': `module.exports = require(${JSON.stringify(TRANSPORT)})\n`,
    }),
  })

describe('eventfold relay', () => {
  let app: FixtureApp
  let outbox: string
  const env = () => ({ EVENTFOLD_TEST_OUTBOX: outbox })
  const published = (): Line[] =>
    existsSync(outbox)
      ? readFileSync(outbox, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Line)
          .filter((l) => l.id !== undefined)
      : []

  beforeAll(() => ensureBuilt())
  beforeEach(async () => {
    app = relayApp()
    outbox = join(app.dir, 'outbox.jsonl')
    await app.withStores((stores) => seedTallies(stores, { streams: 4, perStream: 3 }))
  })
  afterEach(() => app.remove())

  it('publishes the chosen events of the log once with --catch-up, and status shows it caught up', async () => {
    const before = await app.run(['relay', 'status', '--json'])
    expect(parseJson(before)).toEqual({ relay: 'default', partitions: [], head: '12', parked: 0 })

    const run = await app.run(['relay', 'run', '--catch-up', '--transport', 'transport.js', '--partitions', '2', '--json'], { env: env() })
    expect(run.stderr).toContain('via file until caught up')
    expect(run.code).toBe(0)
    const lines = published()
    expect(lines).toHaveLength(12)
    expect(new Set(lines.map((l) => l.id)).size).toBe(12)
    expect(lines.filter((l) => l.topic === 'tallies').map((l) => l.headers!['ef-type'])).toEqual(Array(4).fill('TallyOpened.v1'))
    expect(lines.every((l) => l.key === l.headers!['ef-stream'])).toBe(true)
    expect(parseJson<{ partition: string; published: number }[]>(run).map((p) => [p.partition, p.published])).toEqual(expect.arrayContaining([['0/2', expect.any(Number)], ['1/2', expect.any(Number)]]))

    const status = await app.run(['relay', 'status', '--json'])
    expect(parseJson(status)).toEqual({
      relay: 'default',
      head: '12',
      parked: 0,
      partitions: [
        { partition: '0/2', checkpoint: '12', lag: '0', owner: null },
        { partition: '1/2', checkpoint: '12', lag: '0', owner: null },
      ],
    })
    const table = await app.run(['relay', 'status'])
    expect(table.stdout).toMatch(/^PARTITION\s+CHECKPOINT\s+HEAD\s+LAG\s+OWNER$/m)
    expect(table.stdout).toMatch(/^1\/2\s+12\s+12\s+0\s+-$/m)

    // Run again: nothing more to publish.
    expect((await app.run(['relay', 'run', '--catch-up', '--transport', 'transport.js', '--partitions', '2'], { env: env() })).code).toBe(0)
    expect(published()).toHaveLength(12)
  })

  it('follows the log until SIGTERM, publishing what is appended, and stops after its batch', async () => {
    const relay = app.spawn(['relay', 'run', '--transport', 'transport.js'], { env: env() })
    await relay.waitFor(({ stderr }) => stderr.includes('Ctrl-C to stop'))
    await app.withStores((stores) => seedTallies(stores, { streams: 2, perStream: 3, prefix: 'late' }))
    await relay.waitFor(() => published().length === 18)
    relay.child.kill('SIGTERM')
    const result = await relay.exited
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^0\/1\s+18\s+18\s+/m)
  })

  it.each([
    ['no transport', ['relay', 'run', '--catch-up'], 'relay run needs a transport: --transport <module>, or transport (or relay.transport) in'],
    ['a transport module that does not exist', ['relay', 'run', '--transport', 'nowhere.js'], '--transport: no such file:'],
    ['a partition count below 1', ['relay', 'run', '--transport', 'transport.js', '--partitions', '0'], '--partitions'],
  ])('exits 2 on %s and changes nothing', async (_name, args, message) => {
    const before = await app.fingerprint()
    const r = await app.run(args, { env: env() })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(message)
    expect(await app.fingerprint()).toEqual(before)
    expect(published()).toEqual([])
  })

  it('exits 2 when the partition count differs from the one the relay ran with', async () => {
    expect((await app.run(['relay', 'run', '--catch-up', '--transport', 'transport.js'], { env: env() })).code).toBe(0)
    const r = await app.run(['relay', 'run', '--catch-up', '--transport', 'transport.js', '--partitions', '3'], { env: env() })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("relay 'default' runs with 1 partition(s), not 3")
    expect(published()).toHaveLength(12)
  })

  it('exits 2 on a config without a relay', async () => {
    const plain = createFixtureApp()
    try {
      const r = await plain.run(['relay', 'status'])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('the config has no relay')
    } finally {
      plain.remove()
    }
  })

  it('exits 2 on a relay config without publications', async () => {
    writeFileSync(join(app.dir, 'eventfold.config.js'), fixtureConfigJs(app.db, { properties: 'relay: { partitions: 2 },' }))
    const r = await app.run(['relay', 'status'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('relay.publications must be what definePublications(...) returns')
  })
})
