import { randomUUID } from 'node:crypto'
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'
import { orderedId } from './raw'

/**
 * What one more index on the event table costs an append, on raw
 * better-sqlite3 at synchronous=NORMAL: one-event transactions into a table
 * shaped like the log, with no extra index, without AUTOINCREMENT (no
 * `sqlite_sequence` row to update), with both indexes the SQLite store keeps
 * (unique time-ordered event ids, correlation ids), with the correlation
 * index alone as the store builds it (an expression over the metadata), with the
 * same index on a plain column, and with the ids written to a side table in
 * batches of 100 (what an index built after the append would cost). Variants
 * interleaved, each on a fresh file, in CPU and wall time of the process.
 *
 * Usage: node bench/dist/index-cost.js [--commits N] [--rounds N]
 */
const { values } = parseArgs({ options: { commits: { type: 'string', default: '8000' }, rounds: { type: 'string', default: '7' } } })
const commits = Number(values.commits)
const rounds = Number(values.rounds)

const CORRELATION_ID = `(CASE WHEN json_valid(metadata) THEN json_extract(metadata, '$.correlationId') END)`
// The event-id index as the SQLite store builds it, on time-ordered ids.
const EVENT_ID_INDEX = 'CREATE UNIQUE INDEX event_id ON events (event_id)'
const VARIANTS = {
  'no extra index': [],
  'no AUTOINCREMENT': [],
  'both log indexes': [EVENT_ID_INDEX, `CREATE INDEX correlation ON events ${CORRELATION_ID} WHERE ${CORRELATION_ID} IS NOT NULL`],
  'expression index': [`CREATE INDEX correlation ON events ${CORRELATION_ID} WHERE ${CORRELATION_ID} IS NOT NULL`],
  'column index': ['CREATE INDEX correlation ON events (correlation_id) WHERE correlation_id IS NOT NULL'],
  'side table, batches of 100': ['CREATE TABLE correlated (correlation_id TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (correlation_id, position)) WITHOUT ROWID'],
} as const
type Variant = keyof typeof VARIANTS

const cpuMs = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/** CPU and wall ms of `commits` appends. */
const once = (variant: Variant): { cpu: number; wall: number } => {
  const file = join(tmpdir(), `index-cost-${process.pid}.db`)
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true })
  const db = new Database(file)
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY ${variant === 'no AUTOINCREMENT' ? '' : 'AUTOINCREMENT'}, stream_id TEXT NOT NULL,
      revision INTEGER NOT NULL, event_id TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, correlation_id TEXT, UNIQUE (stream_id, revision))`)
    for (const sql of VARIANTS[variant]) db.exec(sql)
    const insert = db.prepare('INSERT INTO events (stream_id, revision, event_id, data, metadata, correlation_id) VALUES (?, ?, ?, ?, ?, ?)')
    const append = db.transaction(
      (stream: string, revision: number, eventId: string, data: string, metadata: string, correlationId: string | null) =>
        insert.run(stream, revision, eventId, data, metadata, correlationId),
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
    const w0 = performance.now()
    for (let i = 0; i < commits; i++) {
      const correlationId = randomUUID()
      const eventId = orderedId()
      const metadata = JSON.stringify({ correlationId, causationId: correlationId, schemaVersion: 1, eventId, occurredAt: new Date().toISOString() })
      const { lastInsertRowid } = append(`ledger-${i % 200}`, Math.floor(i / 200), eventId, data, metadata, variant === 'column index' ? correlationId : null)
      if (sideTable) {
        pending.push([correlationId, lastInsertRowid])
        if (pending.length === 100) flush()
      }
    }
    if (sideTable) flush()
    return { cpu: cpuMs() - t0, wall: performance.now() - w0 }
  } finally {
    db.close()
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true })
  }
}

const times = new Map<Variant, { cpu: number; wall: number }[]>()
for (let r = 0; r < rounds; r++) for (const v of Object.keys(VARIANTS) as Variant[]) times.set(v, [...(times.get(v) ?? []), once(v)])
const median = (a: readonly number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!
const base = times.get('no extra index')!
const perCommit = (t: readonly { cpu: number; wall: number }[], what: 'cpu' | 'wall'): string => {
  const delta = ((median(t.map((x) => x[what])) - median(base.map((x) => x[what]))) * 1000) / commits
  return `${delta >= 0 ? '+' : ''}${delta.toFixed(1)} µs`
}
console.log(`${commits} one-event commits, synchronous=NORMAL, ${rounds} rounds, medians: CPU ms, wall ms (per commit over no extra index)`)
for (const [v, t] of times) {
  const cpu = median(t.map((x) => x.cpu)).toFixed(0).padStart(6)
  const wall = median(t.map((x) => x.wall)).toFixed(0).padStart(6)
  console.log(`${v.padEnd(28)} ${cpu} ${wall}  ${v === 'no extra index' ? '' : `CPU ${perCommit(t, 'cpu')}, wall ${perCommit(t, 'wall')}`}`)
}
