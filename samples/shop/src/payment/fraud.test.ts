import { assessAttempt, detectFraud, type Attempt } from './fraud'

const T0 = Date.parse('2026-12-03T10:00:00.000Z')
const attempt = (orderId: string, secondsAfter: number, { card = '4000000000000001', customerId = 'c1', amount = 69_900 } = {}): Attempt => ({
  orderId,
  customerId,
  card,
  amount,
  at: T0 + secondsAfter * 1000,
})

describe('fraud detection over event-time windows', () => {
  it('raises card-velocity on the third attempt on one card within 60 s, and on each after it', () => {
    const burst = [attempt('a', 0), attempt('b', 10), attempt('c', 20), attempt('d', 59)]
    expect(detectFraud(burst).map((a) => [a.orderId, a.rule])).toEqual([
      ['c', 'card-velocity'],
      ['d', 'card-velocity'],
    ])
  })

  it('lets attempts spread wider than the window through', () => {
    expect(detectFraud([attempt('a', 0), attempt('b', 30), attempt('c', 61), attempt('d', 122)])).toEqual([])
  })

  it('counts attempts per card, not per customer', () => {
    const cards = ['4000000000000001', '4000000000000002', '4000000000000003']
    expect(detectFraud(cards.map((card, i) => attempt(`o${i}`, i, { card })))).toEqual([])
  })

  it('raises unusual-amount for an amount far above the customer usual, once there is a history', () => {
    const spread = (i: number) => i * 120
    const alerts = detectFraud([
      attempt('first-large', 0, { amount: 1_000_000 }), // no history yet: nothing to compare with
      attempt('a', spread(1), { amount: 14_900 }),
      attempt('b', spread(2), { amount: 14_900 }),
      attempt('big', spread(3), { amount: 2_000_000 }),
    ])
    expect(alerts.map((a) => [a.orderId, a.rule])).toEqual([['big', 'unusual-amount']])
  })

  it('counts an attempt that arrives late by its event time: the window is judged when the third attempt arrives', () => {
    // Logged in the order b, c, a: a is the earliest by event time but completes the window.
    expect(detectFraud([attempt('b', 10), attempt('c', 20), attempt('a', 0)]).map((a) => [a.orderId, a.rule])).toEqual([['a', 'card-velocity']])
    expect(detectFraud([attempt('b', 70), attempt('c', 20), attempt('a', 0)])).toEqual([])
  })

  it('judges by event time, not by when the detector runs', () => {
    const late = attempt('c', 20)
    const verdict = assessAttempt(late, { times: [T0, T0 + 10_000] }, { count: 0, total: 0 })
    expect(verdict.alert?.rule).toBe('card-velocity')
    // The same attempt with an old window far behind it is fine, whatever the wall clock says.
    expect(assessAttempt(late, { times: [T0 - 120_000, T0 - 90_000] }, { count: 0, total: 0 }).alert).toBeUndefined()
  })

  it('gives the same alerts when the same attempts are replayed from the start', () => {
    const attempts = Array.from({ length: 40 }, (_, i) => attempt(`o${i}`, i * 7, { card: `40000000000000${i % 4}`, customerId: `c${i % 3}`, amount: i === 33 ? 5_000_000 : 69_900 }))
    const first = detectFraud(attempts)
    expect(first.length).toBeGreaterThan(0)
    expect(detectFraud(attempts)).toEqual(first)
  })
})
