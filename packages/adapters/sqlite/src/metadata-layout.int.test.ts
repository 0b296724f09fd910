import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import type { RecordedEvent } from '@eventfold/core'
import { EVENT_SCHEMA, EVENT_SCHEMA_MODULE } from './event-schema'
import { openSqlite } from './sqlite-connection'
import { SqliteEventStore } from './sqlite-event-store'
import { tempDir, type TempDir } from './test-support/temp-dir'

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

const at = '2026-01-01T00:00:00.000Z'
/** Metadata texts as stores wrote them before the metadata_layout column, one per kind of event. */
const OLD_METADATA = [
  JSON.stringify({ eventId: 'e-0', occurredAt: at, schemaVersion: 1 }),
  JSON.stringify({ correlationId: 'c-1', causationId: 'c-1', eventId: 'e-1', occurredAt: at, schemaVersion: 1 }),
  JSON.stringify({ userId: 'u-1', eventId: 'e-2', occurredAt: at, schemaVersion: 2 }),
]

/** Writes a file at schema version 2 (before metadata_layout), rows inserted as that code inserted them. */
const writeOldFile = async (file: string): Promise<void> => {
  const old = openSqlite(file)
  old.migrate(EVENT_SCHEMA_MODULE, EVENT_SCHEMA.slice(0, 2))
  const insert = old.db.prepare(
    'INSERT INTO eventfold_events (stream_id, revision, event_id, type, data, metadata, schema_version) VALUES (?, ?, ?, ?, ?, ?, ?)',
  )
  OLD_METADATA.forEach((metadata, i) => insert.run('Account-1', i, `e-${i}`, 'Deposited', `{"amount":${i}}`, metadata, JSON.parse(metadata).schemaVersion))
  await old.close()
}

/** The events of the old file, as any version of the store reads them. */
const oldEvents = OLD_METADATA.map((metadata, i) => ({
  type: 'Deposited',
  data: { amount: i },
  metadata: JSON.parse(metadata) as unknown,
  streamId: 'Account-1',
  revision: BigInt(i),
  position: BigInt(i + 1),
}))

const schemaVersionOf = (file: string): unknown => {
  const reader = openSqlite(file, { readOnly: true })
  try {
    return reader.db.prepare('SELECT version FROM eventfold_schema WHERE module = ?').pluck().get(EVENT_SCHEMA_MODULE)
  } finally {
    void reader.close()
  }
}

const isDataProperty = (event: RecordedEvent): boolean => 'value' in Object.getOwnPropertyDescriptor(event, 'metadata')!

describe('SqliteEventStore: metadata layouts', () => {
  let dir: TempDir
  const opened: Array<{ close(): Promise<void> }> = []
  beforeEach(() => {
    dir = tempDir()
  })
  afterEach(async () => {
    for (const o of opened.splice(0)) await o.close()
    dir.remove()
  })
  const open = (file: string, readOnly = false): SqliteEventStore => {
    const store = SqliteEventStore.open(file, { readOnly })
    opened.push(store)
    return store
  }

  it('keeps beside each metadata text the layout that is read without parsing it', async () => {
    const file = dir.file('events.db')
    const store = open(file)

    await store.appendToStream('Account-1', [
      { type: 'Opened', data: {} },
      { type: 'Deposited', data: {}, metadata: { correlationId: 'c', causationId: 'd' } },
      { type: 'Deposited', data: {}, metadata: { correlationId: 'c', causationId: 'd', schemaVersion: 1 } },
      { type: 'Deposited', data: {}, metadata: { userId: 'u' } },
    ])

    const rows = openSqlite(file, { readOnly: true })
    const stored = rows.db.prepare('SELECT metadata, metadata_layout FROM eventfold_events ORDER BY position').raw().all() as [string, number | null][]
    await rows.close()
    expect(stored.map(([, layout]) => layout)).toEqual([1, 2, 3, null])
    for (const read of [await collect(store.readStream('Account-1')), await collect(store.readAll())]) {
      expect(read.map((e) => e.metadata)).toStrictEqual(stored.map(([metadata]) => JSON.parse(metadata)))
      expect(read.map((e) => JSON.stringify(e.metadata))).toEqual(stored.map(([metadata]) => metadata))
      expect(read.map(isDataProperty)).toEqual([true, true, true, false])
    }
  })

  it('reads metadata edited by hand as it now is: the edit clears the layout kept beside it', async () => {
    const file = dir.file('events.db')
    const store = open(file)
    await store.appendToStream('Account-1', [{ type: 'Opened', data: {} }])
    const edited = JSON.stringify({ tenant: 't', eventId: 'e-9', occurredAt: at, schemaVersion: 1 })
    const sqlite = openSqlite(file)
    sqlite.db.prepare('UPDATE eventfold_events SET metadata = ?').run(edited)
    const layout = sqlite.db.prepare('SELECT metadata_layout FROM eventfold_events').pluck().get()
    await sqlite.close()

    const [event] = await collect(store.readStream('Account-1'))

    expect(layout).toBeNull()
    expect(event!.metadata).toStrictEqual(JSON.parse(edited))
  })

  it('reads a file written before the layout column, opened read-only, as it was written, and leaves it as it was', async () => {
    const file = dir.file('events.db')
    await writeOldFile(file)

    const store = open(file, true)

    expect(await collect(store.readStream('Account-1'))).toEqual(oldEvents)
    expect(await collect(store.readStream('Account-1', { direction: 'backwards' }))).toEqual([...oldEvents].reverse())
    expect(await collect(store.readAll())).toEqual(oldEvents)
    expect(schemaVersionOf(file)).toBe(2)
  })

  it('upgrades a file written before the layout column when opened for writing: old rows read the same, new rows carry their layout', async () => {
    const file = dir.file('events.db')
    await writeOldFile(file)

    const store = open(file)
    await store.appendToStream('Account-1', [{ type: 'Deposited', data: { amount: 3 } }], { expectedRevision: 2n })

    const read = await collect(store.readStream('Account-1'))
    expect(read.slice(0, 3)).toEqual(oldEvents)
    expect(read[3]).toMatchObject({ data: { amount: 3 }, revision: 3n, metadata: { schemaVersion: 1 } })
    expect(read.map(isDataProperty)).toEqual([true, true, false, true])
    expect(schemaVersionOf(file)).toBe(EVENT_SCHEMA.length)
  })

  it('reads metadata corrupted by hand in an old row at its first access, as before', async () => {
    const file = dir.file('events.db')
    await writeOldFile(file)
    const sqlite = openSqlite(file)
    sqlite.db.exec(`UPDATE eventfold_events SET metadata = '{broken' WHERE revision = 0`)
    await sqlite.close()

    const [first] = await collect(open(file, true).readStream('Account-1'))

    expect(first!.data).toEqual({ amount: 0 })
    expect(() => first!.metadata).toThrow(expect.objectContaining({ type: 'serialization', path: 'metadata' }))
  })
})
