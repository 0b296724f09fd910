import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, expect, it } from '@jest/globals'
import type { RecordedEvent } from '@eventfold/core'
import type pg from 'pg'
import { quoteIdent } from '../pg/identifiers'
import { describePostgres, dropSchema, freshSchema, postgresUrl, testPool } from '../testing/connect'
import { EventSql } from './event-sql'
import { channelOf, PostgresEventStore } from './postgres-event-store'

const WRITERS = 16
const EVENTS = 20_000
const ROLLBACK_SHARE = 0.25

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!
const sleepSeconds = (): string => (0.002 + Math.random() * 0.028).toFixed(3)

/**
 * How a writer's transaction interleaves with the others:
 * - `plain`: append and commit at once;
 * - `late-commit`: append (the position is taken), sleep, then end;
 * - `early-xid`: take the transaction id (hence the position) first, sleep,
 *   then append and end: the events become visible long after younger
 *   transactions committed events at higher positions.
 * - `store`: `appendToStream` on the store itself (always committed).
 */
type Mode = 'plain' | 'late-commit' | 'early-xid' | 'store'

describePostgres('PostgresEventStore under concurrent writers (the gap problem)', () => {
  let pool: pg.Pool
  const schema = freshSchema('gap')
  beforeAll(() => {
    pool = testPool(WRITERS + 2)
  })
  afterAll(async () => {
    await dropSchema(pool, schema)
    await pool.end()
  })

  it(
    `delivers every committed event exactly once and in position order while ${WRITERS} writers commit and roll back ${EVENTS} events`,
    async () => {
      const store = new PostgresEventStore({ connectionString: postgresUrl(), max: 4 }, { schema })
      await store.ready()
      const sql = new EventSql(quoteIdent(schema))
      const channel = channelOf(schema)

      const delivered: RecordedEvent[] = []
      let barrierDelivered!: () => void
      const barrier = new Promise<void>((resolve) => (barrierDelivered = resolve))
      const subscription = store.subscribeToAll({ fromPosition: 'start' })
      const consuming = (async () => {
        for await (const e of subscription) {
          if (e.type === 'Barrier') barrierDelivered()
          else delivered.push(e)
        }
      })()

      // A naive tail (position > the highest seen, no safe bound) on the same log,
      // to show the interleaving really is the one that makes readers skip events.
      let writing = true
      const naiveSeen = new Set<string>()
      const naive = (async () => {
        const client = await pool.connect()
        try {
          let last = -1n
          while (writing) {
            const { rows } = await client.query<{ position: string; event_id: string }>(
              `SELECT position::text, event_id FROM ${quoteIdent(schema)}.eventfold_events WHERE position > $1 ORDER BY position`,
              [last.toString()],
            )
            for (const r of rows) {
              naiveSeen.add(r.event_id)
              last = BigInt(r.position)
            }
            await new Promise((resolve) => setTimeout(resolve, 2))
          }
        } finally {
          client.release()
        }
      })()

      let budget = EVENTS
      const committed = new Set<string>()
      const rolledBack = new Set<string>()
      const modes = new Map<Mode, number>()
      const writer = async (w: number): Promise<void> => {
        const client = await pool.connect()
        try {
          for (;;) {
            const n = Math.min(budget, 1 + Math.floor(Math.random() * 10))
            if (n === 0) return
            budget -= n
            const rollback = Math.random() < ROLLBACK_SHARE
            const mode: Mode = pick(rollback ? ['plain', 'late-commit', 'early-xid'] : ['plain', 'late-commit', 'early-xid', 'store'])
            modes.set(mode, (modes.get(mode) ?? 0) + 1)
            const events = Array.from({ length: n }, (_, i) => ({ type: 'Written', data: { w, i }, metadata: { eventId: randomUUID() } }))
            const ids = events.map((e) => e.metadata.eventId)
            const streamId = `Writer${w}-${Math.floor(Math.random() * 4)}`
            if (mode === 'store') {
              await store.appendToStream(streamId, events)
              for (const id of ids) committed.add(id)
              continue
            }
            // The same statement the store runs, inside a transaction the test controls.
            const elements = events.map((e, i) => ({ n: i, id: e.metadata.eventId, type: e.type, data: e.data, metadata: e.metadata }))
            await client.query('BEGIN')
            if (mode === 'early-xid') {
              await client.query('SELECT pg_current_xact_id()')
              await client.query(`SELECT pg_sleep(${sleepSeconds()})`)
            }
            await client.query(sql.append(streamId, 'any', JSON.stringify(elements), channel))
            if (mode === 'late-commit') await client.query(`SELECT pg_sleep(${sleepSeconds()})`)
            await client.query(rollback ? 'ROLLBACK' : 'COMMIT')
            for (const id of ids) (rollback ? rolledBack : committed).add(id)
          }
        } finally {
          client.release()
        }
      }

      const started = Date.now()
      await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)))
      const wroteMs = Date.now() - started
      const deliveredWhileWriting = delivered.length
      writing = false
      await naive

      // Delivery is in position order: once an event appended after every writer ended
      // arrives, every event below it has been delivered, and so has anything extra.
      await store.appendToStream('Barrier-1', [{ type: 'Barrier', data: {} }])
      await barrier
      await subscription.close()
      await consuming
      const readBack: RecordedEvent[] = []
      for await (const e of store.readAll()) if (e.type !== 'Barrier') readBack.push(e)
      await store.close()

      const deliveredIds = delivered.map((e) => e.metadata.eventId)
      const positions = delivered.map((e) => e.position)
      const outOfOrder = positions.filter((p, i) => i > 0 && p <= positions[i - 1]!).length
      const naiveSkipped = [...committed].filter((id) => !naiveSeen.has(id)).length
      console.log(
        `gap test: ${committed.size} committed + ${rolledBack.size} rolled back events in ${wroteMs} ms ` +
          `(${JSON.stringify(Object.fromEntries(modes))} transactions); delivered ${delivered.length} ` +
          `(${deliveredWhileWriting} while the writers ran); ` +
          `a naive tail would have skipped ${naiveSkipped}`,
      )

      expect(committed.size + rolledBack.size).toBe(EVENTS)
      expect(rolledBack.size).toBeGreaterThan(0)
      expect({ delivered: delivered.length, distinct: new Set(deliveredIds).size }).toEqual({ delivered: committed.size, distinct: committed.size })
      expect(deliveredIds.filter((id) => !committed.has(id))).toEqual([])
      expect(deliveredIds.filter((id) => rolledBack.has(id))).toEqual([])
      expect(outOfOrder).toBe(0)
      expect(deliveredWhileWriting).toBeGreaterThan(0)
      expect(readBack.map((e) => e.metadata.eventId)).toEqual(deliveredIds)
      // The interleaving was adversarial: a reader without the safe bound loses events.
      expect(naiveSkipped).toBeGreaterThan(0)
    },
    90_000,
  )
})
