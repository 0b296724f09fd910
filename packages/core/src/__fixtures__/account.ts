import {
  Aggregate,
  AggregateId,
  AggregateRoot,
  Command,
  CommandHandler,
  DomainError,
  Event,
  EventSourcingHandler,
} from '../index'

@Event('TestAccountOpened')
export class AccountOpened {
  constructor(
    readonly accountId: string,
    readonly owner: string,
  ) {}
}

@Event('TestDeposited')
export class Deposited {
  constructor(
    readonly accountId: string,
    readonly amount: number,
  ) {}
}

@Command('TestOpenAccount')
export class OpenAccount {
  @AggregateId() accountId: string
  owner: string
  constructor(accountId: string, owner: string) {
    this.accountId = accountId
    this.owner = owner
  }
}

@Command('TestDeposit')
export class Deposit {
  @AggregateId() accountId: string
  amount: number
  constructor(accountId: string, amount: number) {
    this.accountId = accountId
    this.amount = amount
  }
}

@Aggregate('TestAccount', { snapshotEvery: 5 })
export class Account extends AggregateRoot {
  owner = ''
  balance = 0

  @CommandHandler(OpenAccount, { creates: true })
  open(c: OpenAccount): void {
    this.apply(new AccountOpened(c.accountId, c.owner))
  }

  @CommandHandler(Deposit)
  deposit(c: Deposit): void {
    if (c.amount <= 0) throw new DomainError('amount must be positive', 'invalid-amount')
    this.apply(new Deposited(c.accountId, c.amount))
  }

  @EventSourcingHandler(AccountOpened)
  onOpened(e: AccountOpened): void {
    this.owner = e.owner
  }

  @EventSourcingHandler(Deposited)
  onDeposited(e: Deposited): void {
    this.balance += e.amount
  }
}
