import { Aggregate, AggregateRoot, CommandHandler, DomainError, EventSourcingHandler } from '@eventfold/core'
import { CloseAccount, DepositMoney, OpenAccount, WithdrawMoney } from './commands'
import { AccountClosed, AccountOpened, MoneyDeposited, MoneyWithdrawn } from './events'

const assertAmount = (amount: number): void => {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new DomainError(`amount must be a positive whole number of cents, got ${amount}`, 'invalid-amount')
  }
}

/** A bank account: no overdraft, and a closed account accepts nothing. */
@Aggregate('Account', { snapshotEvery: 50 })
export class Account extends AggregateRoot {
  owner = ''
  balance = 0
  closed = false

  @CommandHandler(OpenAccount, { creates: true })
  open({ accountId, owner }: OpenAccount): void {
    if (owner.trim() === '') throw new DomainError('an account needs an owner', 'owner-required')
    this.apply(new AccountOpened(accountId, owner))
  }

  @CommandHandler(DepositMoney)
  deposit({ accountId, amount }: DepositMoney): void {
    this.assertOpen()
    assertAmount(amount)
    this.apply(new MoneyDeposited(accountId, amount))
  }

  @CommandHandler(WithdrawMoney)
  withdraw({ accountId, amount }: WithdrawMoney): void {
    this.assertOpen()
    assertAmount(amount)
    if (amount > this.balance) {
      throw new DomainError(`insufficient funds: balance ${this.balance}, withdrawal ${amount}`, 'insufficient-funds')
    }
    this.apply(new MoneyWithdrawn(accountId, amount))
  }

  @CommandHandler(CloseAccount)
  close({ accountId }: CloseAccount): void {
    this.assertOpen()
    if (this.balance !== 0) throw new DomainError(`cannot close with a balance of ${this.balance}`, 'balance-not-zero')
    this.apply(new AccountClosed(accountId))
  }

  @EventSourcingHandler(AccountOpened)
  onOpened(e: AccountOpened): void {
    this.owner = e.owner
  }

  @EventSourcingHandler(MoneyDeposited)
  onDeposited(e: MoneyDeposited): void {
    this.balance += e.amount
  }

  @EventSourcingHandler(MoneyWithdrawn)
  onWithdrawn(e: MoneyWithdrawn): void {
    this.balance -= e.amount
  }

  @EventSourcingHandler(AccountClosed)
  onClosed(): void {
    this.closed = true
  }

  private assertOpen(): void {
    if (this.closed) throw new DomainError(`account ${this.id} is closed`, 'account-closed')
  }
}
