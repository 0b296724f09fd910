import {
  ANY,
  BACKWARDS,
  END,
  ErrorType,
  NO_STREAM,
  jsonEvent,
  metastreamOf,
  type ExpectedRevision as EsdbExpectedRevision,
} from '@eventstore/db-client'
import { ConcurrencyError, ValidationError, type ExpectedRevision } from '@eventfold/core'
import { toAdapterClient, type AdapterClient, type EventStoreClient } from '../client/client'
import { StreamSoftDeletedError } from '../errors'
import { currentRevisionOf, isMissingStreamError, translateClientError } from '../mapping/client-errors'
import { encodePosition, isLogPosition } from '../mapping/position'
import { applyRetention, inexactIntegers, isSoftDeletedMetadata, readRetention, type RetentionChange, type StreamRetention } from './stream-retention'

const ignore = (): void => undefined

/** The stream's metadata JSON and the revision of the metadata event it came from. */
const readMetadata = async (
  client: AdapterClient,
  streamId: string,
): Promise<{ readonly metadata: Record<string, unknown>; readonly revision: bigint | undefined }> => {
  const read = client.readStream(metastreamOf(streamId), { direction: BACKWARDS, fromRevision: END, maxCount: 1 })
  try {
    for await (const resolved of read) {
      const e = resolved.event
      if (!e) continue
      const data = e.isJson && e.data !== null && typeof e.data === 'object' && !Array.isArray(e.data) ? (e.data as Record<string, unknown>) : {}
      return { metadata: data, revision: e.revision }
    }
    return { metadata: {}, revision: undefined }
  } catch (error) {
    if (isMissingStreamError(error)) return { metadata: {}, revision: undefined }
    throw error
  } finally {
    await read.cancel().catch(ignore)
  }
}

/** The retention of a stream now. */
export const getRetention = async (client: EventStoreClient, streamId: string): Promise<StreamRetention> =>
  readRetention((await readMetadata(toAdapterClient(client), streamId)).metadata)

/**
 * Changes a stream's retention: reads its metadata, applies the change and
 * writes the result expecting the metadata it read, so that a concurrent
 * change of other metadata is not lost (it retries, up to 5 times).
 * @returns the retention now in force.
 * @throws {@link StreamSoftDeletedError} when the stream is soft-deleted (rewriting its metadata would undelete it).
 * @throws {@link ValidationError} when its metadata holds integers beyond 2^53, which would not be written back exactly.
 */
export const setRetention = async (given: EventStoreClient, streamId: string, change: RetentionChange): Promise<StreamRetention> => {
  const client = toAdapterClient(given)
  for (let attempt = 1; ; attempt++) {
    const { metadata, revision } = await readMetadata(client, streamId)
    // The client parses metadata into doubles: rewriting an integer beyond 2^53 would store another number.
    if (isSoftDeletedMetadata(metadata)) throw new StreamSoftDeletedError(streamId)
    const inexact = inexactIntegers(metadata)
    if (inexact.length > 0) {
      throw new ValidationError(
        `The metadata of '${streamId}' holds integers beyond 2^53 that cannot be rewritten exactly`,
        inexact.map((path) => ({ path, message: 'integer beyond 2^53' })),
      )
    }
    const next = applyRetention(metadata, change)
    try {
      await client.appendToStream(metastreamOf(streamId), jsonEvent({ type: '$metadata', data: next }), {
        expectedRevision: revision ?? NO_STREAM,
      })
      return readRetention(next)
    } catch (error) {
      const conflict = (error as { type?: unknown })?.type === ErrorType.WRONG_EXPECTED_VERSION
      if (!conflict || attempt >= 5) throw translateClientError(error, { streamId: metastreamOf(streamId), expected: revision ?? 'no_stream' })
    }
  }
}

/** Options of {@link deleteStream}. */
export interface DeleteStreamOptions {
  /**
   * `false`: soft delete, the events disappear (scavenged later) and the
   * stream can be written again, its revisions going on from where they were.
   * `true`: tombstone, the stream can never be written again.
   * @default false
   */
  readonly hard?: boolean
  /** @default 'any' */
  readonly expectedRevision?: ExpectedRevision
}

/**
 * Deletes a stream, soft or hard. The server's soft delete replaces the
 * stream's metadata with its delete marker: retention, ACLs and custom
 * metadata are gone, and a re-created stream starts without them. A soft delete of a missing stream expecting
 * `any` does nothing (`position` is `undefined`).
 * @returns the log position of the delete, when the server reports one.
 * @throws {@link ConcurrencyError} when the stream is not at the expected revision.
 * @throws {@link StreamTombstonedError} when it was tombstoned already.
 */
export const deleteStream = async (
  given: EventStoreClient,
  streamId: string,
  { hard = false, expectedRevision = 'any' }: DeleteStreamOptions = {},
): Promise<{ readonly position: bigint | undefined }> => {
  const client = toAdapterClient(given)
  let expected: EsdbExpectedRevision
  if (expectedRevision === 'stream_exists') {
    // The server's delete has no "stream exists" check: expect the revision the stream is at.
    const { revision } = await lastRevision(client, streamId)
    if (revision === undefined) throw new ConcurrencyError(streamId, expectedRevision, undefined)
    expected = revision
  } else {
    expected = expectedRevision === 'any' ? ANY : expectedRevision === 'no_stream' ? NO_STREAM : expectedRevision
  }
  try {
    const result = hard
      ? await client.tombstoneStream(streamId, { expectedRevision: expected })
      : await client.deleteStream(streamId, { expectedRevision: expected })
    return { position: isLogPosition(result.position) ? encodePosition(result.position) : undefined }
  } catch (error) {
    // The server refuses a soft delete of a missing stream even with `any`: there is nothing to delete.
    if (!hard && expectedRevision === 'any' && isMissingOnDelete(error)) return { position: undefined }
    throw translateClientError(error, { streamId, expected: expectedRevision, operation: 'delete' })
  }
}

/** True for the server's wrong expected version naming no stream. */
const isMissingOnDelete = (error: unknown): boolean =>
  (error as { type?: unknown })?.type === ErrorType.WRONG_EXPECTED_VERSION && currentRevisionOf(error) === undefined

const lastRevision = async (client: AdapterClient, streamId: string): Promise<{ revision: bigint | undefined }> => {
  const read = client.readStream(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 })
  try {
    for await (const resolved of read) if (resolved.event) return { revision: resolved.event.revision }
    return { revision: undefined }
  } catch (error) {
    if (isMissingStreamError(error)) return { revision: undefined }
    throw translateClientError(error, { streamId })
  } finally {
    await read.cancel().catch(ignore)
  }
}
