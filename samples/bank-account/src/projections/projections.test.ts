import { InMemoryEventStore } from '@eventfold/core'
import { InMemoryDocumentStore, projectionFromInstance, ReadModels, rebuildProjection } from '@eventfold/projections'
import { createBankApp } from '../app'
import { CloseAccount, DepositMoney, OpenAccount, WithdrawMoney } from '../domain/commands'
import { AccountBalances, DailyTotals, OwnerSummaries } from './index'

describe('bank projections', () => {
  it('project balances per account, summaries per owner and daily totals', async () => {
    const eventStore = new InMemoryEventStore()
    const app = createBankApp({ eventStore })
    await app.commandBus.execute(new OpenAccount('a1', 'Ann'))
    await app.commandBus.execute(new OpenAccount('a2', 'Ann'))
    await app.commandBus.execute(new OpenAccount('b1', 'Bob'))
    await app.commandBus.execute(new DepositMoney('a1', 1000))
    await app.commandBus.execute(new DepositMoney('a2', 300))
    await app.commandBus.execute(new WithdrawMoney('a1', 400))
    await app.commandBus.execute(new DepositMoney('b1', 50))
    await app.commandBus.execute(new WithdrawMoney('b1', 50))
    await app.commandBus.execute(new CloseAccount('b1'))

    const documents = new InMemoryDocumentStore()
    for (const p of [new AccountBalances(), new OwnerSummaries(), new DailyTotals()]) {
      await rebuildProjection({ eventStore, documents, projection: projectionFromInstance(p), partitions: 2 })
    }
    const readModels = new ReadModels(documents)
    const balances = await readModels.collection('account_balances').find({}, { sort: { _id: 1 } })
    expect(balances.map((b) => [b._id, b.owner, b.balance, b.status])).toEqual([
      ['a1', 'Ann', 600, 'open'],
      ['a2', 'Ann', 300, 'open'],
      ['b1', 'Bob', 0, 'closed'],
    ])
    expect(await readModels.collection('owner_summaries').get('Ann')).toMatchObject({ accounts: 2, openAccounts: 2, balance: 900, accountIds: ['a1', 'a2'] })
    expect(await readModels.collection('owner_summaries').get('Bob')).toMatchObject({ accounts: 1, openAccounts: 0, balance: 0 })
    const [today] = await readModels.collection('daily_totals').find()
    expect(today).toMatchObject({ deposits: 1350, withdrawals: 450, net: 900, depositCount: 3, withdrawalCount: 2, largestMovement: 1000 })
  })
})
