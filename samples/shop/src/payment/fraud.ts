/** Which rule raised an alert. */
export type FraudRule = 'card-velocity' | 'unusual-amount'

/** Thresholds of the fraud detector. */
export interface FraudRules {
  /** Length of the event-time window per card. @default 60000 */
  readonly windowMs?: number
  /** Attempts on one card within the window that raise an alert (the one that reaches it, and each after). @default 3 */
  readonly maxAttempts?: number
  /** An amount above this many times the customer's mean so far raises an alert. @default 5 */
  readonly amountFactor?: number
  /** Earlier attempts a customer needs before "usual" means anything. @default 2 */
  readonly minHistory?: number
}

/** A payment attempt as the detector sees it; `at` is its event time in epoch milliseconds. */
export interface Attempt {
  readonly orderId: string
  readonly customerId: string
  readonly card: string
  readonly amount: number
  readonly at: number
}

/** Recent attempt times of one card, inside the window. */
export interface CardWindow {
  readonly times: readonly number[]
}

/** What one customer usually pays. */
export interface CustomerHistory {
  readonly count: number
  readonly total: number
}

/** An attempt the detector holds, and the rule that caught it. */
export interface FraudAlert {
  readonly orderId: string
  readonly rule: FraudRule
  readonly detail: string
}

/** The verdict on one attempt and the detector's state after it. */
export interface Assessment {
  readonly alert: FraudAlert | undefined
  readonly card: CardWindow
  readonly customer: CustomerHistory
}

/**
 * Judges one attempt from the state the earlier ones left. A pure function of
 * the attempts' event times and amounts, never of the wall clock, so the same
 * attempts in the same order give the same alerts on every replay.
 */
export const assessAttempt = (attempt: Attempt, card: CardWindow, customer: CustomerHistory, rules: FraudRules = {}): Assessment => {
  const { windowMs = 60_000, maxAttempts = 3, amountFactor = 5, minHistory = 2 } = rules
  // Attempts may reach the detector out of event-time order: keep both sides of the attempt, within one window of the newest.
  const newest = Math.max(attempt.at, ...card.times)
  const times = [...card.times, attempt.at].filter((t) => t > newest - 2 * windowMs).sort((a, b) => a - b)
  const inWindow = busiestWindowWith(times, attempt.at, windowMs)
  const usual = customer.count > 0 ? customer.total / customer.count : 0
  let alert: FraudAlert | undefined
  if (inWindow >= maxAttempts) {
    alert = { orderId: attempt.orderId, rule: 'card-velocity', detail: `${inWindow} attempts on card ${attempt.card} within ${windowMs / 1000} s` }
  } else if (customer.count >= minHistory && attempt.amount > amountFactor * usual) {
    alert = { orderId: attempt.orderId, rule: 'unusual-amount', detail: `${attempt.amount} cents is over ${amountFactor}× customer ${attempt.customerId}'s usual ${Math.round(usual)}` }
  }
  return { alert, card: { times }, customer: { count: customer.count + 1, total: customer.total + attempt.amount } }
}

/** The most attempts in any window of `windowMs` that holds the one at `at` (`sorted` includes it). */
const busiestWindowWith = (sorted: readonly number[], at: number, windowMs: number): number => {
  let most = 0
  for (const start of sorted) {
    if (start > at || start <= at - windowMs) continue
    most = Math.max(most, sorted.filter((t) => t >= start && t < start + windowMs).length)
  }
  return most
}

/** Runs {@link assessAttempt} over attempts in order: the alerts a replay from the start must give again. */
export const detectFraud = (attempts: Iterable<Attempt>, rules: FraudRules = {}): FraudAlert[] => {
  const cards = new Map<string, CardWindow>()
  const customers = new Map<string, CustomerHistory>()
  const alerts: FraudAlert[] = []
  for (const a of attempts) {
    const r = assessAttempt(a, cards.get(a.card) ?? { times: [] }, customers.get(a.customerId) ?? { count: 0, total: 0 }, rules)
    cards.set(a.card, r.card)
    customers.set(a.customerId, r.customer)
    if (r.alert) alerts.push(r.alert)
  }
  return alerts
}
