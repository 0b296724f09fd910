import { Event } from '@eventfold/core'

// Amounts are integer cents: money never goes through floating point.

@Event('AccountOpened')
export class AccountOpened {
  constructor(
    readonly accountId: string,
    readonly owner: string,
  ) {}
}

@Event('MoneyDeposited')
export class MoneyDeposited {
  constructor(
    readonly accountId: string,
    readonly amount: number,
  ) {}
}

@Event('MoneyWithdrawn')
export class MoneyWithdrawn {
  constructor(
    readonly accountId: string,
    readonly amount: number,
  ) {}
}

@Event('AccountClosed')
export class AccountClosed {
  constructor(readonly accountId: string) {}
}
