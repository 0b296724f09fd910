// The closing line must count suites that failed outside their tests: runs a
// child jest with this reporter on throwaway suites written to a temp dir.
const { spawnSync } = require('node:child_process')
const { closeSync, mkdtempSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } = require('node:fs')
const { tmpdir } = require('node:os')
const { join } = require('node:path')

const suites = {
  'passes.test.js': "test('passes', () => expect(1).toBe(1))\ntest.skip('is skipped', () => {})\n",
  'fails.test.js': "test('fails', () => expect(1).toBe(2))\n",
  'syntax-error.test.js': "test('never runs', () => { expect(1).toBe(1)\n",
  'throws-at-import.test.js': "throw new Error('thrown at import')\n",
  'after-all-throws.test.js': "afterAll(() => { throw new Error('thrown in afterAll') })\ntest('passes', () => expect(1).toBe(1))\n",
  'has-no-tests.test.js': '// a suite without a test\n',
}

const runJest = (files) => {
  const dir = mkdtempSync(join(tmpdir(), 'eventfold-jest-summary-'))
  try {
    writeFileSync(join(dir, 'package.json'), '{}\n')
    mkdirSync(join(dir, 'suites'))
    for (const file of files) writeFileSync(join(dir, 'suites', file), suites[file])
    // stdout and stderr into one file, as a CI log has them.
    const log = openSync(join(dir, 'output.log'), 'w')
    const result = spawnSync(
      process.execPath,
      [require.resolve('jest/bin/jest'), '--ci', '--rootDir', dir, '--reporters=default', `--reporters=${join(__dirname, 'jest-summary-reporter.js')}`],
      { cwd: dir, stdio: ['ignore', log, log], timeout: 60_000 },
    )
    closeSync(log)
    const lines = readFileSync(join(dir, 'output.log'), 'utf8').trim().split('\n')
    return { status: result.status, lines, closing: lines.at(-1) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('jest summary reporter', () => {
  test('closes the output with a count that includes suites that failed to load or failed in a hook', () => {
    const run = runJest(Object.keys(suites))
    expect(run.closing).toBe('jest: 2 passed, 5 failed, 1 skipped')
    expect(run.lines).toEqual(expect.arrayContaining([expect.stringMatching(/suite failed outside its tests: .*syntax-error\.test\.js$/)]))
    expect(run.status).not.toBe(0)
  })

  test('says 0 failed only when every suite ran and passed', () => {
    const run = runJest(['passes.test.js'])
    expect(run.closing).toBe('jest: 1 passed, 0 failed, 1 skipped')
    expect(run.status).toBe(0)
  })
})
