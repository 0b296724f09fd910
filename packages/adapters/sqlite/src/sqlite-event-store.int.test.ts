import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { defineUpcaster, EventRegistry, type RecordedEvent, type Subscription } from '@eventfold/core'
import { EVENT_SCHEMA, EVENT_SCHEMA_MODULE } from './event-schema'
import { EVENT_SQL } from './event-statements'
import { openSqlite, type SqliteConnection } from './sqlite-connection'
import { SqliteEventStore } from './sqlite-event-store'
import { SqliteSnapshotStore } from './sqlite-snapshot-store'
import { tempDir, type TempDir } from './test-support/temp-dir'

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

/** The next event of a subscription; fails after `timeoutMs`, a bound far above any expected wait. */
const nextEvent = async (iterator: AsyncIterator<RecordedEvent>, timeoutMs: number) => {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs}ms`)), timeoutMs)
  })
  try {
    const result = await Promise.race([iterator.next(), timeout])
    if (result.done) throw new Error('the subscription ended')
    return result.value
  } finally {
    clearTimeout(timer)
  }
}

/** Resolves once the subscription has caught up (onCaughtUp was called). */
const caughtUpSignal = () => {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, onCaughtUp: () => resolve() }
}

describe('SqliteEventStore', () => {
  let dir: TempDir
  const toClose: Array<{ close(): Promise<void> }> = []
  const open = (...args: Parameters<typeof openSqlite>): SqliteConnection => {
    const connection = openSqlite(...args)
    toClose.push(connection)
    return connection
  }
  const track = <S extends { close(): Promise<void> }>(closable: S): S => {
    toClose.push(closable)
    return closable
  }

  beforeEach(() => {
    dir = tempDir()
  })

  afterEach(async () => {
    for (const c of toClose.splice(0).reverse()) await c.close()
    dir.remove()
  })

  it('keeps the log across closing and reopening the file', async () => {
    const file = dir.file('events.db')
    const first = SqliteEventStore.open(file)
    const written = await first.appendToStream('Account-1', [{ type: 'Opened', data: { owner: 'Ann' } }])
    await first.close()

    const reopened = track(SqliteEventStore.open(file))
    const next = await reopened.appendToStream('Account-1', [{ type: 'Deposited', data: { amount: 5 } }], {
      expectedRevision: 0n,
    })

    expect((await collect(reopened.readStream('Account-1'))).map((e) => [e.revision, e.type, e.data])).toEqual([
      [0n, 'Opened', { owner: 'Ann' }],
      [1n, 'Deposited', { amount: 5 }],
    ])
    expect(next.position > written.position).toBe(true)
  })

  it('never hands out a position twice, even after the newest events were deleted', async () => {
    const sqlite = open(dir.file('events.db'))
    const store = new SqliteEventStore(sqlite)
    const { position } = await store.appendToStream('Account-1', [{ type: 'A', data: {} }, { type: 'B', data: {} }])
    sqlite.db.prepare('DELETE FROM eventfold_events WHERE position = ?').run(position)

    const after = await store.appendToStream('Account-2', [{ type: 'C', data: {} }])

    expect(after.position > position).toBe(true)
  })

  it('answers every query through an index or the rowid, never by scanning the log', () => {
    const sqlite = open(dir.file('events.db'))
    new SqliteEventStore(sqlite)
    const params = { streamId: 'a', from: 0, limit: 1, types: '["A"]', prefixes: '["Account-"]' }

    for (const [name, sql] of Object.entries(EVENT_SQL)) {
      if (!sql.startsWith('SELECT')) continue
      const statement = sqlite.db.prepare(`EXPLAIN QUERY PLAN ${sql}`)
      const plan = (sql.includes('@') ? statement.all(params) : statement.all(...sql.split('?').slice(1).map(() => 'a'))) as Array<{
        detail: string
      }>
      const onLog = plan.map((row) => row.detail).filter((d) => d.includes('eventfold_events'))
      expect({ name, onLog }).toEqual({ name, onLog: [expect.stringMatching(/^SEARCH eventfold_events/)] })
    }
  })

  it('binds no bare parameter as a LIMIT, which would make SQLite prepare the statement again at every page', () => {
    for (const [name, sql] of Object.entries(EVENT_SQL)) {
      expect({ name, limit: /LIMIT\s+[@:$?]\w*\s*$/i.test(sql) }).toEqual({ name, limit: false })
    }
  })

  it('reads a payload that is not valid JSON as a SerializationError', async () => {
    const sqlite = open(dir.file('events.db'))
    const store = new SqliteEventStore(sqlite)
    await store.appendToStream('Account-1', [{ type: 'Opened', data: {} }])
    sqlite.db.exec("UPDATE eventfold_events SET data = '{broken'")

    await expect(collect(store.readStream('Account-1'))).rejects.toMatchObject({ type: 'serialization', path: 'data' })
  })

  it('reads a metadata payload that is not valid JSON as a SerializationError at the first access of metadata', async () => {
    const sqlite = open(dir.file('events.db'))
    const store = new SqliteEventStore(sqlite)
    await store.appendToStream('Account-1', [{ type: 'Opened', data: { owner: 'Ann' } }])
    sqlite.db.exec("UPDATE eventfold_events SET metadata = '{broken'")

    for (const read of [store.readStream('Account-1'), store.readAll()]) {
      const [event] = await collect(read)
      expect(event!.data).toEqual({ owner: 'Ann' })
      expect(() => event!.metadata).toThrow(expect.objectContaining({ type: 'serialization', path: 'metadata', eventType: 'Opened' }))
    }
  })

  it('stores each event\'s schema version beside its metadata', async () => {
    const sqlite = open(dir.file('events.db'))
    const store = new SqliteEventStore(sqlite)

    await store.appendToStream('Account-1', [
      { type: 'Opened', data: {} },
      { type: 'Renamed', data: {}, metadata: { schemaVersion: 3 } },
    ])

    expect(sqlite.db.prepare('SELECT schema_version FROM eventfold_events ORDER BY position').pluck().all()).toEqual([1, 3])
  })

  it('upgrades a file written before the schema_version column; its events keep the version in their metadata', async () => {
    const file = dir.file('events.db')
    const old = open(file)
    old.migrate(EVENT_SCHEMA_MODULE, EVENT_SCHEMA.slice(0, 1))
    old.db
      .prepare('INSERT INTO eventfold_events (stream_id, revision, event_id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)')
      .run('Account-1', 0, 'e-0', 'Deposited', '{"amount":5}', '{"eventId":"e-0","occurredAt":"2026-01-01T00:00:00.000Z","schemaVersion":1}')
    await old.close()
    const registry = new EventRegistry()
    registry.register('Deposited', { version: 2 })
    registry.addUpcaster(defineUpcaster<{ amount: number }>('Deposited', 1, (d) => ({ cents: d.amount * 100 })))

    const store = new SqliteEventStore(open(file))
    await store.appendToStream('Account-1', [{ type: 'Deposited', data: { cents: 700 }, metadata: { schemaVersion: 2 } }], {
      expectedRevision: 0n,
    })

    const events = (await collect(store.readStream('Account-1'))).map((e) => registry.upcast(e))
    expect(events.map((e) => [e.data, e.metadata.schemaVersion])).toEqual([
      [{ cents: 500 }, 2],
      [{ cents: 700 }, 2],
    ])
  })

  it('reads an event whose type holds the character that separates the fields of a stream row', async () => {
    const store = new SqliteEventStore(open(dir.file('events.db')))
    const type = 'Odd\u0001Type\u0001'
    await store.appendToStream('Account-1', [{ type, data: { n: 1 }, metadata: { note: 'x' } }, { type: 'Plain', data: { n: 2 } }])

    const events = await collect(store.readStream('Account-1'))

    expect(events.map((e) => [e.revision, e.type, e.data, e.metadata.note])).toEqual([
      [0n, type, { n: 1 }, 'x'],
      [1n, 'Plain', { n: 2 }, undefined],
    ])
  })

  it('reads data corrupted with that character as a SerializationError, not as a shorter payload', async () => {
    const sqlite = open(dir.file('events.db'))
    const store = new SqliteEventStore(sqlite)
    await store.appendToStream('Account-1', [{ type: 'Opened', data: {} }])
    sqlite.db.exec("UPDATE eventfold_events SET data = '{}' || char(1) || 'x'")

    await expect(collect(store.readStream('Account-1'))).rejects.toMatchObject({ type: 'serialization', path: 'data' })
  })

  it('hands out a stream in pages of the page size, the same events as one by one, stopping where the loop stops', async () => {
    const store = new SqliteEventStore(open(dir.file('events.db')), { pageSize: 2 })
    await store.appendToStream('Account-1', [1, 2, 3, 4, 5].map((n) => ({ type: 'Counted', data: { n } })))

    const pages: unknown[][] = []
    for await (const page of store.readStream('Account-1').pages()) pages.push(page.map((e) => e.data))
    expect(pages).toEqual([[{ n: 1 }, { n: 2 }], [{ n: 3 }, { n: 4 }], [{ n: 5 }]])

    const read = store.readStream('Account-1')
    const seen: unknown[] = []
    for await (const page of read.pages()) {
      seen.push(...page.map((e) => e.data))
      if (seen.length >= 3) break
    }
    expect(seen).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }])
    expect(await collect(read)).toEqual([])
  })

  it('refuses a page size that is not a positive integer', () => {
    const sqlite = open(dir.file('events.db'))

    expect(() => new SqliteEventStore(sqlite, { pageSize: 0 })).toThrow(RangeError)
  })

  describe('subscriptions', () => {
    it('wake at once on an append through the same connection, whatever the poll interval', async () => {
      const sqlite = open(dir.file('events.db'))
      // It would poll again only in an hour: only the append's wake-up can deliver the event.
      const reading = new SqliteEventStore(sqlite, { pollIntervalMs: 3_600_000 })
      const writing = new SqliteEventStore(sqlite)
      const caughtUp = caughtUpSignal()
      const sub: Subscription = reading.subscribeToAll({ onCaughtUp: caughtUp.onCaughtUp })
      const events = sub[Symbol.asyncIterator]()
      const first = nextEvent(events, 20_000)
      await caughtUp.promise

      await writing.appendToStream('Account-1', [{ type: 'Opened', data: {} }])

      expect((await first).type).toBe('Opened')
      await sub.close()
    })

    it('see appends made through another connection by polling', async () => {
      const file = dir.file('events.db')
      const reading = new SqliteEventStore(open(file), { pollIntervalMs: 20 })
      const writing = new SqliteEventStore(open(file))
      const caughtUp = caughtUpSignal()
      const sub = reading.subscribeToAll({ onCaughtUp: caughtUp.onCaughtUp })
      const events = sub[Symbol.asyncIterator]()
      const first = nextEvent(events, 20_000)
      await caughtUp.promise

      await writing.appendToStream('Account-1', [{ type: 'Opened', data: {} }])

      expect((await first).type).toBe('Opened')
      await sub.close()
    })
  })

  describe('closing', () => {
    it('closing the connection ends the subscriptions of its stores and refuses further use', async () => {
      const sqlite = openSqlite(dir.file('events.db'))
      const store = new SqliteEventStore(sqlite)
      const snapshots = new SqliteSnapshotStore(sqlite)
      const reading = collect(store.subscribeToAll())

      await sqlite.close()

      await expect(reading).resolves.toEqual([])
      await expect(store.appendToStream('Account-1', [{ type: 'A', data: {} }])).rejects.toMatchObject({ type: 'store-closed' })
      await expect(snapshots.load('Account-1')).rejects.toMatchObject({ type: 'store-closed' })
      await expect(store.close()).resolves.toBeUndefined()
    })

    it('closing a store on a shared connection leaves the connection to its other users', async () => {
      const sqlite = open(dir.file('events.db'))
      const closing = new SqliteEventStore(sqlite)
      const staying = new SqliteEventStore(sqlite)
      const snapshots = new SqliteSnapshotStore(sqlite)
      const reading = collect(closing.subscribeToAll())

      await closing.close()

      await expect(reading).resolves.toEqual([])
      await expect(closing.headPosition()).rejects.toMatchObject({ type: 'store-closed' })
      await expect(staying.appendToStream('Account-1', [{ type: 'A', data: {} }])).resolves.toMatchObject({ nextRevision: 0n })
      await expect(snapshots.load('Account-1')).resolves.toBeUndefined()
      expect(sqlite.isOpen).toBe(true)
    })

    it('a store opened on its own connection closes the file with it', async () => {
      const store = SqliteEventStore.open(dir.file('events.db'))
      const reading = collect(store.subscribeToAll())

      await store.close()

      await expect(reading).resolves.toEqual([])
      await expect(store.streamRevision('Account-1')).rejects.toMatchObject({ type: 'store-closed' })
    })
  })
})
