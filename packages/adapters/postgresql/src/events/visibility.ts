import { positionBoundOf } from './position'

/** `xmin` and `xmax` of a snapshot, as decimal text. */
export interface SnapshotMarks {
  readonly xmin: string
  readonly xmax: string
}

/** Options of {@link settledBound}. */
export interface SettleOptions {
  /** Reads the marks of a fresh snapshot (one statement). */
  readonly readMarks: () => Promise<SnapshotMarks>
  /** How long to wait for the transactions in flight at the call. */
  readonly timeoutMs: number
  /** Stop waiting early, e.g. because the store is closing. */
  readonly cancelled: () => boolean
  /** Called once the first snapshot is taken: transactions that end from now on are not waited for. */
  readonly onMarked?: () => void
}

/**
 * An exclusive position bound below which the log is final *and* holds
 * every append committed before the call: "read your writes" for `readAll`,
 * `headPosition` and subscriptions from `'end'`.
 *
 * The first snapshot's `xmax` is one past the newest transaction that had
 * ended, so every append committed before the call has a transaction id
 * below it. Some transactions below it may still be running (the snapshot's
 * in-progress list): once a later snapshot's `xmin` reaches `xmax`, they
 * have all ended, so no event can appear below `xmax × 2^20` any more.
 * Transactions that had not ended then (and later ones) are not waited for:
 * their ids are at or above `xmax`, their events above the bound.
 *
 * Waiting polls (1 ms, doubling to 50 ms). After `timeoutMs`, or when
 * cancelled, it settles for the safe bound of the moment: still never above
 * an event that could appear later, only possibly behind the newest commits.
 */
export const settledBound = async ({ readMarks, timeoutMs, cancelled, onMarked }: SettleOptions): Promise<bigint> => {
  const first = await readMarks()
  onMarked?.()
  const target = BigInt(first.xmax)
  let xmin = BigInt(first.xmin)
  const deadline = Date.now() + timeoutMs
  let delay = 1
  while (xmin < target) {
    if (cancelled() || Date.now() >= deadline) return positionBoundOf(xmin)
    await new Promise((resolve) => setTimeout(resolve, delay))
    delay = Math.min(delay * 2, 50)
    xmin = BigInt((await readMarks()).xmin)
  }
  return positionBoundOf(target)
}
