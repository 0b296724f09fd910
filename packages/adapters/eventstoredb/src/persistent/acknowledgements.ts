import type { PersistentSubscriptionToAll, PersistentSubscriptionToAllResolvedEvent } from '@eventstore/db-client'

/**
 * Sends the acknowledgements asked for in one turn of the event loop as one
 * message: a worker acknowledges a committed batch event by event, and the
 * client writes one message to the server per `ack` call.
 */
export class Acknowledgements {
  private pending: { readonly events: PersistentSubscriptionToAllResolvedEvent[]; readonly sent: Promise<void> } | undefined

  constructor(private readonly subscription: Pick<PersistentSubscriptionToAll, 'ack'>) {}

  /** Resolves once the message that carries this acknowledgement is written. */
  ack(event: PersistentSubscriptionToAllResolvedEvent): Promise<void> {
    if (!this.pending) {
      const events: PersistentSubscriptionToAllResolvedEvent[] = []
      // Sent after the synchronous code that is asking now, so that it joins every ack of that code.
      const sent = Promise.resolve().then(() => {
        this.pending = undefined
        return this.subscription.ack(...events)
      })
      this.pending = { events, sent }
    }
    this.pending.events.push(event)
    return this.pending.sent
  }
}
