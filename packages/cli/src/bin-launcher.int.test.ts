import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI_ROOT, ensureBuilt, REPO_ROOT } from './test-support/build'

const LAUNCHER = join(CLI_ROOT, 'bin/eventfold.js')

describe('the eventfold bin', () => {
  beforeAll(() => ensureBuilt())

  it('is a committed, executable launcher, so that npm can link it before the first build', () => {
    const pkg = JSON.parse(readFileSync(join(CLI_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; files: string[] }
    expect(pkg.bin).toEqual({ eventfold: 'bin/eventfold.js' })
    expect(pkg.files).toContain('bin')
    expect(statSync(LAUNCHER).mode & 0o111).toBe(0o111)
    const [mode] = execFileSync('git', ['ls-files', '--stage', 'packages/cli/bin/eventfold.js'], { cwd: REPO_ROOT, encoding: 'utf8' }).split(' ')
    expect(mode).toBe('100755')
  })

  it('runs the built CLI when executed', () => {
    const r = spawnSync(LAUNCHER, ['--version'], { encoding: 'utf8' })
    expect(r.status).toBe(0)
    expect(r.stdout.trim()).toBe((JSON.parse(readFileSync(join(CLI_ROOT, 'package.json'), 'utf8')) as { version: string }).version)
  })

  it('says to build first when the CLI is not built', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventfold-bin-'))
    try {
      mkdirSync(join(dir, 'bin'))
      copyFileSync(LAUNCHER, join(dir, 'bin/eventfold.js'))
      const r = spawnSync(process.execPath, [join(dir, 'bin/eventfold.js'), '--help'], { encoding: 'utf8' })
      expect(r.status).toBe(1)
      expect(r.stderr).toBe(`eventfold: error: the CLI is not built (${join(dir, 'dist/bin.js')} is missing): run \`npm run build\` in the repository first\n`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
