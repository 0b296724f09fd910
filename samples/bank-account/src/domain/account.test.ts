import { DomainError } from '@eventfold/core'
import { AggregateSpec } from '@eventfold/core/testing'
import { Account } from './account'
import { CloseAccount, DepositMoney, OpenAccount, WithdrawMoney } from './commands'
import { AccountClosed, AccountOpened, MoneyDeposited, MoneyWithdrawn } from './events'

describe('Account', () => {
  const account = AggregateSpec.for<Account>(Account)
  const opened = new AccountOpened('a1', 'Ann')

  it('opens for an owner', async () => {
    await account.given([]).when(new OpenAccount('a1', 'Ann')).then([opened])
  })

  it('refuses an account without an owner', async () => {
    await account.given([]).when(new OpenAccount('a1', ' ')).thenThrows(DomainError, 'owner')
  })

  it('takes deposits', async () => {
    await account.given([opened]).when(new DepositMoney('a1', 500)).then([new MoneyDeposited('a1', 500)])
  })

  it.each([0, -1, 1.5, Number.NaN])('refuses a deposit of %p', async (amount) => {
    await account.given([opened]).when(new DepositMoney('a1', amount)).thenThrows(DomainError, 'positive whole number')
  })

  it('pays out up to the balance', async () => {
    await account
      .given([opened, new MoneyDeposited('a1', 500)])
      .when(new WithdrawMoney('a1', 500))
      .then([new MoneyWithdrawn('a1', 500)])
  })

  it('refuses an overdraft', async () => {
    await account.given([opened, new MoneyDeposited('a1', 500)]).when(new WithdrawMoney('a1', 501)).thenThrows(DomainError, 'insufficient funds')
  })

  it('closes only at a zero balance', async () => {
    await account.given([opened, new MoneyDeposited('a1', 1)]).when(new CloseAccount('a1')).thenThrows(DomainError, 'balance of 1')
    await account.given([opened]).when(new CloseAccount('a1')).then([new AccountClosed('a1')])
  })

  it.each([
    ['a deposit', new DepositMoney('a1', 1)],
    ['a withdrawal', new WithdrawMoney('a1', 1)],
    ['closing again', new CloseAccount('a1')],
  ])('rejects %s once closed', async (_, command) => {
    await account.given([opened, new AccountClosed('a1')]).when(command).thenThrows(DomainError, 'is closed')
  })
})
