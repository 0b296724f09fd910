/** Options of {@link TokenBuckets}. */
export interface TokenBucketOptions {
  /** Requests a client may make at once. */
  readonly capacity: number
  /** Tokens added back per second. */
  readonly refillPerSecond: number
  /** Milliseconds now; tests pass their own. @default Date.now */
  readonly now?: () => number
  /** Buckets kept before full ones are forgotten (a full bucket is the same as none). @default 10000 */
  readonly maxClients?: number
}

/** What {@link TokenBuckets.take} decided. */
export type TakeResult = { readonly allowed: true; readonly remaining: number } | { readonly allowed: false; readonly retryAfterSeconds: number }

/**
 * A token bucket per client key: each request takes a token, tokens come
 * back at a steady rate up to the capacity, so a client may burst up to the
 * capacity and then keeps to the refill rate.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()
  private readonly now: () => number
  private readonly maxClients: number

  /** @throws {RangeError} for a capacity below 1 or a refill rate ≤ 0. */
  constructor(private readonly options: TokenBucketOptions) {
    if (!(options.capacity >= 1)) throw new RangeError(`capacity must be ≥ 1, got ${options.capacity}`)
    if (!(options.refillPerSecond > 0)) throw new RangeError(`refillPerSecond must be > 0, got ${options.refillPerSecond}`)
    this.now = options.now ?? Date.now
    this.maxClients = options.maxClients ?? 10_000
  }

  /** Takes a token from `key`'s bucket, or says how many seconds until one is back. */
  take(key: string): TakeResult {
    const { capacity, refillPerSecond } = this.options
    const now = this.now()
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now }
    const tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * refillPerSecond)
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now })
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / refillPerSecond)) }
    }
    if (this.buckets.size >= this.maxClients && !this.buckets.has(key)) this.forgetFull(now)
    this.buckets.set(key, { tokens: tokens - 1, at: now })
    return { allowed: true, remaining: Math.floor(tokens - 1) }
  }

  private forgetFull(now: number): void {
    const { capacity, refillPerSecond } = this.options
    for (const [key, b] of this.buckets) if (b.tokens + ((now - b.at) / 1000) * refillPerSecond >= capacity) this.buckets.delete(key)
  }
}
