import { ensureBuilt } from './test-support/build'
import { createFixtureApp, seedTallies, type FixtureApp } from './test-support/fixture-app'
import { parseJson } from './test-support/run-cli'

/** Event `r` of every seeded stream occurred on January r+1st, 2024. */
const day = (r: number): string => `2024-01-${String(r + 1).padStart(2, '0')}T00:00:00.000Z`

describe('eventfold replay', () => {
  let app: FixtureApp
  beforeAll(async () => {
    ensureBuilt()
    app = createFixtureApp()
    await app.withStores(async (stores) => {
      await seedTallies(stores, { streams: 2, perStream: 5, occurredAt: day })
      await stores.eventStore.appendToStream('Audit-1', [
        { type: 'Noted', data: { text: 'a' }, metadata: { occurredAt: day(0) } },
        { type: 'Noted', data: { text: 'b' }, metadata: { occurredAt: day(1) } },
      ])
      await stores.eventStore.appendToStream('notes.book:n1', [
        { type: 'Noted', data: { text: 'first' }, metadata: { occurredAt: day(0) } },
        { type: 'Noted', data: { text: 'second' }, metadata: { occurredAt: day(1) } },
      ])
    })
  })
  afterAll(() => app.remove())

  it("shows the aggregate's state at a revision and the events that built it", async () => {
    const r = await app.run(['replay', 'Tally-t1', '--to-revision', '2', '--json'])
    expect(r.code).toBe(0)
    const report = parseJson<{ events: { revision: string }[] }>(r)
    expect(report).toMatchObject({
      streamId: 'Tally-t1',
      aggregate: 'Tally',
      revision: '2',
      lastRevision: '4',
      state: { label: 'label t1', total: 3, increments: 2 },
    })
    expect(report.events.map((e) => e.revision)).toEqual(['0', '1', '2'])
  })

  it('replays the whole stream by default, as a readable report', async () => {
    const r = await app.run(['replay', 'Tally-t0'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Tally-t0 at revision 4 of 4')
    expect(r.stdout).toContain('state of Tally:')
    expect(r.stdout).toContain('"total": 10')
    expect(r.stdout).toContain('events (5):')
    expect(r.stdout).toMatch(/^\s+4\s+5\s+TallyIncremented\s+2024-01-05T00:00:00.000Z/m)
  })

  it('stops at a point in time with --until', async () => {
    const r = await app.run(['replay', 'Tally-t0', '--until', '2024-01-03T00:00:00Z', '--json'])
    expect(parseJson(r)).toMatchObject({ revision: '2', state: { total: 3, increments: 2 } })
    const before = await app.run(['replay', 'Tally-t0', '--until', '2023-12-31', '--json'])
    expect(parseJson(before)).toMatchObject({ revision: null, state: { label: '', total: 0 }, events: [] })
  })

  it('finds an aggregate by its own stream prefix', async () => {
    const r = await app.run(['replay', 'notes.book:n1', '--to-revision', '0', '--json'])
    expect(r.code).toBe(0)
    expect(parseJson(r)).toMatchObject({ streamId: 'notes.book:n1', aggregate: 'Notebook', revision: '0', state: { notes: ['first'] } })
  })

  it('shows only the events, and says so, when no aggregate of the config has the stream', async () => {
    const r = await app.run(['replay', 'Audit-1', '--json'])
    expect(r.code).toBe(0)
    const report = parseJson<{ events: unknown[]; state?: unknown }>(r)
    expect(report).toMatchObject({ aggregate: null, revision: '1', note: "no aggregate in the config has the stream 'Audit-1': showing the events only" })
    expect(report.events).toHaveLength(2)
    expect(report).not.toHaveProperty('state')
    const human = await app.run(['replay', 'Audit-1', '--to-revision', '0'])
    expect(human.stdout).toContain("note: no aggregate in the config has the stream 'Audit-1'")
    expect(human.stdout).toContain('events (1):')
  })

  it.each([
    [['replay', 'Tally-t7'], "stream 'Tally-t7' does not exist"],
    [['replay', ''], "stream '' does not exist: a stream id is never empty"],
    [['replay', 'Tally-t0', '--to-revision', '5'], "stream 'Tally-t0' ends at revision 4; --to-revision 5 is past its end"],
    [['replay', 'Tally-t0', '--to-revision', 'two'], "option '--to-revision <revision>' argument 'two' is invalid"],
    [['replay', 'Tally-t0', '--to-revision', '-1'], "option '--to-revision <revision>' argument '-1' is invalid"],
    [['replay', 'Tally-t0', '--until', 'yesterday'], "option '--until <time>' argument 'yesterday' is invalid. Expected an ISO-8601 time"],
    [['replay', 'Tally-t0', '--until', '2024-02-30'], "option '--until <time>' argument '2024-02-30' is invalid"],
    [['replay', 'Tally-t0', '--until', '2024-01-01T25:00Z'], "option '--until <time>' argument '2024-01-01T25:00Z' is invalid"],
    [['replay', 'Tally-t0', '--to-revision', '1', '--until', '2024-01-02'], 'give --to-revision or --until, not both'],
  ])('exits 2 on %j, says why, and changes nothing', async (args, message) => {
    const before = await app.fingerprint()
    const r = await app.run(args)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(message)
    expect(r.stdout).toBe('')
    expect(await app.fingerprint()).toEqual(before)
  })
})
