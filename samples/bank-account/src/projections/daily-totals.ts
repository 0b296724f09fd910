import type { RecordedEvent } from '@eventfold/core'
import { On, Projection, type Documents } from '@eventfold/projections'
import { MoneyDeposited, MoneyWithdrawn } from '../domain/events'

const day = (occurredAt: string): string => occurredAt.slice(0, 10)

/** One document per UTC day across all accounts: deposits, withdrawals, net flow, largest movement. */
@Projection('daily-totals', { collection: 'daily_totals' })
export class DailyTotals {
  @On(MoneyDeposited)
  deposited({ data, metadata }: RecordedEvent<MoneyDeposited>, view: Documents): void {
    view.upsert(day(metadata.occurredAt), {
      $inc: { deposits: data.amount, depositCount: 1, net: data.amount },
      $setOnInsert: { withdrawals: 0, withdrawalCount: 0 },
      $max: { largestMovement: data.amount },
    })
  }

  @On(MoneyWithdrawn)
  withdrawn({ data, metadata }: RecordedEvent<MoneyWithdrawn>, view: Documents): void {
    view.upsert(day(metadata.occurredAt), {
      $inc: { withdrawals: data.amount, withdrawalCount: 1, net: -data.amount },
      $setOnInsert: { deposits: 0, depositCount: 0 },
      $max: { largestMovement: data.amount },
    })
  }
}
