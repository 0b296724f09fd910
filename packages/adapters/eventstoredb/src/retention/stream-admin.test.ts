import { describe, expect, it } from '@jest/globals'
import type { ResolvedEvent } from '@eventstore/db-client'
import { StreamSoftDeletedError } from '../errors'
import { clientShapes, type ClientShape } from '../test-support/client-shapes'
import { getRetention, setRetention } from './stream-admin'

/**
 * A client whose stream has the metadata `json` (the text the server
 * stores): its read parses the text with `JSON.parse`, as the client does,
 * so integers beyond 2^53 come back rounded. Appends are recorded.
 */
const clientWithMetadata = (shape: ClientShape, json: string) => {
  const appended: unknown[] = []
  const metadataEvent: ResolvedEvent = {
    event: {
      streamId: '$$Account-1',
      id: '0f8fad5b-d9cb-469f-a165-70867728950e',
      isJson: true,
      revision: 1n,
      type: '$metadata',
      created: new Date(0),
      data: JSON.parse(json) as Record<string, unknown>,
      metadata: undefined as unknown as Record<string, unknown>,
      position: { commit: 100n, prepare: 100n },
    },
  }
  const client = shape.client({
    readStream: () => shape.read([metadataEvent]),
    appendToStream: async (_stream: string, event: { data: unknown }) => {
      appended.push(JSON.stringify(event.data))
      return { success: true, nextExpectedRevision: 2n, position: { commit: 200n, prepare: 200n } }
    },
  })
  return { client, appended }
}

describe.each(clientShapes)('stream metadata round trips through the $name', (shape) => {
  // What the server's soft delete writes: $tb = long.MaxValue.
  const softDeleted = '{"$tb":9223372036854775807}'

  it('refuses to change the retention of a soft-deleted stream rather than write back a marker it cannot hold', async () => {
    const { client, appended } = clientWithMetadata(shape, softDeleted)

    await expect(setRetention(client, 'Account-1', { maxAge: 60 })).rejects.toBeInstanceOf(StreamSoftDeletedError)
    await expect(setRetention(client, 'Account-1', { maxAge: 60 })).rejects.toMatchObject({ type: 'stream-soft-deleted', streamId: 'Account-1' })
    expect(appended).toEqual([])
  })

  it('reads the truncation of a soft-deleted stream as 2^63-1', async () => {
    expect(await getRetention(clientWithMetadata(shape, softDeleted).client, 'Account-1')).toEqual({ truncateBefore: (1n << 63n) - 1n })
  })

  it('refuses to rewrite custom metadata holding an integer beyond 2^53, naming it', async () => {
    const { client, appended } = clientWithMetadata(shape, '{"$maxCount":5,"billing":{"account":12345678901234567891}}')

    await expect(setRetention(client, 'Account-1', { maxAge: 60 })).rejects.toMatchObject({
      type: 'validation',
      issues: [expect.objectContaining({ path: 'billing.account' })],
    })
    expect(appended).toEqual([])
  })

  it('rewrites metadata it holds exactly, keeping every other property', async () => {
    const { client, appended } = clientWithMetadata(shape, '{"$acl":{"$r":["$admins"]},"$maxCount":5,"team":"billing"}')

    await setRetention(client, 'Account-1', { maxAge: 60 })
    expect(appended).toEqual(['{"$acl":{"$r":["$admins"]},"$maxCount":5,"team":"billing","$maxAge":60}'])
  })
})
