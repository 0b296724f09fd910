import type { S1Report } from './s1'
import type { W5Report } from './w5'
import type { ObservedSettings, Synchronous, WorkloadId } from './workload'

/** Events/s of one side on one workload: the median and every run. */
export interface Rate {
  readonly median: number
  readonly runs: readonly number[]
}

export interface Result {
  readonly workload: WorkloadId
  readonly streams: number
  readonly eventsPerStream: number
  readonly events: number
  readonly eventfold: Rate | undefined
  readonly raw: Rate | undefined
  /** eventfold median / raw median. */
  readonly ratio: number | undefined
  readonly target: number
  readonly pass: boolean | undefined
}

export interface SettingReport {
  readonly synchronous: Synchronous
  /** What each side's connections ran with, as SQLite reports it back. */
  readonly observed: Readonly<Record<string, ObservedSettings>>
  readonly results: readonly Result[]
}

/** W1-W4 on PostgreSQL: eventfold's PostgresEventStore against raw pg. */
export interface PostgresReport {
  readonly server?: string
  /** fsync, synchronous_commit, full_page_writes, shared_buffers, wal_level as the server runs. */
  readonly serverSettings?: Readonly<Record<string, string>>
  /** Why it did not run. */
  readonly skipped?: string
  readonly results: readonly Result[]
}

/** W5 targets: events/s at least this (embedded only), peak RSS below this. */
export const W5_TARGET_RATE = 100_000
export const W5_TARGET_RSS_MIB = 300

export interface Report {
  readonly date: string
  readonly machine: {
    readonly cpus: number
    readonly cpuModel: string
    readonly memoryGiB: number
    readonly os: string
    readonly node: string
    readonly betterSqlite3: string
    readonly sqlite: string
    /** 1-minute load average when the run started and ended: above ~1 on 2 cores, other work competed for the CPU. */
    readonly loadAverage: { readonly before: number; readonly after: number }
  }
  /** How the eventfold side opens its store. */
  readonly store: string
  readonly quick: boolean
  readonly runs: number
  readonly dataBytesPerEvent: number
  /** Size of W2-W4 (W1 may run on fewer streams). */
  readonly size: { readonly streams: number; readonly eventsPerStream: number }
  readonly tempDir: string
  readonly settings: readonly SettingReport[]
  readonly postgresql?: PostgresReport
  readonly w5?: W5Report
  readonly s1?: S1Report
}

const TITLES: Readonly<Record<WorkloadId, string>> = {
  W1: 'W1 one command per event',
  W2: 'W2 append 100 per call',
  W3: 'W3 rehydrate every aggregate',
  W3D: 'W3D the same, plain decider',
  W4: 'W4 read the whole log',
}

const int = (n: number | undefined): string => (n === undefined ? '-' : Math.round(n).toLocaleString('en-US'))

const table = (rows: readonly (readonly string[])[], rightAligned: readonly boolean[]): string => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows
    .map((r) => '  ' + r.map((c, i) => (rightAligned[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd())
    .join('\n')
}

/** The human-readable report. */
export const formatReport = (r: Report): string => {
  const m = r.machine
  const out: string[] = [
    `eventfold benchmark, ${r.date}${r.quick ? '  (--quick: small sizes, not comparable with full runs)' : ''}`,
    `machine  ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; ` +
      `load average ${m.loadAverage.before.toFixed(2)} at start, ${m.loadAverage.after.toFixed(2)} at end`,
    `sqlite   SQLite ${m.sqlite} through better-sqlite3 ${m.betterSqlite3}; eventfold side: ${r.store}`,
    `data     ${r.dataBytesPerEvent} bytes of JSON data per event; median of ${r.runs} run${r.runs === 1 ? '' : 's'}; databases in ${r.tempDir}`,
  ]
  for (const s of r.settings) {
    const seen = Object.entries(s.observed)
      .map(([side, o]) => `${side} journal_mode=${o.journalMode} synchronous=${o.synchronous}`)
      .join('; ')
    out.push('', `synchronous=${s.synchronous}   read back from the connections: ${seen || '-'}`)
    const rows = [
      ['workload', 'streams × events', 'eventfold ev/s', 'raw ev/s', 'ratio', 'target', 'result'],
      ...s.results.map((x) => [
        TITLES[x.workload],
        `${x.streams} × ${x.eventsPerStream} = ${x.events.toLocaleString('en-US')}`,
        int(x.eventfold?.median),
        int(x.raw?.median),
        x.ratio === undefined ? '-' : x.ratio.toFixed(2),
        `≥ ${x.target.toFixed(2)}`,
        x.pass === undefined ? '-' : x.pass ? 'PASS' : 'MISS',
      ]),
    ]
    out.push(table(rows, [false, true, true, true, true, false, false]))
    const w1 = s.results.find((x) => x.workload === 'W1')
    if (w1 && w1.streams < r.size.streams) {
      out.push(
        `  W1 ran on a subset: ${w1.streams} of ${r.size.streams} streams, ${w1.events.toLocaleString('en-US')} commands` +
          (s.synchronous === 'FULL' ? ' (one fsync each), to keep the whole run short.' : '.'),
      )
    }
  }
  if (r.postgresql) out.push('', ...formatPostgres(r.postgresql))
  if (r.w5) out.push('', ...formatW5(r.w5))
  return `${out.join('\n')}\n`
}

const resultRows = (results: readonly Result[]): string => {
  const rows = [
    ['workload', 'streams × events', 'eventfold ev/s', 'raw ev/s', 'ratio', 'target', 'result'],
    ...results.map((x) => [
      TITLES[x.workload],
      `${x.streams} × ${x.eventsPerStream} = ${x.events.toLocaleString('en-US')}`,
      int(x.eventfold?.median),
      int(x.raw?.median),
      x.ratio === undefined ? '-' : x.ratio.toFixed(2),
      `≥ ${x.target.toFixed(2)}`,
      x.pass === undefined ? '-' : x.pass ? 'PASS' : 'MISS',
    ]),
  ]
  return table(rows, [false, true, true, true, true, false, false])
}

const formatPostgres = (pg: PostgresReport): string[] => {
  if (pg.skipped) return [`PostgreSQL W1-W4: skipped: ${pg.skipped}`]
  const settings = Object.entries(pg.serverSettings ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
  return [
    `PostgreSQL ${pg.server} (${settings}): PostgresEventStore (@eventfold/postgresql) against raw pg, fresh schema per workload`,
    resultRows(pg.results),
  ]
}

const mib = (n: number | undefined): string => (n === undefined ? '-' : `${Math.round(n)} MiB`)

const formatW5 = (w: W5Report): string[] => {
  const out = [`W5 rebuild ${w.projection} with rebuildProjection (its default batches: 100,000 events or 1 s; a child process per run; SQLite synchronous=${w.synchronous.toUpperCase()})`]
  const rows = [['target', 'events', 'accounts', 'ev/s (median)', 'runs ev/s', 'peak RSS', 'targets', 'log generated at']]
  for (const t of w.targets) {
    if (t.skipped) {
      rows.push([t.target, t.events.toLocaleString('en-US'), '-', 'skipped', '-', '-', '-', '-'])
      continue
    }
    const rateOk = t.target !== 'embedded' || t.median! >= W5_TARGET_RATE
    const rssOk = t.peakRssMiB! < W5_TARGET_RSS_MIB
    const verdict = [
      t.target === 'embedded' ? `ev/s ${rateOk ? 'PASS' : 'MISS'}` : undefined,
      `RSS ${rssOk ? 'PASS' : 'MISS'}`,
      t.batchStats ? `writes ${t.batchStats.violations === 0 ? 'PASS' : 'MISS'}` : undefined,
    ]
      .filter(Boolean)
      .join(', ')
    rows.push([
      t.target,
      t.events.toLocaleString('en-US'),
      t.accounts.toLocaleString('en-US'),
      int(t.median),
      t.runs!.map((r) => int(r.rate)).join(' / '),
      mib(t.peakRssMiB),
      verdict,
      t.generation ? `${int(t.generation.rate)} ev/s (${t.generation.where})` : '-',
    ])
  }
  out.push(table(rows, [false, true, true, true, false, true, false, false]))
  for (const t of w.targets) {
    if (t.skipped) out.push(`  ${t.target}: skipped: ${t.skipped}`)
    const b = t.batchStats
    if (!b) continue
    out.push(
      `  ${t.target}: ${b.batches} batches, ${b.writes.toLocaleString('en-US')} document writes for ${b.distinct.toLocaleString('en-US')} distinct documents ` +
        `touched (summed per batch): ${(b.writes / b.batches).toFixed(1)} writes vs ${(b.distinct / b.batches).toFixed(1)} documents per batch; ` +
        `batches with writes > documents: ${b.violations}; max ${b.maxWritesPerBatch} writes / ${b.maxDistinctPerBatch} documents in a batch` +
        (t.transactions === undefined ? '' : `; store transactions: ${t.transactions}`),
    )
  }
  out.push(`  targets: embedded ≥ ${W5_TARGET_RATE.toLocaleString('en-US')} ev/s; peak RSS < ${W5_TARGET_RSS_MIB} MiB; document writes per batch ≤ distinct documents touched`)
  return out
}
