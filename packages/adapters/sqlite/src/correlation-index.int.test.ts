import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import type { EventRead } from '@eventfold/core'
import { CORRELATED_SQL, CORRELATION_INDEX, CORRELATION_SCHEMA_MODULE } from './correlation-index'
import { SqliteEventStore } from './sqlite-event-store'
import { tempDir, type TempDir } from './test-support/temp-dir'

const ids = async (read: EventRead | undefined): Promise<string[]> => {
  const out: string[] = []
  for await (const e of read!) out.push(`${e.streamId}@${e.revision}`)
  return out
}

describe('SqliteEventStore.readCorrelated', () => {
  let dir: TempDir
  beforeEach(() => {
    dir = tempDir()
  })
  afterEach(() => dir.remove())

  const seed = async (store: SqliteEventStore): Promise<void> => {
    await store.appendToStream('Order-1', [{ type: 'Placed', data: {}, metadata: { correlationId: 'c1' } }])
    await store.appendToStream('Order-2', [{ type: 'Placed', data: {}, metadata: { correlationId: 'c2' } }])
    await store.appendToStream('Payment-1', [{ type: 'Paid', data: {} }])
    await store.appendToStream('Payment-1', [{ type: 'Settled', data: {}, metadata: { correlationId: 'c1', causationId: 'x' } }])
  }

  it('returns the events of one correlation id in log order, through the index', async () => {
    const store = SqliteEventStore.open(dir.file('log.db'), { pageSize: 1 })
    try {
      await seed(store)
      expect(await ids(await store.readCorrelated('c1'))).toEqual(['Order-1@0', 'Payment-1@1'])
      expect(await ids(await store.readCorrelated('nope'))).toEqual([])
    } finally {
      await store.close()
    }
    const db = new Database(dir.file('log.db'), { readonly: true })
    try {
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${CORRELATED_SQL}`).all({ correlationId: 'c1', after: 0, limit: 10 }) as { detail: string }[]
      expect(plan.map((p) => p.detail).join('\n')).toMatch(new RegExp(`USING INDEX ${CORRELATION_INDEX}`))
    } finally {
      db.close()
    }
  })

  it('on a file written before the index, opened read-only, answers undefined and writes nothing; opened for writing, gains the index', async () => {
    const file = dir.file('old.db')
    const store = SqliteEventStore.open(file)
    await seed(store)
    await store.close()
    // What older code left: no index, no record of its module.
    const raw = new Database(file)
    raw.exec(`DROP INDEX ${CORRELATION_INDEX}`)
    raw.prepare('DELETE FROM eventfold_schema WHERE module = ?').run(CORRELATION_SCHEMA_MODULE)
    raw.close()

    const reader = SqliteEventStore.open(file, { readOnly: true })
    try {
      expect(await reader.readCorrelated('c1')).toBeUndefined()
    } finally {
      await reader.close()
    }
    const check = new Database(file, { readonly: true })
    expect(check.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = ?").get(CORRELATION_INDEX)).toBeUndefined()
    check.close()

    const writer = SqliteEventStore.open(file)
    try {
      expect(await ids(await writer.readCorrelated('c1'))).toEqual(['Order-1@0', 'Payment-1@1'])
    } finally {
      await writer.close()
    }
  })

  it('is added to a file holding an event whose metadata is not JSON, which then has no correlation id', async () => {
    const file = dir.file('damaged.db')
    const store = SqliteEventStore.open(file)
    await seed(store)
    await store.close()
    const raw = new Database(file)
    raw.exec(`DROP INDEX ${CORRELATION_INDEX}`)
    raw.prepare('DELETE FROM eventfold_schema WHERE module = ?').run(CORRELATION_SCHEMA_MODULE)
    raw.exec("UPDATE eventfold_events SET metadata = '{broken' WHERE stream_id = 'Order-2'")
    raw.close()

    const reopened = SqliteEventStore.open(file)
    try {
      expect(await ids(await reopened.readCorrelated('c1'))).toEqual(['Order-1@0', 'Payment-1@1'])
      expect(await ids(await reopened.readCorrelated('c2'))).toEqual([])
    } finally {
      await reopened.close()
    }
  })
  const indexed = (file: string): boolean => {
    const db = new Database(file, { readonly: true })
    try {
      return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?").get(CORRELATION_INDEX) !== undefined
    } finally {
      db.close()
    }
  }

  it('correlationIndex: false keeps no index, so lookups answer undefined; true again rebuilds it over the stored events', async () => {
    const file = dir.file('switch.db')
    const fresh = SqliteEventStore.open(file, { correlationIndex: false })
    try {
      await seed(fresh)
      expect(await fresh.readCorrelated('c1')).toBeUndefined()
    } finally {
      await fresh.close()
    }
    expect(indexed(file)).toBe(false)

    const indexing = SqliteEventStore.open(file)
    try {
      expect(await ids(await indexing.readCorrelated('c1'))).toEqual(['Order-1@0', 'Payment-1@1'])
    } finally {
      await indexing.close()
    }
    expect(indexed(file)).toBe(true)

    // Dropped from a file that had it, and back again although its schema module is already recorded.
    await SqliteEventStore.open(file, { correlationIndex: false }).close()
    expect(indexed(file)).toBe(false)
    const again = SqliteEventStore.open(file, { correlationIndex: true })
    try {
      await again.appendToStream('Order-3', [{ type: 'Placed', data: {}, metadata: { correlationId: 'c1' } }])
      expect(await ids(await again.readCorrelated('c1'))).toEqual(['Order-1@0', 'Payment-1@1', 'Order-3@0'])
    } finally {
      await again.close()
    }
  })

  it('correlationIndex: false on a read-only open changes nothing', async () => {
    const file = dir.file('ro.db')
    const store = SqliteEventStore.open(file)
    await seed(store)
    await store.close()
    const reader = SqliteEventStore.open(file, { readOnly: true, correlationIndex: false })
    try {
      expect(await ids(await reader.readCorrelated('c1'))).toEqual(['Order-1@0', 'Payment-1@1'])
    } finally {
      await reader.close()
    }
    expect(indexed(file)).toBe(true)
  })
  it('refuses a correlationIndex that is not a boolean', () => {
    expect(() => SqliteEventStore.open(dir.file('bad.db'), { correlationIndex: 'no' as unknown as boolean })).toThrow(/correlationIndex must be true or false, got no/)
  })
})
