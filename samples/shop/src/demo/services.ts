import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'

/** The repository's `scripts/services`, which installs and runs the brokers and databases without Docker. */
export const SERVICES_SCRIPT = resolve(__dirname, '..', '..', '..', '..', 'scripts', 'services')

/**
 * Makes sure the servers named answer, starting those that do not, and
 * returns the environment that reaches them (`scripts/services env`).
 * @throws {Error} when a server cannot be started.
 */
export const ensureServers = (servers: readonly string[], say: (line: string) => void): Record<string, string> => {
  for (const server of servers) {
    const status = spawnSync(SERVICES_SCRIPT, ['status', server], { encoding: 'utf8' })
    if (status.status === 0) {
      say(status.stdout.trim())
      continue
    }
    say(`${server} is not running: scripts/services start ${server}`)
    const started = spawnSync(SERVICES_SCRIPT, ['start', server], { stdio: 'inherit' })
    if (started.status !== 0) throw new Error(`scripts/services start ${server} failed with exit code ${started.status}`)
  }
  const env = spawnSync(SERVICES_SCRIPT, ['env', ...servers], { encoding: 'utf8' })
  if (env.status !== 0) throw new Error(`scripts/services env failed: ${env.stderr}`)
  return Object.fromEntries([...env.stdout.matchAll(/^export (\w+)='([^']*)'$/gm)].map((m) => [m[1]!, m[2]!]))
}
