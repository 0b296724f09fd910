import type { RecordedEvent } from '@eventfold/core'
import type { BatchPolicy } from './engine'

/** The engine's options among a worker's. */
export const policyOf = ({ batchSize, maxBatchWaitMs, maxBatchMs, maxAttempts, retry, onError }: BatchPolicy): BatchPolicy => ({
  batchSize,
  maxBatchWaitMs,
  maxBatchMs,
  maxAttempts,
  retry,
  onError,
})

/** When the event occurred, for the lag; undefined when its metadata cannot be read. */
export const occurredAt = (event: RecordedEvent): number | undefined => {
  try {
    const at = Date.parse(event.metadata.occurredAt)
    return Number.isNaN(at) ? undefined : at
  } catch {
    return undefined
  }
}
