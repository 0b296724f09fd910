import { AccountBalances } from './account-balances'
import { DailyTotals } from './daily-totals'
import { OwnerSummaries } from './owner-summaries'

export { AccountBalances, DailyTotals, OwnerSummaries }

/** Every projection of the bank. */
export const bankProjections = [AccountBalances, OwnerSummaries, DailyTotals] as const
