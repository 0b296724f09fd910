import { TokenBuckets } from './rate-limit'

describe('token buckets per client key', () => {
  const clock = () => {
    let now = 1_000_000
    return { now: () => now, advance: (ms: number) => (now += ms) }
  }

  it('lets a client burst up to the capacity, then says when to come back', () => {
    const c = clock()
    const buckets = new TokenBuckets({ capacity: 3, refillPerSecond: 0.5, now: c.now })
    expect([1, 2, 3].map(() => buckets.take('k').allowed)).toEqual([true, true, true])
    expect(buckets.take('k')).toEqual({ allowed: false, retryAfterSeconds: 2 })
  })

  it('refills at the configured rate, never above the capacity', () => {
    const c = clock()
    const buckets = new TokenBuckets({ capacity: 2, refillPerSecond: 1, now: c.now })
    buckets.take('k')
    buckets.take('k')
    c.advance(1000)
    expect(buckets.take('k')).toEqual({ allowed: true, remaining: 0 })
    c.advance(60_000)
    expect(buckets.take('k')).toEqual({ allowed: true, remaining: 1 })
  })

  it('keeps one bucket per client', () => {
    const buckets = new TokenBuckets({ capacity: 1, refillPerSecond: 1, now: clock().now })
    expect(buckets.take('a').allowed).toBe(true)
    expect(buckets.take('a').allowed).toBe(false)
    expect(buckets.take('b').allowed).toBe(true)
  })

  it('refuses a capacity below 1 and a refill rate of 0', () => {
    expect(() => new TokenBuckets({ capacity: 0, refillPerSecond: 1 })).toThrow(RangeError)
    expect(() => new TokenBuckets({ capacity: 1, refillPerSecond: 0 })).toThrow(RangeError)
  })
})
