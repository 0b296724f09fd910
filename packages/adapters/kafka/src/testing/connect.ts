import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { describe, it } from '@jest/globals'

/** The broker `scripts/services start kafka` runs, used when KAFKA_BROKERS is not set. */
export const DEFAULT_KAFKA_BROKERS = '127.0.0.1:9092'

/** The brokers the integration tests use: `KAFKA_BROKERS` (comma-separated), or the one `scripts/services` manages. */
export const kafkaBrokers = (): string[] => (process.env.KAFKA_BROKERS || DEFAULT_KAFKA_BROKERS).split(',').map((b) => b.trim())

let probed: { readonly problem: string | undefined } | undefined

/**
 * Why the broker cannot be used, or `undefined` when it accepts a connection.
 * jest registers tests synchronously, so the probe runs in a child process, once per file.
 */
const probe = (brokers: readonly string[]): string | undefined => {
  if (probed) return probed.problem
  const script = `
    const net = require('node:net')
    const [host, port] = process.env.EVENTFOLD_PROBE_BROKER.split(':')
    const socket = net.connect({ host, port: Number(port), timeout: 3000 })
    socket.on('connect', () => { socket.end(); process.exit(0) })
    socket.on('timeout', () => { process.stderr.write('connection timed out'); process.exit(1) })
    socket.on('error', (error) => { process.stderr.write(error.message); process.exit(1) })`
  const result = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    timeout: 15_000,
    env: { ...process.env, EVENTFOLD_PROBE_BROKER: brokers[0] ?? DEFAULT_KAFKA_BROKERS },
  })
  const problem = result.status === 0 ? undefined : result.stderr.trim() || result.error?.message || `probe exited with ${result.status}`
  probed = { problem }
  return problem
}

/**
 * `describe` for tests that need the Kafka broker at KAFKA_BROKERS: they run
 * when it answers and fail otherwise, in CI and everywhere else. Never skipped.
 */
export const describeKafka = (name: string, body: () => void): void => {
  const brokers = kafkaBrokers()
  const problem = probe(brokers)
  if (problem === undefined) {
    describe(name, body)
    return
  }
  const message =
    `Kafka is not reachable at KAFKA_BROKERS=${brokers.join(',')} (${problem}). ` +
    'Start it with `scripts/services start kafka` (then `eval "$(scripts/services env)"`), or point KAFKA_BROKERS at a broker.'
  describe(name, () => {
    it('needs a reachable Kafka broker', () => {
      throw new Error(message)
    })
  })
}

/** A topic or group name no other test uses. */
export const freshName = (label: string): string => `eventfold-${label}-${randomBytes(5).toString('hex')}`

/** Polls `check` until it returns a value, or fails naming `what` after `timeoutMs`. */
export const eventually = async <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000, intervalMs = 100): Promise<T> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
