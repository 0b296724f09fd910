import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'

/**
 * Builds workspace packages (and the packages they reference) with `tsc -b`,
 * so that the child processes a test starts run the current code from
 * `dist`. Incremental: about a second when nothing changed.
 * @param packageDirs absolute paths of the packages' folders.
 * @throws {Error} with the compiler's output when the build fails.
 * @example
 * ```ts
 * scaleOutSuite({ name: 'PostgreSQL', build: () => buildPackages(join(__dirname, '..')), … })
 * ```
 */
export const buildPackages = (...packageDirs: string[]): void => {
  const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc')
  try {
    execFileSync(process.execPath, [tsc, '-b', ...packageDirs], { stdio: 'pipe' })
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer }
    throw new Error(`tsc -b ${packageDirs.join(' ')} failed:\n${stdout?.toString() ?? ''}${stderr?.toString() ?? ''}`, { cause: error })
  }
}
