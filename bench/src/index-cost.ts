import { randomUUID } from 'node:crypto'
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'

/**
 * What one more index on the event table costs an append, on raw
 * better-sqlite3 at synchronous=NORMAL: one-event transactions into a table
 * shaped like the log, with no extra index, with the correlation index as
 * the SQLite store builds it (an expression over the metadata), with the
 * same index on a plain column, and with the ids written to a side table in
 * batches of 100 (what an index built after the append would cost). Variants
 * interleaved, each on a fresh file, in CPU time of the process.
 *
 * Usage: node bench/dist/index-cost.js [--commits N] [--rounds N]
 */
const { values } = parseArgs({ options: { commits: { type: 'string', default: '8000' }, rounds: { type: 'string', default: '7' } } })
const commits = Number(values.commits)
const rounds = Number(values.rounds)

const CORRELATION_ID = `(CASE WHEN json_valid(metadata) THEN json_extract(metadata, '$.correlationId') END)`
const VARIANTS = {
  'no extra index': [],
  'expression index': [`CREATE INDEX correlation ON events ${CORRELATION_ID} WHERE ${CORRELATION_ID} IS NOT NULL`],
  'column index': ['CREATE INDEX correlation ON events (correlation_id) WHERE correlation_id IS NOT NULL'],
  'side table, batches of 100': ['CREATE TABLE correlated (correlation_id TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (correlation_id, position)) WITHOUT ROWID'],
} as const
type Variant = keyof typeof VARIANTS

const cpuMs = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

const once = (variant: Variant): number => {
  const file = join(tmpdir(), `index-cost-${process.pid}.db`)
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true })
  const db = new Database(file)
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, stream_id TEXT NOT NULL, revision INTEGER NOT NULL,
      data TEXT NOT NULL, metadata TEXT NOT NULL, correlation_id TEXT, UNIQUE (stream_id, revision))`)
    for (const sql of VARIANTS[variant]) db.exec(sql)
    const insert = db.prepare('INSERT INTO events (stream_id, revision, data, metadata, correlation_id) VALUES (?, ?, ?, ?, ?)')
    const append = db.transaction((stream: string, revision: number, data: string, metadata: string, correlationId: string | null) =>
      insert.run(stream, revision, data, metadata, correlationId),
    ).immediate
    const sideTable = variant === 'side table, batches of 100'
    const pending: [string, number | bigint][] = []
    const side = sideTable ? db.prepare('INSERT INTO correlated VALUES (?, ?)') : undefined
    const flush = db.transaction(() => {
      for (const [id, position] of pending) side!.run(id, position)
      pending.length = 0
    })
    const data = JSON.stringify({ note: 'x'.repeat(180) })
    const t0 = cpuMs()
    for (let i = 0; i < commits; i++) {
      const correlationId = randomUUID()
      const metadata = JSON.stringify({ correlationId, causationId: correlationId, schemaVersion: 1, eventId: randomUUID(), occurredAt: new Date().toISOString() })
      const { lastInsertRowid } = append(`ledger-${i % 200}`, Math.floor(i / 200), data, metadata, variant === 'column index' ? correlationId : null)
      if (sideTable) {
        pending.push([correlationId, lastInsertRowid])
        if (pending.length === 100) flush()
      }
    }
    if (sideTable) flush()
    return cpuMs() - t0
  } finally {
    db.close()
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true })
  }
}

const times = new Map<Variant, number[]>()
for (let r = 0; r < rounds; r++) for (const v of Object.keys(VARIANTS) as Variant[]) times.set(v, [...(times.get(v) ?? []), once(v)])
const median = (a: readonly number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!
const base = median(times.get('no extra index')!)
console.log(`${commits} one-event commits, synchronous=NORMAL, ${rounds} rounds, CPU ms median (µs per commit over no extra index)`)
for (const [v, t] of times) console.log(`${v.padEnd(28)} ${median(t).toFixed(0).padStart(6)}  ${v === 'no extra index' ? '' : `+${(((median(t) - base) * 1000) / commits).toFixed(1)} µs`}`)
