// The snippets of packages/core/README.md. They are compiled with the sample
// and run by readme.int.test.ts; scripts/readme-snippets.test.ts checks that the
// README quotes each region verbatim.
// #region decider
import { createEventfold, defineAggregate, DomainError, InMemoryEventStore, isConcurrencyError } from '@eventfold/core'

interface Cart {
  readonly items: readonly string[]
  readonly checkedOut: boolean
}
type CartCommand = { type: 'OpenCart'; cartId: string } | { type: 'AddItem'; cartId: string; item: string } | { type: 'CheckOut'; cartId: string }
type CartEvent = { type: 'CartOpened'; data: object } | { type: 'ItemAdded'; data: { item: string } } | { type: 'CheckedOut'; data: object }

// A plain decider: no classes, no decorators. `@Aggregate` classes compile to the same shape.
export const cart = defineAggregate<Cart, CartCommand, CartEvent>({
  category: 'Cart', // streams are `Cart-<id>`
  commands: {
    OpenCart: { aggregateId: (c) => c.cartId, creates: true }, // StreamAlreadyExistsError if it exists
    AddItem: { aggregateId: (c) => c.cartId }, // AggregateNotFoundError if it does not
    CheckOut: { aggregateId: (c) => c.cartId },
  },
  initialState: () => ({ items: [], checkedOut: false }),
  decide: (command, state) => {
    if (state.checkedOut) throw new DomainError('the cart is checked out')
    switch (command.type) {
      case 'OpenCart':
        return { type: 'CartOpened', data: {} }
      case 'AddItem':
        return { type: 'ItemAdded', data: { item: command.item } }
      case 'CheckOut':
        return state.items.length > 0 ? { type: 'CheckedOut', data: {} } : []
    }
  },
  evolve: (state, event) => {
    switch (event.type) {
      case 'ItemAdded':
        return { ...state, items: [...state.items, event.data.item] }
      case 'CheckedOut':
        return { ...state, checkedOut: true }
      default:
        return state
    }
  },
})

export async function checkOutACart(): Promise<Cart> {
  const app = createEventfold({ eventStore: new InMemoryEventStore(), aggregates: [cart] })
  await app.commandBus.execute({ type: 'OpenCart', cartId: 'c1' })
  await app.commandBus.execute({ type: 'AddItem', cartId: 'c1', item: 'book' })
  const { streamId, nextRevision } = await app.commandBus.execute({ type: 'CheckOut', cartId: 'c1' })
  console.log(streamId, nextRevision) // Cart-c1 2n

  const { state, revision } = await app.repository.get<Cart>(cart, 'c1')
  console.log(state, revision) // { items: [ 'book' ], checkedOut: true } 2n
  await app.close()
  return state
}
// #endregion decider

export async function appendAndRead(): Promise<void> {
  // #region event-store
  const events = new InMemoryEventStore()
  await events.appendToStream('Cart-c2', [{ type: 'CartOpened', data: {} }], { expectedRevision: 'no_stream' })
  try {
    // Another writer that also expected an empty stream loses the race.
    await events.appendToStream('Cart-c2', [{ type: 'CartOpened', data: {} }], { expectedRevision: 'no_stream' })
  } catch (error) {
    if (!isConcurrencyError(error)) throw error
    console.log(error.streamId, error.expected, error.actual) // Cart-c2 no_stream 0n
  }
  for await (const event of events.readStream('Cart-c2')) {
    console.log(event.revision, event.position, event.type) // 0n 1n CartOpened
  }
  // #endregion event-store
}
