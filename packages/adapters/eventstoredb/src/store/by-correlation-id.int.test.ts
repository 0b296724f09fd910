import { afterEach, beforeEach, expect, it } from '@jest/globals'
import { RUNNING, STOPPED, type EventStoreDBClient } from '@eventstore/db-client'
import type { EventRead } from '@eventfold/core'
import { toAdapterClient, type EventStoreClient } from '../client/client'
import { comparePositions, decodePosition } from '../mapping/position'
import { describeEventStoreDB, testClient, uniqueTag, waitFor } from '../testing/server'
import { BY_CORRELATION_ID, correlationStreamOf, parseCheckpointTag } from './by-correlation-id'
import { EventStoreDBEventStore } from './eventstoredb-event-store'

const collect = async (read: EventRead | undefined): Promise<Array<[string, bigint]>> => {
  const out: Array<[string, bigint]> = []
  for await (const e of read!) out.push([e.streamId, e.position])
  return out
}

// The server must run its standard projections (docker-compose.yml starts them: RUN_PROJECTIONS=All,
// START_STANDARD_PROJECTIONS=true). The test stops and starts the shared `$by_correlation_id` projection;
// nothing else in the suite reads through it.
describeEventStoreDB('readCorrelated on a server', (url) => {
  let client: EventStoreClient
  let esdb: EventStoreDBClient
  let store: EventStoreDBEventStore
  let tag: string
  beforeEach(() => {
    client = testClient(url)
    esdb = toAdapterClient(client)
    store = new EventStoreDBEventStore(client)
    tag = uniqueTag()
  })
  afterEach(async () => {
    // Leaves the projection running whatever the test did to it.
    await esdb.enableProjection(BY_CORRELATION_ID).catch(() => undefined)
    await store.close()
    await client.dispose()
  })

  const status = () => esdb.getProjectionStatus(BY_CORRELATION_ID)
  /** The links in the flow's `$bc-` stream, as the server wrote them (`<revision>@<stream>`). */
  const linksOf = async (correlationId: string): Promise<string[]> => {
    const out: string[] = []
    try {
      for await (const resolved of esdb.readStream(correlationStreamOf(correlationId))) {
        const data = resolved.event?.data
        out.push(data instanceof Uint8Array ? Buffer.from(data).toString('utf8') : String(data))
      }
    } catch {
      // Not linked yet: no stream.
    }
    return out
  }

  it('finds a flow through the links up to the projection checkpoint and the log after it, and hides deleted events', async () => {
    await waitFor(async () => (await status()).projectionStatus === RUNNING, `${BY_CORRELATION_ID} to run`, 60_000)
    const flow = `${tag}-flow`
    const placed = await store.appendToStream(`${tag}Order-1`, [{ type: 'OrderPlaced', data: {}, metadata: { correlationId: flow } }])
    await store.appendToStream(`${tag}Order-2`, [{ type: 'OrderPlaced', data: {}, metadata: { correlationId: `${tag}-other` } }])
    await waitFor(async () => (await linksOf(flow)).includes(`0@${tag}Order-1`), 'the projection to link the first event', 60_000)

    // A stopped projection writes a checkpoint; until it runs again, the lookup answers "scan".
    await esdb.disableProjection(BY_CORRELATION_ID)
    await waitFor(async () => (await status()).projectionStatus === STOPPED, `${BY_CORRELATION_ID} to stop`, 60_000)
    expect(await store.readCorrelated(flow)).toBeUndefined()
    await esdb.enableProjection(BY_CORRELATION_ID)
    await waitFor(
      async () => {
        const { projectionStatus, lastCheckpoint } = await status()
        const checkpoint = parseCheckpointTag(lastCheckpoint)
        return projectionStatus === RUNNING && checkpoint !== undefined && comparePositions(checkpoint, decodePosition(placed.position)) >= 0
      },
      `${BY_CORRELATION_ID} to run again from a checkpoint past the first event`,
      60_000,
    )
    const paid = await store.appendToStream(`${tag}Payment-1`, [{ type: 'PaymentTaken', data: {}, metadata: { correlationId: flow } }])

    expect(await collect(await store.readCorrelated(flow))).toEqual([
      [`${tag}Order-1`, placed.position],
      [`${tag}Payment-1`, paid.position],
    ])
    expect(await collect(await store.readCorrelated(`${tag}-nobody`))).toEqual([])

    await store.deleteStream(`${tag}Order-1`)
    expect(await collect(await store.readCorrelated(flow))).toEqual([[`${tag}Payment-1`, paid.position]])
  })
})
