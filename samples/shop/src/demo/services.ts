import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { ServicesScriptError } from '../errors'

/** The repository's `scripts/services`, which installs and runs the brokers and databases without Docker. */
export const SERVICES_SCRIPT = resolve(__dirname, '..', '..', '..', '..', 'scripts', 'services')

/**
 * Makes sure the servers named answer, starting those that do not, and
 * returns the environment that reaches them (`scripts/services env`).
 * @throws {@link ServicesScriptError} when a server cannot be started.
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
    if (started.status !== 0) throw new ServicesScriptError(`start ${server}`, started.status, '')
  }
  const env = spawnSync(SERVICES_SCRIPT, ['env', ...servers], { encoding: 'utf8' })
  if (env.status !== 0) throw new ServicesScriptError(`env ${servers.join(' ')}`, env.status, env.stderr.trim())
  return Object.fromEntries([...env.stdout.matchAll(/^export (\w+)='([^']*)'$/gm)].map((m) => [m[1]!, m[2]!]))
}
