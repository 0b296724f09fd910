import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'
import { entryData, ledgerId } from './domain'
import { eventfoldSide, describeStore } from './eventfold'
import { rawSide } from './raw'
import { formatReport, type Report, type Result, type SettingReport } from './report'
import { WORKLOADS, eventsOf, type Prepared, type Side, type Size, type Synchronous, type WorkloadId } from './workload'

const USAGE = `Usage: node bench/dist/bench.js [options]

Runs workloads W1-W4 on the SQLite event store through eventfold and with raw
better-sqlite3 statements (the limit), and prints events/s and their ratio.

  --synchronous FULL|NORMAL|both   SQLite synchronous setting (default: both)
  --quick                          small sizes and 1 run, for smoke tests
  --runs N                         runs per workload; the median is reported (default: 3, --quick: 1)
  --only W1,W2,...                 run only these workloads (W3/W4 still fill a database with W2, untimed)
  --side both|eventfold|raw        run only one side, e.g. to profile it (default: both)
  --streams N                      streams per workload, W1 included (default: 1000, W1 at FULL 200; --quick: 100, W1 10)
  --dir PATH                       where the temporary databases go (default: the OS temp dir)
  --json                           print the results as JSON on stdout
  --help                           print this and exit`

/** Minimum eventfold/raw ratio per workload. */
const TARGETS: Readonly<Record<WorkloadId, number>> = { W1: 0.5, W2: 0.7, W3: 0.5, W4: 0.5 }

interface Plan {
  readonly settings: readonly Synchronous[]
  readonly runs: number
  readonly sides: readonly Side[]
  readonly workloads: readonly WorkloadId[]
  readonly size: Size
  /** W1 size per setting: at FULL every command is an fsync, so W1 may run on a subset. */
  readonly commandSize: Readonly<Record<Synchronous, Size>>
  readonly dir: string
  readonly json: boolean
  readonly quick: boolean
}

class UsageError extends Error {}

const parsePlan = (argv: readonly string[]): Plan | 'help' => {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      synchronous: { type: 'string', default: 'both' },
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      only: { type: 'string' },
      side: { type: 'string', default: 'both' },
      streams: { type: 'string' },
      dir: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) return 'help'
  const sync = values.synchronous.toUpperCase()
  const settings: Synchronous[] =
    sync === 'BOTH' ? ['FULL', 'NORMAL'] : sync === 'FULL' || sync === 'NORMAL' ? [sync] : []
  if (settings.length === 0) throw new UsageError(`--synchronous must be FULL, NORMAL or both, not '${values.synchronous}'`)
  const quick = values.quick
  const runs = values.runs === undefined ? (quick ? 1 : 3) : Number(values.runs)
  if (!Number.isSafeInteger(runs) || runs < 1) throw new UsageError(`--runs must be a positive integer, not '${values.runs}'`)
  const workloads = values.only === undefined ? [...WORKLOADS] : values.only.split(',').map((w) => w.trim().toUpperCase())
  for (const w of workloads) {
    if (!(WORKLOADS as readonly string[]).includes(w)) throw new UsageError(`--only takes ${WORKLOADS.join(',')}, not '${w}'`)
  }
  const sides =
    values.side === 'both' ? [rawSide, eventfoldSide] : values.side === 'raw' ? [rawSide] : values.side === 'eventfold' ? [eventfoldSide] : []
  if (sides.length === 0) throw new UsageError(`--side must be both, eventfold or raw, not '${values.side}'`)
  const streams = values.streams === undefined ? undefined : Number(values.streams)
  if (streams !== undefined && (!Number.isSafeInteger(streams) || streams < 1)) {
    throw new UsageError(`--streams must be a positive integer, not '${values.streams}'`)
  }
  const size: Size = { streams: streams ?? (quick ? 100 : 1000), eventsPerStream: 100 }
  const w1Subset: Size = streams !== undefined ? size : { streams: quick ? 10 : 200, eventsPerStream: 100 }
  return {
    settings,
    runs,
    sides,
    workloads: workloads as WorkloadId[],
    size,
    commandSize: {
      // W1 on all 1000 streams at FULL is 100k fsyncs per run and side: ~35 s raw + ~85 s eventfold
      // here, 6 minutes for 3 runs. So it runs on the first 200 streams, still 100 events each, which
      // keeps the per-command cost (it grows with the stream's length) the same. See BENCHMARKS.md.
      FULL: w1Subset,
      NORMAL: quick ? w1Subset : size,
    },
    dir: values.dir ?? tmpdir(),
    json: values.json,
    quick,
  }
}

/** Progress on stderr, only for a person watching a terminal. */
const progressLine = (): { start(label: string, total: number): (done: number) => void; clear(): void } => {
  const tty = process.stderr.isTTY === true
  let last = 0
  let calls = 0
  return {
    start(label, total) {
      if (!tty) return () => {}
      last = 0
      return (done) => {
        if ((++calls & 63) !== 0 && done !== total) return
        const now = Date.now()
        if (now - last < 100 && done !== total) return
        last = now
        process.stderr.write(`\r\x1b[K${label} ${done}/${total} (${Math.floor((100 * done) / total)}%)`)
      }
    },
    clear() {
      if (tty) process.stderr.write('\r\x1b[K')
    },
  }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const removeDb = (file: string): void => {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true })
}

const main = async (): Promise<number> => {
  let plan: Plan | 'help'
  try {
    plan = parsePlan(process.argv.slice(2))
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`)
    return 2
  }
  if (plan === 'help') {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const p = plan
  const tmp = mkdtempSync(join(p.dir, 'eventfold-bench-'))
  const cleanup = (): void => rmSync(tmp, { recursive: true, force: true })
  process.once('SIGINT', () => {
    cleanup()
    process.exit(130)
  })
  const progress = progressLine()
  let fileNo = 0
  const freshFile = (): string => join(tmp, `bench-${++fileNo}.db`)

  /** Opens, times `run`, closes. Returns events/s. */
  const timed = async (label: string, total: number, prepare: () => Promise<Prepared>): Promise<number> => {
    const prepared = await prepare()
    const tick = progress.start(label, total)
    const t0 = process.hrtime.bigint()
    let n: number
    try {
      n = await prepared.run(tick)
    } finally {
      await prepared.close()
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9
    progress.clear()
    return n / seconds
  }

  const loadBefore = loadavg()[0]!
  const settings: SettingReport[] = []
  try {
    for (const synchronous of p.settings) {
      const rates = new Map<string, number[]>()
      const record = (side: Side, w: WorkloadId, rate: number): void => {
        const key = `${side.name}/${w}`
        rates.set(key, [...(rates.get(key) ?? []), rate])
      }
      for (let run = 0; run < p.runs; run++) {
        // Alternate which side goes first, so neither always gets the cooler disk or the warmer cache.
        // Each workload runs on both sides back to back, so the two rates of a pair see the same machine
        // (it is shared: other work comes and goes).
        const order = run % 2 === 0 ? p.sides : [...p.sides].reverse()
        const tag = (side: Side, w: WorkloadId): string => `[${synchronous} run ${run + 1}/${p.runs}] ${side.name} ${w}`
        if (p.workloads.includes('W1')) {
          const size = p.commandSize[synchronous]
          for (const side of order) {
            const file = freshFile()
            record(side, 'W1', await timed(tag(side, 'W1'), eventsOf(size), () => side.commands(file, size, synchronous)))
            removeDb(file)
          }
        }
        if (p.workloads.some((w) => w !== 'W1')) {
          // W3 and W4 read the database that the same side's W2 wrote.
          const files = new Map(order.map((side) => [side, freshFile()]))
          for (const side of order) {
            const rate = await timed(tag(side, 'W2'), eventsOf(p.size), () => side.batches(files.get(side)!, p.size, synchronous))
            if (p.workloads.includes('W2')) record(side, 'W2', rate)
          }
          for (const side of p.workloads.includes('W3') ? order : []) {
            record(side, 'W3', await timed(tag(side, 'W3'), eventsOf(p.size), () => side.rehydrate(files.get(side)!, p.size, synchronous)))
          }
          for (const side of p.workloads.includes('W4') ? order : []) {
            record(side, 'W4', await timed(tag(side, 'W4'), eventsOf(p.size), () => side.readAll(files.get(side)!, p.size, synchronous)))
          }
          for (const file of files.values()) removeDb(file)
        }
      }
      const results: Result[] = p.workloads.map((w) => {
        const size = w === 'W1' ? p.commandSize[synchronous] : p.size
        const ef = rates.get(`eventfold/${w}`)
        const raw = rates.get(`raw/${w}`)
        const eventfold = ef && median(ef)
        const limit = raw && median(raw)
        const ratio = eventfold !== undefined && limit !== undefined ? eventfold / limit : undefined
        return {
          workload: w,
          streams: size.streams,
          eventsPerStream: size.eventsPerStream,
          events: eventsOf(size),
          eventfold: eventfold === undefined ? undefined : { median: eventfold, runs: ef! },
          raw: limit === undefined ? undefined : { median: limit, runs: raw! },
          ratio,
          target: TARGETS[w],
          pass: ratio === undefined ? undefined : ratio >= TARGETS[w],
        }
      })
      const observed = Object.fromEntries(
        p.sides.flatMap((side) => {
          const o = side.observed.get(synchronous)
          return o ? [[side.name, o]] : []
        }),
      )
      settings.push({ synchronous, observed, results })
    }
  } finally {
    progress.clear()
    cleanup()
  }

  const sample = JSON.stringify(entryData(ledgerId(0), 42)).length
  const probe = new Database(':memory:')
  const report: Report = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      os: `${process.platform} ${release()}`,
      node: process.version,
      betterSqlite3: (require('better-sqlite3/package.json') as { version: string }).version,
      sqlite: String(probe.prepare('SELECT sqlite_version()').pluck().get()),
      loadAverage: { before: loadBefore, after: loadavg()[0]! },
    },
    store: describeStore(),
    quick: p.quick,
    runs: p.runs,
    dataBytesPerEvent: sample,
    size: p.size,
    tempDir: p.dir,
    settings,
  }
  probe.close()
  process.stdout.write(p.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report))
  return 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exitCode = 1
  },
)
