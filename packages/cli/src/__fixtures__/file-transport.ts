import { appendFileSync } from 'node:fs'
import type { PartitionLag, Subscription, TopicSpec, Transport, TransportMessage } from '@eventfold/messaging/spi'

/**
 * A transport for the CLI's tests that appends each published message, as a
 * JSON line, to the file named by `EVENTFOLD_TEST_OUTBOX`: what a relay
 * process published can be read after it exits.
 */
class FileTransport implements Transport {
  readonly name = 'file'
  constructor(private readonly file: string) {}

  async declare(topic: TopicSpec): Promise<void> {
    appendFileSync(this.file, JSON.stringify({ declared: topic.name }) + '\n')
  }

  async publish(topic: string, messages: readonly TransportMessage[]): Promise<void> {
    const lines = messages.map((m) => JSON.stringify({ topic, id: m.id, key: m.key, headers: m.headers, value: m.value && Buffer.from(m.value).toString('utf8') }))
    appendFileSync(this.file, lines.map((l) => l + '\n').join(''))
  }

  subscribe(): Promise<Subscription> {
    throw new Error('the file transport only publishes')
  }

  async lag(): Promise<readonly PartitionLag[]> {
    return []
  }

  async close(): Promise<void> {}
}

module.exports = (): Transport => {
  const file = process.env.EVENTFOLD_TEST_OUTBOX
  if (!file) throw new Error('EVENTFOLD_TEST_OUTBOX is not set')
  return new FileTransport(file)
}
