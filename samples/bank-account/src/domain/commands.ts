import { AggregateId, Command } from '@eventfold/core'

@Command('OpenAccount')
export class OpenAccount {
  @AggregateId() readonly accountId: string
  constructor(
    accountId: string,
    readonly owner: string,
  ) {
    this.accountId = accountId
  }
}

@Command('DepositMoney')
export class DepositMoney {
  @AggregateId() readonly accountId: string
  constructor(
    accountId: string,
    /** Cents. */
    readonly amount: number,
  ) {
    this.accountId = accountId
  }
}

@Command('WithdrawMoney')
export class WithdrawMoney {
  @AggregateId() readonly accountId: string
  constructor(
    accountId: string,
    /** Cents. */
    readonly amount: number,
  ) {
    this.accountId = accountId
  }
}

@Command('CloseAccount')
export class CloseAccount {
  @AggregateId() readonly accountId: string
  constructor(accountId: string) {
    this.accountId = accountId
  }
}
