import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import {
  Aggregate,
  AggregateRepository,
  AggregateRoot,
  defineAggregate,
  EventRegistry,
  EventSourcingHandler,
  type AggregateClass,
  type AggregateDefinition,
  MetadataNotReadError,
  type ReadStreamOptions,
  type RecordedEvent,
} from '@eventfold/core'
import { openSqlite } from './sqlite-connection'
import { SqliteEventStore } from './sqlite-event-store'
import { tempDir, type TempDir } from './test-support/temp-dir'

const EVENTS = 100

interface Tally {
  count: number
  total: number
}

const plainTally = defineAggregate<Tally, { type: string; id: string }, { type: string; data: { n: number } }>({
  category: 'Tally',
  commands: {},
  initialState: () => ({ count: 0, total: 0 }),
  decide: () => [],
  evolve: (s, e) => ({ count: s.count + 1, total: s.total + e.data.n }),
})

@Aggregate('Tally')
class ClassTally extends AggregateRoot {
  count = 0
  total = 0

  @EventSourcingHandler('Counted')
  onCounted(e: { n: number }): void {
    this.count++
    this.total += e.n
  }
}

describe('Loading an aggregate from SQLite', () => {
  let dir: TempDir
  let store: SqliteEventStore

  beforeEach(async () => {
    dir = tempDir()
    store = SqliteEventStore.open(dir.file('events.db'))
    await store.appendToStream(
      'Tally-1',
      Array.from({ length: EVENTS }, (_, n) => ({ type: 'Counted', data: { n } })),
    )
  })

  afterEach(async () => {
    jest.restoreAllMocks()
    await store.close()
    dir.remove()
  })

  it.each<[string, AggregateDefinition<Tally> | AggregateClass]>([
    ['a plain decider', plainTally as AggregateDefinition<Tally>],
    ['a decorated class', ClassTally],
  ])('parses each event’s data and none of its metadata, with %s', async (_label, aggregate) => {
    const repository = new AggregateRepository(store, { registry: new EventRegistry() })
    const parse = jest.spyOn(JSON, 'parse')

    const loaded = await repository.get<Tally>(aggregate, '1')

    expect(loaded.state).toMatchObject({ count: EVENTS, total: (EVENTS * (EVENTS - 1)) / 2 })
    expect(parse).toHaveBeenCalledTimes(EVENTS)
  })

  it('still hands a plain decider the metadata when it reads it', async () => {
    const seen: string[] = []
    const withMetadata = defineAggregate<number, object, { type: string; metadata: { eventId: string } }>({
      category: 'Tally',
      commands: {},
      initialState: () => 0,
      decide: () => [],
      evolve: (s, e) => {
        seen.push(e.metadata.eventId)
        return s + 1
      },
    })

    await new AggregateRepository(store, { registry: new EventRegistry() }).get(withMetadata, '1')

    const ids: string[] = []
    for await (const e of store.readStream('Tally-1')) ids.push(e.metadata.eventId)
    expect(seen).toEqual(ids)
  })

  it('leaves metadata out of a read that asks to, and reads the version of a row kept without one from its metadata', async () => {
    await store.appendToStream('Tally-2', [
      { type: 'Counted', data: { n: 1 } },
      { type: 'Counted', data: { n: 2 }, metadata: { schemaVersion: 3, tenant: 't' } },
      { type: 'Counted', data: { n: 3 }, metadata: { schemaVersion: 2 } },
    ])
    // As a row written before the log kept schema_version beside the metadata.
    const writer = openSqlite(dir.file('events.db'))
    writer.db.prepare("UPDATE eventfold_events SET schema_version = NULL WHERE stream_id = 'Tally-2' AND revision = 2").run()
    await writer.close()
    const read = async (options: ReadStreamOptions) => {
      const events: RecordedEvent[] = []
      for await (const e of store.readStream('Tally-2', options)) events.push(e)
      return events
    }

    for (const direction of ['forwards', 'backwards'] as const) {
      const full = await read({ direction })
      const lean = await read({ direction, readMetadata: false })
      const facts = (events: RecordedEvent[]) => events.map((e) => [e.type, e.data, e.revision, e.position, e.metadata.schemaVersion])
      expect(facts(lean)).toEqual(facts(full))
      expect(facts(lean).map((f) => f[4])).toEqual(direction === 'forwards' ? [1, 3, 2] : [2, 3, 1])
      const byRevision = (events: RecordedEvent[], revision: bigint) => events.find((e) => e.revision === revision)!
      expect(() => byRevision(lean, 0n).metadata.eventId).toThrow(MetadataNotReadError)
      expect(() => byRevision(lean, 1n).metadata.tenant).toThrow(MetadataNotReadError)
      // The old row carried its metadata, which the read hands out whole.
      expect(byRevision(lean, 2n).metadata.eventId).toBe(byRevision(full, 2n).metadata.eventId)
    }
  })
})
