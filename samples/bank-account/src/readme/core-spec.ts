// The given/when/then snippet of packages/core/README.md; `@eventfold/core/testing`
// needs jest, so only readme.int.test.ts imports this file.
import { cart } from './core'
// #region spec
import { DomainError } from '@eventfold/core'
import { AggregateSpec } from '@eventfold/core/testing'

export async function specifyTheCart(): Promise<void> {
  const spec = AggregateSpec.for(cart)
  const opened = { type: 'CartOpened', data: {} }

  await spec.given([opened]).when({ type: 'AddItem', cartId: 'spec-1', item: 'pen' }).then([{ type: 'ItemAdded', data: { item: 'pen' } }])
  await spec.given([opened]).when({ type: 'CheckOut', cartId: 'spec-1' }).then([]) // nothing to check out
  await spec
    .given([opened, { type: 'ItemAdded', data: { item: 'pen' } }, { type: 'CheckedOut', data: {} }])
    .when({ type: 'AddItem', cartId: 'spec-1', item: 'ink' })
    .thenThrows(DomainError, 'checked out')
}
// #endregion spec
