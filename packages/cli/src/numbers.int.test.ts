import { ensureBuilt } from './test-support/build'
import { createFixtureApp, seedTallies, type FixtureApp } from './test-support/fixture-app'
import { parseJson } from './test-support/run-cli'

const HUGE = '99999999999999999999999'
const INT64_MAX = '9223372036854775807'

describe('numeric arguments out of range', () => {
  let app: FixtureApp
  beforeAll(async () => {
    ensureBuilt()
    app = createFixtureApp()
    await app.withStores((stores) => seedTallies(stores, { streams: 1, perStream: 3 }))
  })
  afterAll(() => app.remove())

  it.each([
    [['streams', 'read', 'Tally-t0', '--from', HUGE]],
    [['streams', 'read', 'Tally-t0', '--from', HUGE, '--json']],
    [['streams', 'read', 'Tally-t0', '--from', '9223372036854775808', '--json']],
    [['streams', 'read', 'Tally-t0', '--from', '-1']],
    [['streams', 'read', 'Tally-t0', '--from', '1.5']],
    [['streams', 'read', 'Tally-t0', '--limit', HUGE, '--json']],
    [['streams', 'read', 'Tally-t0', '--limit', '0']],
    [['streams', 'truncate', 'Tally-t0', '--before', HUGE]],
    [['replay', 'Tally-t0', '--to-revision', HUGE, '--json']],
    [['replay', 'Tally-t0', '--to-revision', '-3']],
    [['projections', 'run', '--partitions', HUGE, '--catch-up']],
    [['projections', 'rebuild', 'tallies', '--partitions', '1.5']],
    [['projections', 'rebuild', 'tallies', '--batch-size', HUGE]],
  ])('%j is a usage error: exit 2, nothing on stdout, one eventfold: error line', async (args) => {
    const r = await app.run(args)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^eventfold: error: option '--[a-z-]+ <[a-z]+>' argument '[^']*' is invalid\. Expected a (revision: a )?whole number/)
  })

  it('reads from the largest revision a store can hold: valid, empty JSON', async () => {
    const r = await app.run(['streams', 'read', 'Tally-t0', '--from', INT64_MAX, '--json'])
    expect(r.code).toBe(0)
    expect(parseJson(r)).toEqual([])
  })

  it('a --json read that fails prints nothing on stdout', async () => {
    const r = await app.run(['streams', 'read', 'Tally-nope', '--json'])
    expect(r).toMatchObject({ code: 2, stdout: '' })
  })
})
