// The snippets of packages/projections/README.md. They are compiled with the
// sample and run by readme.int.test.ts; scripts/readme-snippets.test.ts checks that
// the README quotes each region verbatim.
// #region projection
import { InMemoryEventStore, type RecordedEvent } from '@eventfold/core'
import {
  InMemoryDocumentStore,
  On,
  Projection,
  projectionFromInstance,
  ProjectionWorker,
  ReadModels,
  rebuildProjection,
  type Documents,
} from '@eventfold/projections'

/** One document per cart: how many items it holds. */
@Projection('cart-sizes', { collection: 'cart_sizes' })
export class CartSizes {
  @On('CartOpened')
  opened({ streamId }: RecordedEvent, view: Documents): void {
    view.insert({ _id: streamId, items: 0 })
  }

  @On('ItemAdded')
  added({ streamId }: RecordedEvent, view: Documents): void {
    view.update(streamId, { $inc: { items: 1 } })
  }
}
// #endregion projection

export async function projectCarts(): Promise<void> {
  // #region worker
  const eventStore = new InMemoryEventStore()
  const documents = new InMemoryDocumentStore()
  await eventStore.appendToStream('Cart-c1', [
    { type: 'CartOpened', data: {} },
    { type: 'ItemAdded', data: { item: 'book' } },
  ])

  const projection = projectionFromInstance(new CartSizes())
  // `stopAtHead` catches up and returns; without it the worker follows the log until `stop()`.
  const progress = await new ProjectionWorker({ eventStore, documents, projection, stopAtHead: true }).run()
  console.log(progress.checkpoint, progress.eventsApplied) // 2n 2
  // #endregion worker

  // #region query
  // By the collection name the projection declares, in whichever generation is active.
  const carts = new ReadModels(documents).collection('cart_sizes')
  console.log(await carts.get('Cart-c1')) // { _id: 'Cart-c1', items: 1 }
  // #endregion query

  // #region rebuild
  // Builds generation 2 from the start of the log while generation 1 serves readers, then switches.
  const rebuilt = await rebuildProjection({ eventStore, documents, projection })
  console.log(rebuilt.previousGeneration, rebuilt.generation, rebuilt.eventsApplied) // 1 2 2
  // #endregion rebuild
}
