import { ProjectionSpec, SPEC_OCCURRED_AT } from '@eventfold/projections/testing'
import { AccountClosed, AccountOpened, MoneyDeposited, MoneyWithdrawn } from '../domain/events'
import { AccountBalances, OwnerSummaries } from './index'

// Projections specified by events in, documents out: no database, no command bus.
describe('bank projection specs', () => {
  it('keeps one balance document per account', async () => {
    // #region spec
    await ProjectionSpec.for(new AccountBalances())
      .given([
        { streamId: 'Account-a1', event: new AccountOpened('a1', 'Ann') },
        { streamId: 'Account-a1', event: new MoneyDeposited('a1', 1000) },
        { streamId: 'Account-a1', event: new MoneyWithdrawn('a1', 400) },
        { streamId: 'Account-b1', event: new AccountOpened('b1', 'Bob') },
        { streamId: 'Account-b1', event: new AccountClosed('b1'), metadata: { occurredAt: '2000-01-02T00:00:00.000Z' } },
      ])
      .thenCollection('account_balances', [
        { _id: 'a1', owner: 'Ann', balance: 600, movements: 2, status: 'open', openedAt: SPEC_OCCURRED_AT },
        { _id: 'b1', owner: 'Bob', balance: 0, movements: 0, status: 'closed', openedAt: SPEC_OCCURRED_AT, closedAt: '2000-01-02T00:00:00.000Z' },
      ])
    // #endregion spec
  })

  it('sums an owner’s accounts, finding the owner of a movement through its lookup collection', async () => {
    await ProjectionSpec.for(new OwnerSummaries())
      .given([
        { streamId: 'Account-a2', event: new AccountOpened('a2', 'Ann') },
        { streamId: 'Account-a1', event: new AccountOpened('a1', 'Ann') },
        { streamId: 'Account-a1', event: new MoneyDeposited('a1', 250) },
        { streamId: 'Account-a2', event: new MoneyDeposited('a2', 100) },
        { streamId: 'Account-a2', event: new AccountClosed('a2') },
      ])
      .then({
        owner_summaries: { Ann: { accounts: 2, openAccounts: 1, balance: 350, accountIds: ['a1', 'a2'] }, Bob: undefined },
        owner_of_account: { a1: { owner: 'Ann' }, a2: { owner: 'Ann' } },
      })
  })
})
