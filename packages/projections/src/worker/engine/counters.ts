/** What every worker on the engine counts, under one set of names. */
export interface EngineCounters {
  /** Events read from the source, including those this worker does not apply (another partition's, already applied, of another type). */
  readonly eventsRead: number
  /** Events applied through the handler and committed. */
  readonly eventsApplied: number
  /** Writes sent to the store by committed batches. */
  readonly writes: number
  /** Batches committed. */
  readonly batches: number
  /** Events parked (as dead letters) after their last attempt. */
  readonly parked: number
  /** Failed attempts tried again: a handler that threw, a write the store refused, a store outage. */
  readonly retries: number
  /** Commits that found a document changed by another worker and redid their batch from fresh reads. */
  readonly conflicts: number
  /** Milliseconds from when the last committed event occurred to its commit; 0 before the first commit. */
  readonly lag: number
}

export const NO_COUNTS: EngineCounters = { eventsRead: 0, eventsApplied: 0, writes: 0, batches: 0, parked: 0, retries: 0, conflicts: 0, lag: 0 }
