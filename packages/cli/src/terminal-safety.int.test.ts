import { ensureBuilt } from './test-support/build'
import { createFixtureApp, type FixtureApp } from './test-support/fixture-app'
import { parseJson, runCliOnTty, type CliResult } from './test-support/run-cli'

/** What may never reach a terminal raw (line ends excepted): C0, DEL, C1, bidi controls. */
const RAW_CONTROL = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/

const OSC52 = '\x1b]52;c;aGFja2Vk\x07'
const CLEAR = '\x1b[2J'
const EVIL_TYPE = `Noted${OSC52}${CLEAR}`
const EVIL_STREAM = `Tally-x${CLEAR}\u202e\u009b`

const expectNoRawControls = (r: CliResult): void => {
  expect(r.stdout).not.toMatch(RAW_CONTROL)
  expect(r.stderr).not.toMatch(RAW_CONTROL)
}

describe('terminal escape injection', () => {
  let app: FixtureApp
  beforeAll(async () => {
    ensureBuilt()
    app = createFixtureApp()
    await app.withStores(async ({ eventStore }) => {
      await eventStore.appendToStream('Audit-1', [{ type: EVIL_TYPE, data: { text: `bell\x07 csi\u009b rlo\u202e` } }])
      await eventStore.appendToStream(EVIL_STREAM, [
        { type: 'TallyOpened', data: { tallyId: 'x', label: 'x' } },
        { type: 'TallyIncremented', data: { tallyId: 'x', by: 1 } },
      ])
    })
    // A dead letter whose stream id and error message hold the same controls.
    const run = await app.run(['projections', 'run', 'tallies', '--catch-up'], { env: { EVENTFOLD_FIXTURE_POISON: `${EVIL_STREAM}@1` } })
    expect(run.code).toBe(0)
  })
  afterAll(() => app.remove())

  it.each([
    [['streams', 'read', 'Audit-1'], true],
    [['streams', 'list'], true],
    // The stream's events hold no controls; its id is not printed.
    [['streams', 'read', EVIL_STREAM], false],
    [['replay', 'Audit-1'], true],
    [['replay', EVIL_STREAM], true],
    [['dlq', 'list'], true],
  ])('%j on a terminal shows controls as visible escapes', async (args, showsClear) => {
    const r = await runCliOnTty(args, { cwd: app.dir })
    expect(r.code).toBe(0)
    expectNoRawControls(r)
    if (showsClear) expect(r.stdout).toMatch(/\\x1b\[2J/)
  })

  it('shows the OSC 52 event type as text on a terminal and in a pipe', async () => {
    const tty = await runCliOnTty(['streams', 'read', 'Audit-1'], { cwd: app.dir })
    expect(tty.stdout).toContain('Noted\\x1b]52;c;aGFja2Vk\\x07\\x1b[2J')
    const piped = await app.run(['streams', 'read', 'Audit-1'])
    expectNoRawControls(piped)
    expect(piped.stdout).toContain('Noted\\x1b]52;c;aGFja2Vk\\x07\\x1b[2J')
    expect(piped.stdout).toContain('\\u202e')
  })

  it.each([
    [['streams', 'read', 'Audit-1', '--json']],
    [['streams', 'list', '--json']],
    [['replay', EVIL_STREAM, '--json']],
    [['dlq', 'list', '--json']],
  ])('%j escapes C1 and bidi controls too, and is the same JSON value', async (args) => {
    const piped = await app.run(args)
    expect(piped.code).toBe(0)
    expectNoRawControls(piped)
    parseJson(piped)
    const tty = await runCliOnTty(args, { cwd: app.dir })
    expectNoRawControls(tty)
  })

  it('--json keeps the exact event type and data', async () => {
    const [event] = parseJson<{ type: string; data: { text: string } }[]>(await app.run(['streams', 'read', 'Audit-1', '--json']))
    expect(event).toMatchObject({ type: EVIL_TYPE, data: { text: `bell\x07 csi\u009b rlo\u202e` } })
  })

  it('escapes a dead letter retry that fails again, on one stderr line', async () => {
    const [letter] = parseJson<{ id: string }[]>(await app.run(['dlq', 'list', '--json']))
    const r = await app.run(['dlq', 'retry', letter!.id], { env: { EVENTFOLD_FIXTURE_POISON: `${EVIL_STREAM}@1` } })
    expect(r.code).toBe(1)
    expectNoRawControls(r)
    expect(r.stderr).toMatch(/^eventfold: error: retrying dead letter '.*' failed again, .*poisoned event Tally-x\\x1b\[2J\\u202e\\x9b@1\n$/)
  })

  it('quotes an unknown stream id holding a line break and escapes, on one line', async () => {
    const r = await app.run(['streams', 'read', `Account-1\n${CLEAR}`])
    expect(r).toMatchObject({ code: 2, stdout: '' })
    expect(r.stderr).toBe("eventfold: error: stream 'Account-1\\n\\x1b[2J' does not exist (see: eventfold streams list)\n")
  })

  it('escapes a bad argument echoed by a usage error', async () => {
    const r = await app.run(['streams', 'read', 'Audit-1', '--limit', `${CLEAR}`])
    expect(r.code).toBe(2)
    expectNoRawControls(r)
    expect(r.stderr).toMatch(/^eventfold: error: option '--limit <count>' argument '\\x1b\[2J' is invalid/)
  })
})
