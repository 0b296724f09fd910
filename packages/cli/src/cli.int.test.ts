import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { physicalCollection } from '@eventfold/projections/spi'
import { connectSqlite } from './config/sqlite'
import { CLI_INDEX, ensureBuilt, FIXTURE_APP } from './test-support/build'
import { createFixtureApp, fixtureConfigJs, seedTallies, type FixtureApp } from './test-support/fixture-app'
import { parseJson, runCli } from './test-support/run-cli'

const COMMANDS = [
  [],
  ['streams'],
  ['streams', 'list'],
  ['streams', 'read'],
  ['replay'],
  ['projections'],
  ['projections', 'list'],
  ['projections', 'status'],
  ['projections', 'run'],
  ['projections', 'rebuild'],
  ['projections', 'reset'],
  ['dlq'],
  ['dlq', 'list'],
  ['dlq', 'retry'],
  ['dlq', 'discard'],
  ['deadlines'],
  ['deadlines', 'list'],
  ['sagas'],
  ['sagas', 'list'],
  ['sagas', 'show'],
  ['relay'],
  ['relay', 'run'],
  ['relay', 'status'],
  ['serve'],
]

describe('eventfold (the built binary)', () => {
  let empty: string
  beforeAll(() => {
    ensureBuilt()
    empty = mkdtempSync(join(tmpdir(), 'eventfold-cli-empty-'))
  })
  afterAll(() => rmSync(empty, { recursive: true, force: true }))

  it.each(COMMANDS.map((c) => [c.join(' ') || '(top level)', c]))('prints help for %s and exits 0', async (_name, command) => {
    const r = await runCli([...command, '--help'], { cwd: empty })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`Usage: eventfold${command.length ? ' ' + command.join(' ') : ''}`)
  })

  it('prints its version', async () => {
    const r = await runCli(['--version'], { cwd: empty })
    expect(r).toMatchObject({ code: 0, stdout: '0.1.0\n' })
  })

  it.each([
    [['bogus'], "unknown command 'bogus'"],
    [['streams', 'bogus'], "unknown command 'bogus' for 'eventfold streams': expected one of list, read"],
    [['projections', 'bogus'], "unknown command 'bogus' for 'eventfold projections'"],
    [['dlq'], "'eventfold dlq' needs a command: list, retry, discard"],
    [['relay'], "'eventfold relay' needs a command: run, status"],
    [['streams', 'list', '--bogus'], "unknown option '--bogus'"],
    [['streams', 'read'], "missing required argument 'stream'"],
    [['streams', 'read', 'a', 'b'], 'too many arguments'],
    [['streams', 'read', 'a', '--from', 'x'], "option '--from <revision>' argument 'x' is invalid"],
  ])('exits 2 on the command line %j, saying what was wrong on one line', async (args, message) => {
    const r = await runCli(args, { cwd: empty })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(message)
    expect(r.stderr).toMatch(/^eventfold: error: [^\n]* \(add --help for usage\)\n$/)
  })

  it('exits 2 when there is no config file, naming the files it looked for', async () => {
    const r = await runCli(['streams', 'list'], { cwd: empty })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`no config file in ${empty}`)
    expect(r.stderr).toContain('eventfold.config.js')
    expect(r.stderr).toContain('--config')
  })

  it('exits 2 when --config names a missing file', async () => {
    const r = await runCli(['projections', 'list', '--config', 'nope.js'], { cwd: empty })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`config file not found: ${join(empty, 'nope.js')}`)
  })

  describe('config files', () => {
    const apps: FixtureApp[] = []
    const app = (files: (db: string) => Record<string, string>): FixtureApp => {
      const a = createFixtureApp({ config: files })
      apps.push(a)
      return a
    }
    afterAll(() => apps.forEach((a) => a.remove()))

    it('finds eventfold.config.js in the working directory', async () => {
      const a = createFixtureApp()
      apps.push(a)
      const r = await a.run(['projections', 'list', '--json'])
      expect(r.code).toBe(0)
      expect(parseJson<{ name: string }[]>(r).map((p) => p.name)).toEqual(['tallies', 'event-counts', 'stream-counts'])
    })

    it('takes --config from anywhere, before or after the command', async () => {
      const a = createFixtureApp()
      apps.push(a)
      const before = await runCli(['--config', join(a.dir, 'eventfold.config.js'), 'projections', 'list', '--json'], { cwd: empty })
      const after = await runCli(['projections', 'list', '-c', join(a.dir, 'eventfold.config.js'), '--json'], { cwd: empty })
      expect(before.code).toBe(0)
      expect(after.stdout).toBe(before.stdout)
    })

    it('loads eventfold.config.json: an SQLite file and modules exporting projections and aggregates, relative to the config', async () => {
      const a = app(() => ({ 'eventfold.config.json': JSON.stringify({ sqlite: 'json.db', modules: [FIXTURE_APP] }) }))
      const list = await a.run(['projections', 'list', '--json'])
      expect(parseJson<{ name: string }[]>(list).map((p) => p.name)).toEqual(['tallies', 'event-counts', 'stream-counts'])
      // The stores open on json.db beside the config: seed it and read it back through the CLI.
      const stores = await connectSqlite(join(a.dir, 'json.db'))
      await seedTallies(stores, { streams: 2, perStream: 3 })
      await stores.close()
      const streams = await a.run(['streams', 'list', '--json'])
      expect(parseJson(streams)).toEqual([
        { streamId: 'Tally-t0', lastRevision: '2', lastPosition: '3', events: 3 },
        { streamId: 'Tally-t1', lastRevision: '2', lastPosition: '6', events: 3 },
      ])
      const replay = await a.run(['replay', 'Tally-t1', '--json'])
      expect(parseJson(replay)).toMatchObject({ aggregate: 'Tally', state: { total: 3, increments: 2 } })
    })

    it('browses the log with a JSON config that names no modules, and says what needs them', async () => {
      const a = app(() => ({ 'eventfold.config.json': JSON.stringify({ sqlite: 'bare.db' }) }))
      const stores = await connectSqlite(join(a.dir, 'bare.db'))
      await seedTallies(stores, { streams: 1, perStream: 2 })
      await stores.close()
      const streams = await a.run(['streams', 'list', '--json'])
      expect(parseJson(streams)).toEqual([{ streamId: 'Tally-t0', lastRevision: '1', lastPosition: '2', events: 2 }])
      const replay = await a.run(['replay', 'Tally-t0'])
      expect(replay.code).toBe(0)
      expect(replay.stdout).toContain("no aggregate in the config has the stream 'Tally-t0'")
      const run = await a.run(['projections', 'run', '--catch-up'])
      expect(run).toMatchObject({ code: 2, stderr: 'eventfold: error: the config registers no projections\n' })
    })

    it.each([
      ['{ "sqlite": ', 'not valid JSON'],
      ['{ "sqlite": "a.db", "modules": ["x.js"], "mongo": "x" }', 'unknown key(s) "mongo"'],
      ['{ "modules": ["x.js"] }', '"sqlite" must be the path of the SQLite file'],
      ['{ "sqlite": "a.db", "modules": "./lib.js" }', '"modules" must be an array of module paths'],
      ['{ "sqlite": "a.db", "modules": [""] }', '"modules" must be an array of module paths'],
      ['{ "sqlite": "a.db", "modules": ["./lib.js"] }', 'module ./lib.js exports none of projections, aggregates, upcasters'],
    ])('exits 2 on the JSON config %s', async (json, message) => {
      const a = app(() => ({ 'eventfold.config.json': json, 'lib.js': 'module.exports = { other: 1 }' }))
      const r = await a.run(['projections', 'list'])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(message)
    })

    it("names the config when its connect() throws an error of the application's own", async () => {
      const a = app(() => ({
        'eventfold.config.js': `module.exports = { connect: async () => { throw new Error('ECONNREFUSED 127.0.0.1:5432') }, projections: [] }`,
      }))
      const r = await a.run(['streams', 'list'])
      expect(r).toMatchObject({ code: 1, stdout: '' })
      expect(r.stderr).toBe(`eventfold: error: connecting through ${join(a.dir, 'eventfold.config.js')} (its connect()) failed: ECONNREFUSED 127.0.0.1:5432\n`)
    })

    it('loads an ES module config (eventfold.config.mjs)', async () => {
      const a = app((db) => ({
        'eventfold.config.mjs': `
          import cli from ${JSON.stringify(CLI_INDEX)}
          import fixture from ${JSON.stringify(FIXTURE_APP)}
          export default cli.defineConfig({ connect: () => cli.connectSqlite(${JSON.stringify(db)}), projections: [fixture.Tallies] })
        `,
      }))
      const r = await a.run(['projections', 'list', '--json'])
      expect(r.code).toBe(0)
      expect(parseJson<{ name: string }[]>(r).map((p) => p.name)).toEqual(['tallies'])
    })

    const nodeStripsTypes = Boolean((process.features as { typescript?: unknown }).typescript)
    ;(nodeStripsTypes ? it.skip : it)('exits 2 on eventfold.config.ts, saying to compile it to JavaScript', async () => {
      const a = app(() => ({ 'eventfold.config.ts': 'export default {}' }))
      const r = await a.run(['projections', 'list'])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('compile the config to JavaScript')
    })

    it.each([
      ['module.exports = {}', 'connect must be a function'],
      ['module.exports = { connect() {}, projections: {} }', 'projections must be an array'],
      ['module.exports = { connect() {}, projections: [class NotAProjection {}] }', 'projection class NotAProjection is not decorated with @Projection'],
      [`const app = require(${JSON.stringify(FIXTURE_APP)}); module.exports = { connect() {}, projections: [app.Tallies, app.Tallies] }`, "two projections are named 'tallies'"],
    ])('exits 2 on a config of the wrong shape: %s', async (source, message) => {
      const a = app(() => ({ 'eventfold.config.js': source }))
      const r = await a.run(['projections', 'list'])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(message)
    })

    it('exits 1 when loading the config throws', async () => {
      const a = app(() => ({ 'eventfold.config.js': 'throw new Error("boom in config")' }))
      const r = await a.run(['projections', 'list'])
      expect(r.code).toBe(1)
      expect(r.stderr).toContain('boom in config')
    })

    it.each([
      [['streams', 'list'], 'does not exist'],
      [['projections', 'run', '--catch-up'], 'cannot be created: the directory /nonexistent-dir does not exist'],
    ])('exits 1 when the stores cannot be opened (%j), naming the file', async (args, problem) => {
      const a = app(() => ({ 'eventfold.config.js': fixtureConfigJs('/nonexistent-dir/app.db') }))
      const r = await a.run(args)
      expect(r.code).toBe(1)
      expect(r.stderr).toBe(`eventfold: error: SQLite file /nonexistent-dir/app.db ${problem}\n`)
    })

    it.each([
      ['eventfold.config.js', "require('./no-such-module')", 'eventfold.config.js'],
      ['eventfold.config.json', JSON.stringify({ sqlite: 'app.db', modules: ['./no-such-module.js'] }), 'eventfold.config.json'],
    ])('exits 1 with one line when %s names a module that does not exist', async (name, source, file) => {
      const a = app(() => ({ [name]: source }))
      const r = await a.run(['projections', 'list'])
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(new RegExp(`^eventfold: error: loading ${join(a.dir, file)} failed: Cannot find module '[^']*no-such-module[^']*'\n$`))
      expect(r.stderr).not.toContain('Require stack')
    })

    it.each([
      ['eventfold.config.js', () => fixtureConfigJs('data/app.db')],
      ['eventfold.config.json', () => JSON.stringify({ sqlite: 'data/app.db', modules: [FIXTURE_APP] })],
    ])('opens a relative SQLite path of %s relative to the config file, from any working directory', async (name, source) => {
      const a = app(() => ({ [name]: source() }))
      mkdirSync(join(a.dir, 'data'))
      const stores = await connectSqlite(join(a.dir, 'data/app.db'))
      await seedTallies(stores, { streams: 1, perStream: 2 })
      await stores.close()
      for (const cwd of [a.dir, empty]) {
        const r = await runCli(['streams', 'list', '--json', '-c', join(a.dir, name)], { cwd })
        expect(parseJson(r)).toEqual([{ streamId: 'Tally-t0', lastRevision: '1', lastPosition: '2', events: 2 }])
      }
      expect(readdirSync(empty)).toEqual([])
    })

    it('resolves projection classes bound in the config container, and builds the others with new', async () => {
      const a = app((db) => ({
        'eventfold.config.js': fixtureConfigJs(db, {
          preamble: `
            const { Container } = require(${JSON.stringify(require.resolve('inversify'))})
            const container = new Container()
            container.bind(app.Tallies).toConstantValue(new app.Tallies({ labelPrefix: 'from the container: ' }))`,
          properties: 'container,',
        }),
      }))
      await a.withStores((s) => seedTallies(s, { streams: 1, perStream: 2 }))
      const r = await a.run(['projections', 'run', '--catch-up'])
      expect(r.code).toBe(0)
      const doc = await a.withStores((s) => s.documents.get(physicalCollection('tallies', 1), 'Tally-t0'))
      expect(doc).toMatchObject({ label: 'from the container: label t0', applied: 2 })
    })
  })

  describe('when the reader closes the output early (| head)', () => {
    let app: FixtureApp
    beforeAll(async () => {
      app = createFixtureApp()
      // Far more output than a pipe holds, so the command is still writing when the reader goes.
      await app.withStores((s) => seedTallies(s, { streams: 1, perStream: 10000 }))
    })
    afterAll(() => app.remove())

    it.each([
      [['streams', 'read', 'Tally-t0']],
      [['streams', 'read', 'Tally-t0', '--json']],
      [['replay', 'Tally-t0', '--json']],
    ])('%j stops quietly with exit 141, as a tool killed by SIGPIPE', async (args) => {
      const running = app.spawn(args)
      await running.waitFor(({ stdout }) => stdout.length > 0)
      running.child.stdout!.destroy()
      const r = await running.exited
      expect(r.stderr).toBe('')
      expect(r.code).toBe(141)
    })
  })
})
