import { execFileSync } from 'node:child_process'
import { join, resolve } from 'node:path'

/** packages/cli */
export const CLI_ROOT = resolve(__dirname, '../..')
export const REPO_ROOT = resolve(CLI_ROOT, '../..')
/** The built binary every integration test runs. */
export const BIN = join(CLI_ROOT, 'dist/bin.js')
/** The built package entry point, as a config file requires it. */
export const CLI_INDEX = join(CLI_ROOT, 'dist/index.js')
/** The built fixture application. */
export const FIXTURE_APP = join(CLI_ROOT, 'dist/__fixtures__/tally-app.js')

let built = false

/**
 * Builds the CLI (and what it references) when `dist` is missing or stale.
 * `tsc -b` decides staleness itself, and returns at once when everything is
 * up to date; the root `npm test` has built everything already.
 */
export const ensureBuilt = (): void => {
  if (built) return
  execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'packages/cli'], {
    cwd: REPO_ROOT,
    stdio: 'pipe',
  })
  built = true
}
