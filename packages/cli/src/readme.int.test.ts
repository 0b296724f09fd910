import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI_ROOT, ensureBuilt, REPO_ROOT } from './test-support/build'
import { parseJson, runCli } from './test-support/run-cli'

const EXAMPLES = join(CLI_ROOT, 'examples/bank-account')
const EXAMPLE_FILES = ['eventfold.config.js', 'eventfold.config.json', 'eventfold-app.js']

describe('the README examples (the bank sample)', () => {
  let dir: string
  beforeAll(() => {
    ensureBuilt()
    execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'samples/bank-account'], { cwd: REPO_ROOT, stdio: 'pipe' })
    dir = mkdtempSync(join(tmpdir(), 'eventfold-cli-readme-'))
    // Linked, not copied: the examples require the sample relative to where they really are.
    for (const f of EXAMPLE_FILES) symlinkSync(join(EXAMPLES, f), join(dir, f))
    execFileSync(process.execPath, [join(REPO_ROOT, 'samples/bank-account/dist/main.js')], {
      cwd: dir,
      env: { ...process.env, EVENTFOLD_DB: join(dir, 'bank-demo.db') },
      stdio: 'pipe',
    })
  }, 60000)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('shows the application tsconfig verbatim, and it compiles an application with this TypeScript', () => {
    const tsconfig = join(CLI_ROOT, 'examples/app-tsconfig/tsconfig.json')
    const readme = readFileSync(join(CLI_ROOT, 'README.md'), 'utf8')
    expect(readme).toContain('```json\n' + readFileSync(tsconfig, 'utf8') + '```')
    execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', tsconfig, '--noEmit'], { cwd: REPO_ROOT, stdio: 'pipe' })
  })

  it('shows every example file verbatim', () => {
    const readme = readFileSync(join(CLI_ROOT, 'README.md'), 'utf8')
    for (const f of EXAMPLE_FILES) expect(readme).toContain(readFileSync(join(EXAMPLES, f), 'utf8').trimEnd())
  })

  it('runs the commands of the README on the demo log with eventfold.config.js', async () => {
    const streams = await runCli(['streams', 'list', '--json'], { cwd: dir })
    expect(parseJson<{ streamId: string }[]>(streams).map((s) => s.streamId)).toEqual(['Account-ann', 'Account-bob'])
    const replay = await runCli(['replay', 'Account-ann', '--to-revision', '1', '--json'], { cwd: dir })
    expect(parseJson(replay)).toMatchObject({ aggregate: 'Account', revision: '1', state: { owner: 'Ann', closed: false } })
    expect((await runCli(['projections', 'run', '--catch-up'], { cwd: dir })).code).toBe(0)
    const status = parseJson<{ name: string; state: string }[]>(await runCli(['projections', 'status', '--json'], { cwd: dir }))
    expect(status.map((s) => [s.name, s.state])).toEqual([
      ['account-balances', 'caught-up'],
      ['owner-summaries', 'caught-up'],
      ['daily-totals', 'caught-up'],
    ])
  })

  it('loads the same application from eventfold.config.json', async () => {
    const js = await runCli(['projections', 'list', '--json'], { cwd: dir })
    const json = await runCli(['projections', 'list', '--json', '--config', 'eventfold.config.json'], { cwd: dir })
    expect(json.code).toBe(0)
    expect(json.stdout).toBe(js.stdout)
    const streams = await runCli(['-c', 'eventfold.config.json', 'streams', 'list'], { cwd: dir })
    expect(streams.stdout).toMatch(/^Account-ann\s+4\s+5$/m)
  })
})
