/** A signal from the server that is not an event, placed in order among the events. */
export type SubscriptionMarker<P> =
  | { readonly kind: 'checkpoint'; readonly position: P }
  | { readonly kind: 'caught-up' }
  | { readonly kind: 'fell-behind' }

/** What the consumer of an {@link OrderedBuffer} takes, one at a time. */
export type BufferItem<E, P> =
  | { readonly kind: 'event'; readonly event: E }
  | SubscriptionMarker<P>
  | { readonly kind: 'error'; readonly error: unknown }
  | { readonly kind: 'end' }

/**
 * The queue between the client's subscription stream and eventfold's pull
 * iterator, keeping the server's signals in order with the events.
 *
 * The client emits `caughtUp` and calls `checkpointReached` while it
 * transforms the server's messages, but events reach the `data` listener
 * only later, after the ones still waiting in the stream's own buffer. A
 * signal is therefore placed after the events received so far plus the
 * events still buffered upstream (`pendingUpstream`, the stream's
 * `readableLength`): it is released only once those have arrived, so a
 * consumer never hears "caught up at P" before it has been given every event
 * at or below P.
 */
export class OrderedBuffer<E, P> {
  private readonly items: BufferItem<E, P>[] = []
  private readonly held: Array<{ readonly after: number; readonly marker: SubscriptionMarker<P> }> = []
  private received = 0
  private terminal: BufferItem<E, P> | undefined
  private wake: (() => void) | undefined

  /** Items ready to be taken. */
  get size(): number {
    return this.items.length
  }

  /** An event arrived from upstream, in order. */
  push(event: E): void {
    if (this.terminal) return
    this.received++
    this.items.push({ kind: 'event', event })
    while (this.held.length > 0 && this.held[0]!.after <= this.received) this.items.push(this.held.shift()!.marker)
    this.notify()
  }

  /** A signal arrived, to go after `pendingUpstream` more events. */
  mark(marker: SubscriptionMarker<P>, pendingUpstream: number): void {
    if (this.terminal) return
    const after = this.received + Math.max(0, pendingUpstream)
    if (after <= this.received && this.held.length === 0) this.items.push(marker)
    else this.held.push({ after, marker })
    this.notify()
  }

  /** Upstream failed: the consumer gets `error` after the items already ready. Signals still held are dropped. */
  fail(error: unknown): void {
    this.finish({ kind: 'error', error })
  }

  /** Upstream ended (or the subscription closed): the consumer gets `end` after the items already ready. */
  end(): void {
    this.finish({ kind: 'end' })
  }

  /** The next item; waits while there is none. After `error` or `end`, returns that forever. */
  async take(): Promise<BufferItem<E, P>> {
    for (;;) {
      const next = this.items.shift()
      if (next) return next
      if (this.terminal) return this.terminal
      await new Promise<void>((resolve) => (this.wake = resolve))
    }
  }

  private finish(item: BufferItem<E, P>): void {
    if (this.terminal) return
    this.terminal = item
    this.held.length = 0
    this.notify()
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}
