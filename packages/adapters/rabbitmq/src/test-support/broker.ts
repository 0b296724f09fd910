import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { describe, it } from '@jest/globals'
import { redactUrl } from '@eventfold/core/spi'
import type { Delivery, Subscription } from '@eventfold/messaging/spi'
import amqp from 'amqplib'

/** The broker `scripts/services start rabbitmq` runs, used when RABBITMQ_URL is not set. */
export const DEFAULT_RABBITMQ_URL = 'amqp://eventfold:eventfold@127.0.0.1:5672'

/** The broker the integration tests use: `RABBITMQ_URL`, or the one `scripts/services` manages. */
export const rabbitmqUrl = (): string => process.env.RABBITMQ_URL || DEFAULT_RABBITMQ_URL

let probed: { readonly problem: string | undefined } | undefined

// jest registers tests synchronously, so the probe (connect, close) runs in a child process, once per test file.
const probe = (url: string): string | undefined => {
  if (probed) return probed.problem
  const script = `
    const amqp = require(${JSON.stringify(require.resolve('amqplib'))})
    amqp.connect(process.env.EVENTFOLD_PROBE_URL, { timeout: 3000 }).then((c) => c.close()).then(
      () => process.exit(0),
      (error) => { process.stderr.write(String((error && error.message) || error)); process.exit(1) })`
  // The URL goes by environment: a command line is visible to every user in /proc/<pid>/cmdline.
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 15_000, env: { ...process.env, EVENTFOLD_PROBE_URL: url } })
  const problem = result.status === 0 ? undefined : result.stderr.trim() || result.error?.message || `probe exited with ${result.status}`
  probed = { problem }
  return problem
}

/**
 * `describe` for tests that need the broker at RABBITMQ_URL. When it cannot
 * be reached the tests fail, in CI and everywhere else: they never skip.
 */
export const describeRabbitMQ = (name: string, body: () => void): void => {
  const url = rabbitmqUrl()
  const problem = probe(url)
  if (problem === undefined) {
    describe(name, body)
    return
  }
  describe(name, () => {
    it('needs a reachable RabbitMQ broker', () => {
      throw new Error(
        `RabbitMQ is not reachable at RABBITMQ_URL=${redactUrl(url)} (${problem}). ` +
          'Start it with `scripts/services start rabbitmq` (then `eval "$(scripts/services env)"`), or point RABBITMQ_URL at a broker.',
      )
    })
  })
}

/** A name no other test uses, so tests can run in parallel on one broker. */
export const uniqueName = (label: string): string => `test-${label}-${randomBytes(4).toString('hex')}`

/** Deletes exchanges and queues a test made; missing ones are fine. */
export const deleteTopology = async ({ exchanges = [], queues = [] }: { exchanges?: readonly string[]; queues?: readonly string[] }): Promise<void> => {
  const connection = await amqp.connect(rabbitmqUrl())
  try {
    const channel = await connection.createChannel()
    for (const queue of queues) await channel.deleteQueue(queue)
    for (const exchange of exchanges) await channel.deleteExchange(exchange)
    await channel.close()
  } finally {
    await connection.close()
  }
}

/** Reads until `count` deliveries arrived (the test's timeout bounds the wait). */
export const readCount = async (subscription: Subscription, count: number, maxCount = 100): Promise<Delivery[]> => {
  const never = new Promise<void>(() => undefined)
  const deliveries: Delivery[] = []
  while (deliveries.length < count) {
    if (subscription.finished) throw new Error(`the subscription finished after ${deliveries.length} of ${count} deliveries`)
    deliveries.push(...(await subscription.read(Math.min(maxCount, count - deliveries.length), 20, never)))
  }
  return deliveries
}
