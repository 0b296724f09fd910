// The producer-side snippets of packages/messaging/README.md. They are compiled
// with the sample and run by readme.int.test.ts; scripts/readme-snippets.test.ts
// checks that the README quotes each region verbatim.
// #region publications
import { Event, InMemoryEventStore, type RecordedEvent } from '@eventfold/core'
import { InMemoryDocumentStore } from '@eventfold/projections'
import { definePublications, InMemoryTransport, publish, Published, Relay, relayStatus } from '@eventfold/messaging'

interface CartCheckedOut {
  readonly cartId: string
  readonly items: readonly string[]
  readonly paymentToken: string
}

/** An event class can carry its publication; it is published once a relay's publications list it. */
@Published({ type: 'CartAbandoned.v1', topic: 'carts', map: (e: RecordedEvent<CartAbandoned>) => ({ cartId: e.data.cartId }) })
@Event('CartAbandoned')
export class CartAbandoned {
  constructor(
    readonly cartId: string,
    readonly lastSeenIp: string,
  ) {}
}

/** What the cart service tells other services. Any other event stays inside it. */
export const publications = definePublications({
  source: 'carts',
  publications: [
    // The published contract is mapped, versioned and owned: the payment token never leaves the service.
    publish<CartCheckedOut>('CartCheckedOut', {
      type: 'CartCheckedOut.v1',
      topic: 'carts',
      map: (e) => ({ cartId: e.data.cartId, itemCount: e.data.items.length }),
    }),
    // Zero-payload: receivers get identifiers only and fetch current state from the cart service.
    publish('CartUpdated', { type: 'CartUpdated.v1', topic: 'carts', payload: 'reference', map: (e) => ({ cartId: e.streamId }) }),
    publish(CartAbandoned),
  ],
  topics: [{ name: 'carts', partitions: 4 }],
})
// #endregion publications

export async function relayCarts(): Promise<void> {
  // #region relay
  const eventStore = new InMemoryEventStore()
  const documents = new InMemoryDocumentStore() // the producer's own store: relay checkpoints and leases
  const transport = new InMemoryTransport() // a Kafka or RabbitMQ transport in production
  await eventStore.appendToStream('Cart-c1', [
    { type: 'CartUpdated', data: { item: 'book' } },
    { type: 'CartAudited', data: { by: 'ops' } },
    { type: 'CartCheckedOut', data: { cartId: 'c1', items: ['book'], paymentToken: 'tok_123' } },
  ])

  // The log is the outbox: the relay publishes what was appended, then stores its checkpoint.
  const relay = new Relay({ eventStore, documents, transport, publications, stopAtHead: true })
  const [progress] = await relay.run()
  console.log(progress?.published, progress?.checkpoint) // 2 3n

  const status = await relayStatus(eventStore, documents)
  console.log(status.partitions[0]?.lag) // 0n
  // #endregion relay
}
