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
}

const TITLES: Readonly<Record<WorkloadId, string>> = {
  W1: 'W1 one command per event',
  W2: 'W2 append 100 per call',
  W3: 'W3 rehydrate every aggregate',
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
  return `${out.join('\n')}\n`
}
