import { ProjectionStates } from '@eventfold/projections'
import { physicalCollection } from '@eventfold/projections/spi'
import { ensureBuilt } from './test-support/build'
import { createFixtureApp, fixtureConfigJs, seedTallies, type FixtureApp } from './test-support/fixture-app'
import { parseJson } from './test-support/run-cli'

interface PreviewJson {
  completed: boolean
  projection: string
  liveGeneration: number | null
  previewGeneration: number
  kept: boolean
  added: { count: number; sample: { collection: string; id: string }[] }
  removed: { count: number; sample: { collection: string; id: string }[] }
  changed: { count: number; sample: { collection: string; id: string; fields: { path: string; old?: unknown; new?: unknown }[]; fieldCount: number }[] }
  unchanged: number
}

/** The config's `tallies` projection prefixes its labels with `LABEL_PREFIX`: changing that variable changes the handler. */
const CONFIG = (db: string): Record<string, string> => ({
  'eventfold.config.js': fixtureConfigJs(db, {
    preamble: `
      const container = {
        isBound: (c) => c === app.Tallies,
        get: () => new app.Tallies({ labelPrefix: process.env.LABEL_PREFIX ?? '' }),
      }`,
    properties: 'container,',
  }),
})

describe('eventfold projections rebuild --preview', () => {
  let app: FixtureApp

  /** Everything a preview could disturb, but the projection state's own timestamp. */
  const live = async () => {
    const { collections, ...rest } = (await app.fingerprint()) as { collections: Record<string, unknown> }
    // The rebuild's lease (released when the preview ends) is bookkeeping, not the live read model.
    const { _ef_projections: states, _ef_leases: _leases, ...readModels } = collections
    const state = await app.withStores((s) => new ProjectionStates(s.documents).get('tallies'))
    return { ...rest, readModels, stateCount: (states as unknown[]).length, generation: state?.generation, rebuilding: state?.rebuilding }
  }

  beforeAll(async () => {
    ensureBuilt()
    app = createFixtureApp({ config: CONFIG })
    await app.withStores((s) => seedTallies(s, { streams: 3, perStream: 3 }))
    expect((await app.run(['projections', 'run', 'tallies', '--catch-up'])).code).toBe(0)
    // Appended after the live run: the live read model has not seen it yet, the preview has.
    await app.withStores((s) => seedTallies(s, { streams: 1, perStream: 2, prefix: 'late' }))
  })
  afterAll(() => app.remove())

  it('lists exactly the documents a changed handler changes, and leaves the live generation as it was', async () => {
    const before = await live()

    const r = await app.run(['projections', 'rebuild', 'tallies', '--preview', '--json'], { env: { LABEL_PREFIX: 'v2: ' } })

    expect(r).toMatchObject({ code: 0, stderr: '' })
    const preview = parseJson<PreviewJson>(r)
    expect(preview).toMatchObject({ completed: true, projection: 'tallies', liveGeneration: 1, previewGeneration: 2, kept: false, unchanged: 0 })
    expect(preview.added).toEqual({ count: 1, sample: [{ collection: 'tallies', id: 'Tally-late0' }] })
    expect(preview.removed).toEqual({ count: 0, sample: [] })
    expect(preview.changed).toEqual({
      count: 3,
      sample: ['t0', 't1', 't2'].map((t) => ({
        collection: 'tallies',
        id: `Tally-${t}`,
        fields: [{ path: 'label', old: `label ${t}`, new: `v2: label ${t}` }],
        fieldCount: 1,
      })),
    })
    expect(await live()).toEqual(before)
  })

  it('with the handler unchanged, lists only what the live read model has not applied yet', async () => {
    const r = await app.run(['projections', 'rebuild', 'tallies', '--preview', '--json'])
    expect(r.code).toBe(0)
    expect(parseJson<PreviewJson>(r)).toMatchObject({ added: { count: 1 }, removed: { count: 0 }, changed: { count: 0, sample: [] }, unchanged: 3 })
  })

  it('prints a table for a person, the first --sample of each kind', async () => {
    const r = await app.run(['projections', 'rebuild', 'tallies', '--preview', '--sample', '1'], { env: { LABEL_PREFIX: 'v2: ' } })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^added 1, removed 0, changed 3, unchanged 0$/m)
    expect(r.stdout).toMatch(/^CHANGE\s+COLLECTION\s+ID\s+FIELD\s+OLD\s+NEW$/m)
    expect(r.stdout).toMatch(/^added\s+tallies\s+Tally-late0$/m)
    expect(r.stdout).toMatch(/^changed\s+tallies\s+Tally-t0\s+label\s+"label t0"\s+"v2: label t0"$/m)
    expect(r.stdout).not.toMatch(/Tally-t1/)
    expect(r.stdout).toMatch(/generation \d+ dropped/)
  })

  it('keeps the preview generation with --keep, and a rebuild then switches readers to it', async () => {
    const kept = parseJson<PreviewJson>(await app.run(['projections', 'rebuild', 'tallies', '--preview', '--keep', '--json'], { env: { LABEL_PREFIX: 'v2: ' } }))
    expect(kept).toMatchObject({ kept: true, liveGeneration: 1 })
    expect((await live()).generation).toBe(1)
    expect((await live()).rebuilding?.generation).toBe(kept.previewGeneration)

    const r = await app.run(['projections', 'rebuild', 'tallies', '--json'], { env: { LABEL_PREFIX: 'v2: ' } })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/"type":"result".*"resumed":true/)
    const doc = await app.withStores((s) => s.documents.get(physicalCollection('tallies', kept.previewGeneration), 'Tally-t0'))
    expect(doc).toMatchObject({ label: 'v2: label t0' })
    expect((await live()).generation).toBe(kept.previewGeneration)
  })

  it.each([
    [['--keep'], /--keep only goes with --preview/],
    [['--sample', '3'], /--sample only goes with --preview/],
    [['--preview', '--sample', 'x'], /Expected a whole number/],
  ])('refuses %j with exit 2 and changes nothing', async (args, message) => {
    const before = await live()
    const r = await app.run(['projections', 'rebuild', 'tallies', ...args])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
    expect(await live()).toEqual(before)
  })

  it('an unknown projection exits 2 naming it', async () => {
    const r = await app.run(['projections', 'rebuild', 'nope', '--preview'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/nope/)
  })
})
