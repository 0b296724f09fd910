import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'
import { ledgerId, streamIdOf, type EntryFields } from './domain'
import { eventfoldSide } from './eventfold'
import type { Size } from './workload'

/**
 * What a W3 load costs below the framework, on SQLite: W2's log written by
 * eventfold, then each stream read and its data parsed, with no framework
 * code, in the raw limit's shape (two columns as arrays) and in the SQLite
 * store's (one text per row, split), beside the whole page as one JSON text
 * and `JSON.parse` alone. Variants interleaved round by round, CPU time of
 * the process, minimum and median. The row SQL repeats the store's
 * `STREAM_ROW_VERSION_ONLY_SQL` (internal to `@eventfold/sqlite`).
 *
 * Usage: node bench/dist/sqlite-row-costs.js [--streams N] [--rounds N]
 */
const { values } = parseArgs({ options: { streams: { type: 'string', default: '300' }, rounds: { type: 'string', default: '30' } } })
const size: Size = { streams: Number(values.streams), eventsPerStream: 100 }
const rounds = Number(values.rounds)

const SEP = '\u0001'
const STREAM = 'FROM eventfold_events WHERE stream_id = ? AND revision >= 0 ORDER BY revision LIMIT 500'

const cpuMs = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

const main = async (): Promise<void> => {
  const file = join(tmpdir(), `sqlite-row-costs-${process.pid}.db`)
  const remove = (): void => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true })
  }
  remove()
  try {
    const fill = await eventfoldSide.batches(file, size, 'NORMAL')
    await fill.run(() => {})
    await fill.close()
    const db = new Database(file, { readonly: true })
    const twoColumns = db.prepare<[string], [number, string]>(`SELECT revision, data ${STREAM}`).raw()
    const oneText = db
      .prepare<[string], string>(
        `SELECT concat(position, ' ', revision, ' ', schema_version, ' ', char(1), data, char(1),
           CASE WHEN schema_version IS NULL THEN metadata END, char(1), type) ${STREAM}`,
      )
      .pluck()
    const onePage = db
      .prepare<[string], string>(
        `SELECT concat('[', group_concat(concat('[', position, ',', revision, ',', ifnull(schema_version, 'null'), ',',
           json_quote(type), ',', data, ']'), ','), ']') FROM (SELECT position, revision, schema_version, type, data ${STREAM})`,
      )
      .pluck()
    const streams = Array.from({ length: size.streams }, (_, i) => streamIdOf(ledgerId(i)))
    const dataOnly = db.prepare<[string], string>(`SELECT data ${STREAM}`).pluck()
    const texts = streams.map((s) => dataOnly.all(s))
    let sum = 0
    const variants: Record<string, () => void> = {
      'raw: two columns as arrays, parse': () => {
        for (const s of streams) for (const [, data] of twoColumns.all(s)) sum += (JSON.parse(data) as EntryFields).amount
      },
      "store's row text, split, parse": () => {
        for (const s of streams) {
          for (const row of oneText.all(s)) {
            const start = row.indexOf(SEP)
            sum += (JSON.parse(row.slice(start + 1, row.indexOf(SEP, start + 1))) as EntryFields).amount
          }
        }
      },
      'the page as one JSON text': () => {
        for (const s of streams) for (const e of JSON.parse(onePage.get(s)!) as [number, number, number, string, EntryFields][]) sum += e[4].amount
      },
      'JSON.parse alone': () => {
        for (const page of texts) for (const data of page) sum += (JSON.parse(data) as EntryFields).amount
      },
    }
    const times: Record<string, number[]> = {}
    for (let r = 0; r < rounds; r++) {
      for (const [name, run] of Object.entries(variants)) {
        const t0 = cpuMs()
        run()
        ;(times[name] ??= []).push(cpuMs() - t0)
      }
    }
    db.close()
    if (!Number.isFinite(sum)) throw new Error('no sum')
    const median = (a: readonly number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!
    console.log(`SQLite stream reads below the framework: ${size.streams} streams × 100 events, ${rounds} rounds, CPU ms`)
    for (const [name, t] of Object.entries(times)) console.log(`${name.padEnd(36)} min ${Math.min(...t).toFixed(1).padStart(6)}  median ${median(t).toFixed(1).padStart(6)}`)
  } finally {
    remove()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
