/** A bounded exponential backoff. */
export interface BackoffPolicy {
  /** Attempts in total, the first included. @default 5 */
  readonly maxAttempts?: number
  /** Delay before the second attempt. @default 5 */
  readonly initialDelayMs?: number
  /** Upper bound of any one delay. @default 500 */
  readonly maxDelayMs?: number
  /** Growth factor between attempts. @default 2 */
  readonly factor?: number
  /** Randomize each delay in [delay/2, delay] so that contenders spread out. @default true */
  readonly jitter?: boolean
}

/** Delay in ms before attempt `attempt` (2 = first retry). */
export const backoffDelay = (
  attempt: number,
  { initialDelayMs = 5, maxDelayMs = 500, factor = 2, jitter = true }: BackoffPolicy = {},
): number => {
  const base = Math.min(maxDelayMs, initialDelayMs * factor ** Math.max(0, attempt - 2))
  return jitter ? base / 2 + Math.random() * (base / 2) : base
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
