import type { RecordedEvent } from '@eventfold/core'
import { On, Projection, type Documents } from '@eventfold/projections'
import { AccountClosed, AccountOpened, MoneyDeposited, MoneyWithdrawn } from '../domain/events'

// #region projection
/** One document per account: owner, balance, status, movement count. */
@Projection('account-balances', {
  collection: 'account_balances',
  indexes: [{ collection: 'account_balances', keys: { owner: 1 } }],
})
export class AccountBalances {
  @On(AccountOpened)
  opened({ data, metadata }: RecordedEvent<AccountOpened>, view: Documents): void {
    view.insert({ _id: data.accountId, owner: data.owner, balance: 0, movements: 0, status: 'open', openedAt: metadata.occurredAt })
  }

  @On(MoneyDeposited)
  deposited({ data }: RecordedEvent<MoneyDeposited>, view: Documents): void {
    view.update(data.accountId, { $inc: { balance: data.amount, movements: 1 } })
  }

  @On(MoneyWithdrawn)
  withdrawn({ data }: RecordedEvent<MoneyWithdrawn>, view: Documents): void {
    view.update(data.accountId, { $inc: { balance: -data.amount, movements: 1 } })
  }

  @On(AccountClosed)
  closed({ data, metadata }: RecordedEvent<AccountClosed>, view: Documents): void {
    view.update(data.accountId, { $set: { status: 'closed', closedAt: metadata.occurredAt } })
  }
}
// #endregion projection
