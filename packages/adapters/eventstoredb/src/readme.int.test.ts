// The snippets of README.md, compiled and run against a server: the README cannot drift from the code.
import { expect, it } from '@jest/globals'
import type { RecordedEvent } from '@eventfold/core'
import { InMemoryDocumentStore, On, Projection, projectionFromInstance, type Documents } from '@eventfold/projections'
import { decodePosition, encodePosition, EventStoreDBEventStore, PersistentProjectionConsumer, persistentProjectionWorker } from './index'
import { describeEventStoreDB, testClient, uniqueTag } from './testing/server'

@Projection('readme-balances', { collection: 'account_balances' })
class AccountBalances {
  @On('Deposited') deposited(e: RecordedEvent<{ accountId: string; amount: number }>, view: Documents) {
    view.upsert(e.data.accountId, { $inc: { balance: e.data.amount } })
  }
}

describeEventStoreDB('README snippets', (url) => {
  it('appends, reads and subscribes', async () => {
    const tag = uniqueTag()
    // #region usage
    const events = new EventStoreDBEventStore(url) // or: new EventStoreDBEventStore(KurrentDBClient.connectionString(url))
    const { nextRevision, position } = await events.appendToStream(
      `${tag}Account-1`,
      [{ type: 'AccountOpened', data: { owner: 'Ann' }, metadata: { correlationId: 'req-1' } }],
      { expectedRevision: 'no_stream' },
    )
    for await (const e of events.readStream(`${tag}Account-1`)) console.log(e.revision, e.type, e.position)
    // #endregion usage

    // #region correlation
    const flow = await events.readCorrelated('req-1') // undefined when $by_correlation_id cannot answer: scan then
    if (flow) for await (const e of flow) console.log(e.streamId, e.revision, e.type, e.position)
    // #endregion correlation

    // #region positions
    const { commit, prepare } = decodePosition(position) // the server's $all position of the event
    expect(encodePosition({ commit, prepare })).toBe(position)
    // #endregion positions

    const seen: RecordedEvent[] = []
    // #region subscribe
    const subscription = events.subscribeToAll({
      fromPosition: position, // a checkpoint: delivery starts after it
      filter: { eventTypes: ['Deposited'] }, // filtered by the server
      onCaughtUp: (reached) => console.log('caught up at', reached), // also while only skipping events
    })
    // #endregion subscribe
    await events.appendToStream(`${tag}Account-1`, [{ type: 'Deposited', data: { amount: 5 } }], { expectedRevision: nextRevision })
    for await (const e of subscription) {
      seen.push(e)
      break
    }
    await subscription.close()
    expect(seen.map((e) => e.data)).toEqual([{ amount: 5 }])

    // #region retention
    await events.setRetention(`${tag}Account-1`, { maxAge: 30 * 24 * 3600, maxCount: null })
    await events.deleteStream(`${tag}Account-1`) // soft; { hard: true } tombstones it
    // #endregion retention
    await events.close()
  })

  it('runs a persistent consumer', async () => {
    const client = testClient(url)
    const group = `${uniqueTag()}-balances`
    const applied: RecordedEvent[] = []
    const apply = async (e: RecordedEvent): Promise<void> => void applied.push(e)
    // #region persistent
    const consumer = new PersistentProjectionConsumer(client, {
      group, // one group per projection; every worker joins it
      filter: { eventTypes: ['Deposited'] },
      startFrom: 'end',
      maxAttempts: 3, // then the event is parked
      handle: apply, // idempotent: delivery is at least once
    })
    await consumer.ensure() // creates the group (Pinned); updates it only when its settings changed
    const running = consumer.run()
    // … later
    await consumer.stop()
    await running
    for await (const letter of consumer.deadLetters()) console.log(letter.event.streamId, letter.error.message)
    await consumer.replayParked()
    // #endregion persistent
    expect(applied.every((e) => e.type === 'Deposited')).toBe(true)
    await client.deletePersistentSubscriptionToAll(group)
    await client.dispose()
  })

  it('runs a projection as competing workers', async () => {
    const client = testClient(url)
    const documents = new InMemoryDocumentStore() // a store with transactions: SQLite, PostgreSQL, MongoDB replica set
    const group = `${uniqueTag()}-balances`
    // #region persistent-worker
    const { worker, group: subscription } = persistentProjectionWorker(client, {
      projection: projectionFromInstance(new AccountBalances()),
      documents, // must have transactions: markers commit with the documents
      group, // default: the projection's name; every worker (process) of the projection joins it
      startFrom: 'end',
      batchSize: 100, // events per commit; the group lets a worker hold as many unacknowledged
      maxAttempts: 3, // then the event is parked in the group's parked stream
    })
    await subscription.ensure() // creates the group (Pinned, filtered to the projection's event types)
    const running = worker.run()
    // … later
    await worker.stop() // commits and acknowledges the batch in hand, then leaves the group
    await running
    for await (const letter of worker.deadLetters()) console.log(letter.event.streamId, letter.error.message)
    await subscription.replayParked() // a replayed event is applied, once
    // #endregion persistent-worker
    expect(worker.status.eventsApplied).toBe(0)
    await client.deletePersistentSubscriptionToAll(group)
    await client.dispose()
  })
})
