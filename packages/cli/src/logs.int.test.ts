import { ensureBuilt } from './test-support/build'
import { createFixtureApp, seedTallies, type FixtureApp } from './test-support/fixture-app'

describe('eventfold --log-level', () => {
  let app: FixtureApp

  beforeAll(async () => {
    ensureBuilt()
    app = createFixtureApp()
    await app.withStores(async (s) => {
      await seedTallies(s, { streams: 1, perStream: 2 })
      await s.eventStore.appendToStream('Tally-t0', [{ type: 'TallyIncremented', data: { tallyId: 't0', by: 5 }, metadata: { correlationId: 'order-77' } }])
    })
  })
  afterAll(() => app.remove())

  it('writes the framework’s logs as JSON lines on stderr, with the correlation id of the event they are about, and nothing on stdout', async () => {
    const poison = { EVENTFOLD_FIXTURE_POISON: 'Tally-t0@2' }
    const r = await app.run(['--log-level', 'info', 'projections', 'run', 'tallies', '--catch-up', '--json'], { env: poison })
    expect(r.code).toBe(0)
    // stdout holds the command's own JSON, one document, and no log line.
    expect(JSON.parse(r.stdout)).toMatchObject([{ projection: 'tallies', parked: 1 }])
    const logs = r.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: 'projection tallies: parking 3 after 3 attempts',
        worker: 'projection',
        name: 'tallies',
        partition: '0/1',
        key: '3',
        correlationId: 'order-77',
        err: expect.objectContaining({ message: 'poisoned event Tally-t0@2' }),
      }),
    )
  })

  it('refuses a level it does not know, as a usage error', async () => {
    const r = await app.run(['--log-level', 'loud', 'projections', 'list'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--log-level <level>' argument 'loud' is invalid/)
  })
})
