import { afterAll, beforeAll, expect, it } from '@jest/globals'
import { MAX_APPEND_BYTES, MAX_EVENTS_PER_APPEND } from '@eventfold/core'
import { eventStoreHostileInput } from '@eventfold/core/testing'
import type pg from 'pg'
import { describePostgres, dropSchema, freshSchema, testPool } from '../testing/connect'
import { PostgresEventStore } from './postgres-event-store'

describePostgres('PostgresEventStore', () => {
  let pool: pg.Pool
  const schema = freshSchema('hostile')
  beforeAll(() => {
    pool = testPool()
  })
  afterAll(async () => {
    await dropSchema(pool, schema)
    await pool.end()
  })

  // One schema for the file: the suite tags every stream per test.
  eventStoreHostileInput('PostgresEventStore', async () => ({ store: new PostgresEventStore(pool, { schema }) }))

  // jsonb takes several times the room of the text of small numbers: the limits must hold for that shape too.
  it('stores an append at the byte limit made of small numbers, as one event and as the most events an append may hold', async () => {
    const store = new PostgresEventStore(pool, { schema, notifications: false })
    try {
      const one = new Array(Math.floor((MAX_APPEND_BYTES - 200) / 2)).fill(1)
      await expect(store.appendToStream('Big-one', [{ type: 'E', data: one }])).resolves.toMatchObject({ nextRevision: 0n })
      const each = new Array(Math.floor((MAX_APPEND_BYTES / MAX_EVENTS_PER_APPEND - 140) / 2)).fill(1)
      const many = Array.from({ length: MAX_EVENTS_PER_APPEND }, () => ({ type: 'E', data: each }))
      await expect(store.appendToStream('Big-many', many)).resolves.toMatchObject({ nextRevision: BigInt(MAX_EVENTS_PER_APPEND - 1) })
    } finally {
      await store.close()
    }
  }, 60_000)
})
