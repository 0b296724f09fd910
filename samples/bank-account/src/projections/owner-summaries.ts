import type { RecordedEvent } from '@eventfold/core'
import { On, Projection, type Documents } from '@eventfold/projections'
import { AccountClosed, AccountOpened, MoneyDeposited, MoneyWithdrawn } from '../domain/events'

/**
 * One document per owner: accounts held, open accounts, total balance.
 * Money events do not name the owner, so the projection keeps an
 * account → owner lookup in a second collection. Partitioning by stream
 * lets two partitions write one owner document: the worker's
 * compare-and-set on documents keeps that correct, and every operation here
 * gives the same result in any order across accounts.
 */
@Projection('owner-summaries', { collections: ['owner_summaries', 'owner_of_account'] })
export class OwnerSummaries {
  @On(AccountOpened)
  async opened({ data }: RecordedEvent<AccountOpened>, view: Documents): Promise<void> {
    view.collection('owner_of_account').insert({ _id: data.accountId, owner: data.owner })
    view.upsert(data.owner, {
      $inc: { accounts: 1, openAccounts: 1 },
      $setOnInsert: { balance: 0 },
      // Kept sorted: with several partitions, accounts of one owner arrive in any order.
      $push: { accountIds: { $each: [data.accountId], $sort: 1 } },
    })
  }

  @On(MoneyDeposited)
  async deposited({ data }: RecordedEvent<MoneyDeposited>, view: Documents): Promise<void> {
    const owner = await this.ownerOf(view, data.accountId)
    view.update(owner, { $inc: { balance: data.amount } })
  }

  @On(MoneyWithdrawn)
  async withdrawn({ data }: RecordedEvent<MoneyWithdrawn>, view: Documents): Promise<void> {
    const owner = await this.ownerOf(view, data.accountId)
    view.update(owner, { $inc: { balance: -data.amount } })
  }

  @On(AccountClosed)
  async closed({ data }: RecordedEvent<AccountClosed>, view: Documents): Promise<void> {
    const owner = await this.ownerOf(view, data.accountId)
    view.update(owner, { $inc: { openAccounts: -1 } })
  }

  private async ownerOf(view: Documents, accountId: string): Promise<string> {
    const link = await view.collection('owner_of_account').get(accountId)
    if (!link) throw new Error(`no owner known for account ${accountId}`)
    return link.owner as string
  }
}
