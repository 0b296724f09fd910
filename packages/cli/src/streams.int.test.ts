import { ensureBuilt } from './test-support/build'
import { createFixtureApp, seedTallies, type FixtureApp } from './test-support/fixture-app'
import { parseJson } from './test-support/run-cli'

describe('eventfold streams', () => {
  let app: FixtureApp
  beforeAll(async () => {
    ensureBuilt()
    app = createFixtureApp()
    await app.withStores(async (stores) => {
      await seedTallies(stores, { streams: 3, perStream: 4 })
      await stores.eventStore.appendToStream('Audit-1', [{ type: 'Noted', data: { text: 'hello' } }])
    })
  })
  afterAll(() => app.remove())

  describe('list', () => {
    it('lists every stream with its last revision and event count', async () => {
      const r = await app.run(['streams', 'list'])
      expect(r.code).toBe(0)
      expect(r.stdout.split('\n')[0]).toMatch(/^STREAM\s+LAST REVISION\s+EVENTS$/)
      expect(r.stdout).toMatch(/^Tally-t1\s+3\s+4$/m)
      expect(r.stdout).toMatch(/^Audit-1\s+0\s+1$/m)
    })

    it('prints JSON with --json, revisions and positions as strings', async () => {
      const r = await app.run(['streams', 'list', '--json'])
      expect(parseJson(r)).toEqual([
        { streamId: 'Audit-1', lastRevision: '0', lastPosition: '13', events: 1 },
        { streamId: 'Tally-t0', lastRevision: '3', lastPosition: '4', events: 4 },
        { streamId: 'Tally-t1', lastRevision: '3', lastPosition: '8', events: 4 },
        { streamId: 'Tally-t2', lastRevision: '3', lastPosition: '12', events: 4 },
      ])
    })

    it('keeps one category with --category', async () => {
      const r = await app.run(['streams', 'list', '--category', 'Audit', '--json'])
      expect(parseJson<{ streamId: string }[]>(r).map((s) => s.streamId)).toEqual(['Audit-1'])
      const none = await app.run(['streams', 'list', '--category', 'Nothing'])
      expect(none).toMatchObject({ code: 0, stdout: "no streams in category 'Nothing'\n" })
    })

    it('says so when the log is empty', async () => {
      const fresh = createFixtureApp()
      try {
        await fresh.withStores(async () => undefined)
        expect(await fresh.run(['streams', 'list'])).toMatchObject({ code: 0, stdout: 'the log is empty\n' })
      } finally {
        fresh.remove()
      }
    })
  })

  describe('read', () => {
    it('prints the events of a stream as a table', async () => {
      const r = await app.run(['streams', 'read', 'Tally-t1'])
      expect(r.code).toBe(0)
      const lines = r.stdout.trimEnd().split('\n')
      expect(lines[0]).toMatch(/^REVISION\s+POSITION\s+TYPE\s+OCCURRED AT\s+DATA$/)
      expect(lines).toHaveLength(5)
      expect(lines[2]).toMatch(/^\s*1\s+6\s+TallyIncremented\s+\S+\s+\{"tallyId":"t1","by":1\}$/)
    })

    it('pages with --from and --limit, and prints JSON with --json', async () => {
      const r = await app.run(['streams', 'read', 'Tally-t1', '--from', '1', '--limit', '2', '--json'])
      expect(r.code).toBe(0)
      const events = parseJson<Record<string, unknown>[]>(r)
      expect(events).toEqual([
        expect.objectContaining({ streamId: 'Tally-t1', revision: '1', position: '6', type: 'TallyIncremented', data: { tallyId: 't1', by: 1 } }),
        expect.objectContaining({ revision: '2', position: '7', data: { tallyId: 't1', by: 2 } }),
      ])
      expect(events[0]!.metadata).toMatchObject({ eventId: expect.any(String), occurredAt: expect.any(String), schemaVersion: 1 })
    })

    it('says where the stream ends when --from is past it', async () => {
      const r = await app.run(['streams', 'read', 'Tally-t1', '--from', '10'])
      expect(r).toMatchObject({ code: 0, stdout: "no events in 'Tally-t1' from revision 10 (it ends at revision 3)\n" })
      expect(parseJson(await app.run(['streams', 'read', 'Tally-t1', '--from', '10', '--json']))).toEqual([])
    })

    it.each([
      [['streams', 'read', 'Tally-t9'], "stream 'Tally-t9' does not exist"],
      [['streams', 'read', ''], "stream '' does not exist: a stream id is never empty"],
      [['streams', 'read', 'T'.repeat(1100)], `stream '${'T'.repeat(40)}…' does not exist: a stream id is at most 1024 bytes (this one has 1100)`],
      [['streams', 'read', 'Tally-t1', '--from', 'abc'], "option '--from <revision>' argument 'abc' is invalid"],
      [['streams', 'read', 'Tally-t1', '--from', '-1'], "option '--from <revision>' argument '-1' is invalid"],
      [['streams', 'read', 'Tally-t1', '--from', '1.5'], "option '--from <revision>' argument '1.5' is invalid"],
      [['streams', 'read', 'Tally-t1', '--limit', '0'], "option '--limit <count>' argument '0' is invalid. Expected a whole number from 1"],
      [['streams', 'read', 'Tally-t1', '--limit', '2x'], "option '--limit <count>' argument '2x' is invalid"],
      [['streams', 'list', '--category'], "option '--category <category>' argument missing"],
      [['streams', 'truncate', 'Tally-t1'], "required option '--before <revision>' not specified"],
      [['streams', 'truncate', 'Tally-t1', '--before', 'x'], "option '--before <revision>' argument 'x' is invalid"],
      [['streams', 'delete', 'Tally-t1'], 'cannot delete streams: it keeps every event (EventStoreDB can)'],
      [['streams', 'delete', 'Tally-t1', '--hard'], 'cannot delete streams'],
      [['streams', 'truncate', 'Tally-t1', '--before', '2'], 'cannot truncate streams'],
    ])('exits 2 on %j, says why, and changes nothing', async (args, message) => {
      const before = await app.fingerprint()
      const r = await app.run(args)
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(message)
      expect(r.stdout).toBe('')
      expect(await app.fingerprint()).toEqual(before)
    })
  })
})
