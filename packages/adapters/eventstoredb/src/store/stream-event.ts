import type { Credentials, EventStoreDBClient, RecordedEvent as EsdbRecordedEvent } from '@eventstore/db-client'
import { isMissingStreamError } from '../mapping/client-errors'

/**
 * The event at `revision` of its stream as a read of that stream returns it
 * now, with the `$all` position the server gives on stream reads (22.6+);
 * `undefined` when such a read no longer returns it (deleted, truncated,
 * expired, or the stream is gone). An event reached through a link carries
 * the link's position, not its own: this read gives its own.
 */
export const readStreamEvent = async (
  client: EventStoreDBClient,
  e: { readonly streamId: string; readonly revision: bigint },
  credentials?: Credentials,
): Promise<EsdbRecordedEvent | undefined> => {
  const read = client.readStream(e.streamId, { fromRevision: e.revision, maxCount: 1, ...(credentials ? { credentials } : {}) })
  try {
    for await (const found of read) return found.event?.revision === e.revision ? found.event : undefined
    return undefined
  } catch (error) {
    if (isMissingStreamError(error)) return undefined
    throw error
  } finally {
    await read.cancel().catch(() => undefined)
  }
}
