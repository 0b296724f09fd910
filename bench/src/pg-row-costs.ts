import { parseArgs } from 'node:util'
import pg from 'pg'
import { PgSchemas, pgEventfoldSide } from './pg'
import type { Size } from './workload'

/**
 * What each column of a stream read costs the PostgreSQL server per row, on
 * W2's log: the execution time of `sum(octet_length(<expression>))` over every
 * row, from `EXPLAIN ANALYZE` (server CPU only: no network, no client, far
 * less disturbed by a shared machine than wall time), minimum and median of
 * the repetitions. The json and text copies of `metadata` show what the
 * jsonb output costs against a column that is printed as stored.
 *
 * Usage: node bench/dist/pg-row-costs.js [--streams N] [--repeat N]
 */
const { values } = parseArgs({ options: { streams: { type: 'string', default: '300' }, repeat: { type: 'string', default: '9' } } })
const size: Size = { streams: Number(values.streams), eventsPerStream: 100 }
const repeat = Number(values.repeat)

// [what, expression, table]: the tables differ only in the type of `metadata`.
const EXPRESSIONS: readonly (readonly [string, string, 'jsonb' | 'json' | 'text'])[] = [
  ['stream_id', 'stream_id', 'jsonb'],
  ['revision::text', 'revision::text', 'jsonb'],
  ['data::text (jsonb)', 'data::text', 'jsonb'],
  ['metadata::text (jsonb)', 'metadata::text', 'jsonb'],
  ["(metadata -> 'schemaVersion')::text", "(metadata -> 'schemaVersion')::text", 'jsonb'],
  ["metadata ->> 'occurredAt'", "metadata ->> 'occurredAt'", 'jsonb'],
  ['metadata::text, metadata a json column', 'metadata::text', 'json'],
  ['metadata, a text column', 'metadata', 'text'],
]

const main = async (): Promise<void> => {
  const url = process.env.POSTGRES_URL
  if (!url) throw new Error('POSTGRES_URL is not set')
  const schemas = new PgSchemas(url)
  const schema = schemas.fresh()
  const client = new pg.Client({ connectionString: url })
  try {
    const fill = await pgEventfoldSide.batches(url, schema, size)
    await fill.run(() => {})
    await fill.close()
    await client.connect()
    const tableOf = (type: string): string => `"${schema}".costs_${type}`
    for (const type of ['jsonb', 'json', 'text']) {
      await client.query(
        `CREATE TABLE ${tableOf(type)} AS SELECT position, stream_id, revision, event_id, type, data, metadata::${type} AS metadata FROM "${schema}".eventfold_events`,
      )
      await client.query(`VACUUM ANALYZE ${tableOf(type)}`)
    }
    const rows = Number((await client.query(`SELECT count(*) AS n FROM ${tableOf('jsonb')}`)).rows[0].n)
    console.log(`server CPU per row of ${rows} (W2's log, ${size.streams} × 100), ${repeat} repetitions`)
    for (const [name, expression, type] of EXPRESSIONS) {
      const ms: number[] = []
      for (let i = 0; i < repeat; i++) {
        const plan = await client.query(`EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) SELECT sum(octet_length(${expression})) FROM ${tableOf(type)}`)
        ms.push(Number(plan.rows[0]['QUERY PLAN'][0]['Execution Time']))
      }
      ms.sort((a, b) => a - b)
      const us = (t: number): string => ((t * 1000) / rows).toFixed(3)
      console.log(`${name.padEnd(38)} µs min ${us(ms[0]!)} median ${us(ms[ms.length >> 1]!)}`)
    }
  } finally {
    await client.end()
    await schemas.close()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
