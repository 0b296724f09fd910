import { ReadModels } from '@eventfold/projections'
import { DEAD_LETTER_COLLECTION } from '@eventfold/projections/spi'
import { CLI_INDEX, ensureBuilt } from './test-support/build'
import { createFixtureApp, seedTallies, seededTotal, type FixtureApp } from './test-support/fixture-app'
import { parseJson } from './test-support/run-cli'

interface Letter {
  id: string
  projection: string
  partition: string
  generation: number
  attempts: number
  event: { type: string; streamId: string; revision: string; position: string }
  error: { name: string; message: string; stack?: string }
}

const PER_STREAM = 5

describe('eventfold dlq', () => {
  let app: FixtureApp
  const letters = async (...args: string[]): Promise<Letter[]> => {
    const r = await app.run(['dlq', 'list', ...args, '--json'])
    expect(r.code).toBe(0)
    return parseJson<Letter[]>(r)
  }
  const tallies = () => app.withStores((s) => new ReadModels(s.documents).collection('tallies').find({}, { sort: { _id: 1 } }))

  beforeAll(async () => {
    ensureBuilt()
    app = createFixtureApp()
    await app.withStores((s) => seedTallies(s, { streams: 4, perStream: PER_STREAM }))
  })
  afterAll(() => app.remove())

  it('starts empty', async () => {
    expect(await letters()).toEqual([])
    expect(await app.run(['dlq', 'list'])).toMatchObject({ code: 0, stdout: 'no dead letters\n' })
  })

  it('parks a poison event with its error, projects every other event, and applies it exactly once when retried after the fix', async () => {
    const poison = { EVENTFOLD_FIXTURE_POISON: 'Tally-t2@3' }
    const run = await app.run(['projections', 'run', 'tallies', '--catch-up'], { env: poison })
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^tallies\s+0\/1\s+1\s+20\s+19\s+\d+\s+1$/m)

    const [letter, ...others] = await letters('--projection', 'tallies')
    expect(others).toEqual([])
    expect(letter).toMatchObject({
      projection: 'tallies',
      partition: '0/1',
      generation: 1,
      attempts: 3,
      event: { type: 'TallyIncremented', streamId: 'Tally-t2', revision: '3', position: '14' },
      error: { name: 'Error', message: 'poisoned event Tally-t2@3', stack: expect.stringContaining('assertNotPoisoned') },
    })
    const human = await app.run(['dlq', 'list'])
    expect(human.stdout).toMatch(new RegExp(`^${letter!.id}\\s+tallies\\s+0/1\\s+TallyIncremented Tally-t2@3\\s+14\\s+3\\s+\\S+\\s+Error: poisoned event Tally-t2@3$`, 'm'))
    expect((await app.run(['projections', 'status', 'tallies', '--json'])).stdout).toContain('"deadLetters":1')

    // Every other event is projected; the poison one is missing from its stream's count.
    const projected = await tallies()
    expect(projected.map((d) => [d._id, d.applied, d.total])).toEqual([
      ['Tally-t0', PER_STREAM, seededTotal(PER_STREAM)],
      ['Tally-t1', PER_STREAM, seededTotal(PER_STREAM)],
      ['Tally-t2', PER_STREAM - 1, seededTotal(PER_STREAM) - 3],
      ['Tally-t3', PER_STREAM, seededTotal(PER_STREAM)],
    ])

    // Still broken: the retry fails (exit 1), the letter stays with one more attempt, nothing is applied.
    const failed = await app.run(['dlq', 'retry', letter!.id], { env: poison })
    expect(failed.code).toBe(1)
    expect(failed.stderr).toContain(`retrying dead letter '${letter!.id}' failed again, it stays parked (attempts 4): poisoned event Tally-t2@3`)
    expect(await letters()).toEqual([expect.objectContaining({ id: letter!.id, attempts: 4 })])
    expect(await tallies()).toEqual(projected)

    // Fixed: applied once, and removed.
    const retried = await app.run(['dlq', 'retry', letter!.id])
    expect(retried).toMatchObject({ code: 0, stdout: `applied TallyIncremented Tally-t2@3 (position 14) to 'tallies'; dead letter '${letter!.id}' removed\n` })
    expect(await letters()).toEqual([])
    const fixed = await tallies()
    expect(fixed.find((d) => d._id === 'Tally-t2')).toMatchObject({ applied: PER_STREAM, total: seededTotal(PER_STREAM) })

    // Neither a second retry nor running the worker again applies it twice.
    const again = await app.run(['dlq', 'retry', letter!.id])
    expect(again.code).toBe(2)
    expect(again.stderr).toContain(`no dead letter with id '${letter!.id}'`)
    expect((await app.run(['projections', 'run', 'tallies', '--catch-up'])).code).toBe(0)
    expect(await tallies()).toEqual(fixed)
  })

  it('discards a dead letter without applying it', async () => {
    await app.withStores((s) => s.eventStore.appendToStream('Tally-t0', [{ type: 'TallyIncremented', data: { tallyId: 't0', by: 100 } }]))
    const run = await app.run(['projections', 'run', 'tallies', '--catch-up'], { env: { EVENTFOLD_FIXTURE_POISON: `Tally-t0@${PER_STREAM}` } })
    expect(run.code).toBe(0)
    const [letter] = await letters()
    const before = await tallies()
    const r = await app.run(['dlq', 'discard', letter!.id, '--json'])
    expect(r.code).toBe(0)
    expect(parseJson(r)).toMatchObject({ id: letter!.id, projection: 'tallies', discarded: true, event: { streamId: 'Tally-t0', revision: String(PER_STREAM) } })
    expect(await letters()).toEqual([])
    expect(await tallies()).toEqual(before)
  })

  describe('bad input', () => {
    beforeAll(async () => {
      // One letter parked, so that "nothing changed" has something to keep.
      await app.withStores((s) => s.eventStore.appendToStream('Tally-t1', [{ type: 'TallyIncremented', data: { tallyId: 't1', by: 1 } }]))
      await app.run(['projections', 'run', 'tallies', '--catch-up'], { env: { EVENTFOLD_FIXTURE_POISON: `Tally-t1@${PER_STREAM}` } })
      expect(await letters()).toHaveLength(1)
    })

    it.each([
      [['dlq', 'retry', 'no-such-id'], "no dead letter with id 'no-such-id'"],
      [['dlq', 'discard', 'no-such-id'], "no dead letter with id 'no-such-id'"],
      [['dlq', 'retry', ''], "no dead letter with id '': a dead letter id is never empty"],
      [['dlq', 'discard', ''], "no dead letter with id '': a dead letter id is never empty"],
      [['dlq', 'discard', 'x'.repeat(1100)], `no dead letter with id '${'x'.repeat(40)}…': a dead letter id is at most 1024 bytes (this one has 1100)`],
      [['dlq', 'list', '--projection', 'nope'], "Unknown projection 'nope' (known: tallies, event-counts, stream-counts)"],
      [['dlq', 'retry'], "missing required argument 'id'"],
    ])('exits 2 on %j, says why, and changes nothing', async (args, message) => {
      const before = await app.fingerprint()
      const r = await app.run(args)
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(message)
      expect(await app.fingerprint()).toEqual(before)
    })

    it('exits 2 when the projection of a dead letter is not in the config', async () => {
      const [letter] = await letters()
      const other = createFixtureApp({
        config: () => ({
          'eventfold.config.js': `
            const { defineConfig, connectSqlite } = require(${JSON.stringify(CLI_INDEX)})
            module.exports = defineConfig({ connect: () => connectSqlite(${JSON.stringify(app.db)}), projections: [] })
          `,
        }),
      })
      try {
        const before = await app.fingerprint()
        const r = await other.run(['dlq', 'retry', letter!.id])
        expect(r.code).toBe(2)
        expect(r.stderr).toContain(`dead letter '${letter!.id}' belongs to projection 'tallies', which the config does not register (known: none)`)
        expect(await app.fingerprint()).toEqual(before)
      } finally {
        other.remove()
      }
    })
  })

  describe('after a rebuild', () => {
    let rebuilt: FixtureApp
    beforeAll(async () => {
      rebuilt = createFixtureApp()
      await rebuilt.withStores((s) => seedTallies(s, { streams: 2, perStream: PER_STREAM }))
    })
    afterAll(() => rebuilt.remove())

    it('never applies a letter of the generation the rebuild replaced: it is retired with it, and refused if it is still there', async () => {
      const poison = { EVENTFOLD_FIXTURE_POISON: 'Tally-t1@2' }
      expect((await rebuilt.run(['projections', 'run', 'tallies', '--catch-up'], { env: poison })).code).toBe(0)
      const listed = parseJson<Letter[]>(await rebuilt.run(['dlq', 'list', '--json']))
      expect(listed).toEqual([expect.objectContaining({ generation: 1 })])
      const letter = listed[0]!

      // The handler is fixed and the rebuild into generation 2 applies the event.
      expect((await rebuilt.run(['projections', 'rebuild', 'tallies', '--json'])).code).toBe(0)
      const read = () => rebuilt.withStores((s) => new ReadModels(s.documents).collection('tallies').find({}, { sort: { _id: 1 } }))
      const built = await read()
      expect(built.find((d) => d._id === 'Tally-t1')).toMatchObject({ applied: PER_STREAM })
      expect(parseJson<Letter[]>(await rebuilt.run(['dlq', 'list', '--json']))).toEqual([])

      // A letter of a retired generation still in the store (written by older code) is refused.
      await rebuilt.withStores(async (s) => {
        const { id, ...rest } = letter
        await s.documents.commit({
          writes: [{ kind: 'put', collection: DEAD_LETTER_COLLECTION, doc: { _id: id, ...rest }, meta: { revision: 1, positions: {} }, expectedRevision: 0 }],
        })
      })
      const r = await rebuilt.run(['dlq', 'retry', letter.id])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(
        `dead letter '${letter.id}' of 'tallies' was parked from generation 1, which is no longer in use (active generation: 2)`,
      )
      expect(await read()).toEqual(built)
    })
  })
})
