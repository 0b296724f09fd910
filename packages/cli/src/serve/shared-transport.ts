import type { Transport } from '@eventfold/messaging/spi'
import type { TransportFactory } from '../config/define-config'

/**
 * The config's transport, opened by the first request that needs it and kept
 * for the next ones: a page that refreshes every few seconds would otherwise
 * open a broker connection each time. A failure closes it, so that the next
 * request opens a fresh one instead of reusing a broken client.
 */
export class SharedTransport {
  private opened: Promise<Transport> | undefined
  private stopped = false

  constructor(private readonly open: TransportFactory) {}

  /** Runs `work` on the open transport. */
  async use<T>(work: (transport: Transport) => Promise<T>): Promise<T> {
    if (this.stopped) throw new Error('the console is stopping')
    const opened = (this.opened ??= Promise.resolve().then(this.open))
    try {
      return await work(await opened)
    } catch (error) {
      if (this.opened === opened) this.opened = undefined
      await opened.then((t) => t.close()).catch(() => undefined)
      throw error
    }
  }

  /** Closes the transport if one is open. Harmless twice. */
  async close(): Promise<void> {
    this.stopped = true
    const opened = this.opened
    this.opened = undefined
    await opened?.then((t) => t.close()).catch(() => undefined)
  }
}
