import pg from 'pg'
import type { AppendSignal } from '@eventfold/core/spi'
import { quoteIdent } from '../pg/identifiers'

/** Options of {@link AppendListener}. */
export interface AppendListenerOptions {
  /** Settings of the dedicated listening connection. */
  readonly client: pg.ClientConfig
  /** The channel appends notify. */
  readonly channel: string
  /** Notified on every notification, and after every (re)connection. */
  readonly signal: AppendSignal
  /** Told when the connection fails or is lost; the listener reconnects by itself. */
  readonly onError: (error: unknown) => void
  /** First delay before reconnecting; doubles up to `maxReconnectDelayMs`. @default 100 */
  readonly reconnectDelayMs?: number
  /** @default 5000 */
  readonly maxReconnectDelayMs?: number
}

/**
 * One dedicated connection that `LISTEN`s to a store's channel and wakes its
 * subscribers on each notification. When the connection fails or is lost
 * it reconnects with exponential backoff, and wakes the subscribers once it
 * listens again: notifications sent while it was away are lost, so they
 * read at once instead of waiting for their next poll. Meanwhile they poll.
 */
export class AppendListener {
  private client: pg.Client | undefined
  private running: Promise<void> | undefined
  private stopped = false
  private wakeUp: (() => void) | undefined
  private listening = false

  constructor(private readonly options: AppendListenerOptions) {}

  /** True while the connection listens. */
  get isListening(): boolean {
    return this.listening
  }

  /** Starts listening (once; later calls do nothing). */
  start(): void {
    if (this.stopped || this.running) return
    this.running = this.run()
  }

  /** Stops listening and closes the connection. Harmless twice. */
  async stop(): Promise<void> {
    this.stopped = true
    this.wakeUp?.()
    const client = this.client
    this.client = undefined
    await client?.end().catch(() => undefined)
    await this.running
  }

  private async run(): Promise<void> {
    const { reconnectDelayMs = 100, maxReconnectDelayMs = 5000 } = this.options
    let delay = reconnectDelayMs
    while (!this.stopped) {
      const started = Date.now()
      try {
        await this.listenUntilLost()
      } catch (error) {
        if (!this.stopped) this.options.onError(error)
      }
      this.listening = false
      if (this.stopped) return
      // A connection that lasted a while earns a quick reconnect.
      if (Date.now() - started > maxReconnectDelayMs) delay = reconnectDelayMs
      await this.pause(delay)
      delay = Math.min(delay * 2, maxReconnectDelayMs)
    }
  }

  /** Connects, listens, and resolves... never: it rejects when the connection is lost. */
  private async listenUntilLost(): Promise<void> {
    const { channel, signal } = this.options
    const client = new pg.Client(this.options.client)
    this.client = client
    const lost = new Promise<never>((_, reject) => {
      client.on('error', reject)
      client.on('end', () => reject(new Error(`The connection listening on '${channel}' ended`)))
    })
    // Rejections of `lost` before it is awaited must not be unhandled.
    lost.catch(() => undefined)
    client.on('notification', (message) => {
      if (message.channel === channel) signal.notify()
    })
    try {
      // Raced with `lost`: a client ended while connecting never settles its connect().
      await Promise.race([client.connect(), lost])
      if (this.stopped) return
      await Promise.race([client.query(`LISTEN ${quoteIdent(channel)}`), lost])
      this.listening = true
      signal.notify()
      await lost
    } finally {
      this.listening = false
      if (this.client === client) this.client = undefined
      await client.end().catch(() => undefined)
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.wakeUp = done
    })
  }
}
