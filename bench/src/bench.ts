import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'
import { entryData, ledgerId } from './domain'
import { isE1Only, runE1Bench } from './e1'
import { eventfoldSide, eventfoldSideWithoutCorrelationIndex, describeStore } from './eventfold'
import { makeRawSide, rawSide, type RawSideOptions } from './raw'
import { PgSchemas, pgEventfoldSide, pgRawSide, type PgSide } from './pg'
import { runMessagingBench } from './messaging'
import { formatReport, type PostgresReport, type Report, type Result, type SettingReport } from './report'
import { formatS1, runS1, type S1Report } from './s1'
import { runW5, W5_TARGETS, type W5Plan, type W5Report } from './w5'
import { formatTelemetry, runTelemetryComparison, type TelemetryPlan } from './telemetry-bench'
import { WORKLOADS, eventsOf, type AggregateStyle, type Prepared, type Side, type Size, type Synchronous, type WorkloadId } from './workload'

const USAGE = `Usage: node bench/dist/bench.js [options]

Runs workloads W1-W4 on the SQLite event store through eventfold and with raw
better-sqlite3 statements (the limit), the same on PostgreSQL (eventfold's
PostgresEventStore against raw pg), and W5, a projection rebuild of the bank
sample into the embedded store, MongoDB and PostgreSQL; prints events/s,
ratios, peak RSS. PostgreSQL and MongoDB are skipped (and said so) when
POSTGRES_URL / MONGODB_URL are unset or do not answer.

  --synchronous FULL|NORMAL|both   SQLite synchronous setting (default: both)
  --quick                          small sizes and 1 run, for smoke tests
  --runs N                         runs per workload; the median is reported (default: 3, --quick: 1)
  --only W1,W2,...,W5,S1           run only these workloads (W3/W3D/W4 still fill a database with W2, untimed);
                                   W3D is W3 with the aggregate written as a plain decider; S1 is saga
                                   instances completed per second beside the same flow written by hand;
                                   --only E1 runs the shop sample end to end instead, with its own options (--only E1 --help)
  --s1-instances N                 saga instances per S1 run (default: 2000; --quick: 200)
  --stores sqlite,postgresql       where W1-W4 run (default: both)
  --pg-streams N                   PostgreSQL W2-W4 streams (default: 200; --quick: 10)
  --pg-w1-streams N                PostgreSQL W1 streams (default: 30; --quick: 2)
  --w5 embedded,mongodb,postgresql where W5 rebuilds (default: all three)
  --w5-events N                    events of the embedded W5 log (default: 1000000; --quick: 10000)
  --w5-mongodb-events N            events of MongoDB's W5 log (default: 20000; --quick: 2000)
  --w5-postgresql-events N         events of PostgreSQL's W5 log (default: 50000; --quick: 2000)
  --w5-runs N                      W5 runs per target (default: --runs)
  --w5-batch-size N                events per rebuild batch (default: rebuildProjection's, 100000 or 1 s)
  --w5-node-args "ARGS"            node options for the W5 child processes, e.g. "--cpu-prof --cpu-prof-dir=.bench/prof"
  --side both|eventfold|raw        run only one side, e.g. to profile it (default: both)
  --streams N                      streams per workload, W1 included (default: 1000, W1 at FULL 200; --quick: 100, W1 10)
  --dir PATH                       where the temporary databases go (default: the OS temp dir)
  --json                           print the results as JSON on stdout
  --no-correlation-index           SQLite W1: the eventfold store with correlationIndex: false (what the trace index costs)
  --raw-with-log-indexes           SQLite: the raw side keeps the two indexes eventfold's log keeps (unique event
                                   ids, correlation ids), to separate what eventfold costs from what they cost
  --raw-typed-loads                SQLite W1 and W3: the raw side's loads read the event type and dispatch on it,
                                   as a log with more than one kind of event must (the bare limit skips both)
  --telemetry                      instead of the above: W1 (SQLite NORMAL) and W5 (embedded) with tracing and
                                   metrics on (OpenTelemetry SDK, exporters that drop everything) against off,
                                   side by side (W1: --streams, default 200; W5: --w5-events, default 200000)
  --messaging, --only M1,M2        run M1/M2 (relay throughput, end-to-end latency on Kafka and RabbitMQ)
                                   instead; --messaging --help lists their options
  --help                           print this and exit`

/** Minimum eventfold/raw ratio per workload. */
/** W3 and W3D: the same loads, the aggregate as a decorated class and as a plain decider. */
const REHYDRATIONS: readonly (readonly [WorkloadId, AggregateStyle])[] = [
  ['W3', 'class'],
  ['W3D', 'decider'],
]

/** Ratio eventfold/raw each workload should reach, on SQLite and on PostgreSQL. */
const TARGETS: Readonly<Record<WorkloadId, number>> = { W1: 0.8, W2: 0.8, W3: 0.8, W3D: 0.8, W4: 0.8 }
const PG_TARGETS: Readonly<Record<WorkloadId, number>> = { W1: 0.5, W2: 0.8, W3: 0.75, W3D: 0.75, W4: 0.5 }

interface Plan {
  readonly settings: readonly Synchronous[]
  readonly runs: number
  readonly sides: readonly Side[]
  /** What the SQLite raw side does beyond its bare work. */
  readonly rawOptions: RawSideOptions
  readonly workloads: readonly WorkloadId[]
  readonly size: Size
  /** W1 size per setting: at FULL every command is an fsync, so W1 may run on a subset. */
  readonly commandSize: Readonly<Record<Synchronous, Size>>
  readonly dir: string
  readonly json: boolean
  readonly quick: boolean
  /** W1-W4 on PostgreSQL, when asked for. */
  readonly pg: { readonly size: Size; readonly commandSize: Size } | undefined
  readonly sqlite: boolean
  readonly w5: Omit<W5Plan, 'dir'> | undefined
  /** S1, when asked for. */
  readonly s1: { readonly instances: number; readonly runs: number } | undefined
  /** `--telemetry`: the telemetry comparison only. */
  readonly telemetry: TelemetryPlan | undefined
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
      stores: { type: 'string', default: 'sqlite,postgresql' },
      'pg-streams': { type: 'string' },
      'pg-w1-streams': { type: 'string' },
      w5: { type: 'string', default: W5_TARGETS.join(',') },
      'w5-events': { type: 'string' },
      'w5-mongodb-events': { type: 'string' },
      'w5-postgresql-events': { type: 'string' },
      'w5-runs': { type: 'string' },
      'w5-batch-size': { type: 'string' },
      'w5-node-args': { type: 'string' },
      's1-instances': { type: 'string' },
      telemetry: { type: 'boolean', default: false },
      'no-correlation-index': { type: 'boolean', default: false },
      'raw-with-log-indexes': { type: 'boolean', default: false },
      'raw-typed-loads': { type: 'boolean', default: false },
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
  const all = [...WORKLOADS, 'W5', 'S1']
  const only = values.only === undefined ? all : values.only.split(',').map((w) => w.trim().toUpperCase())
  for (const w of only) {
    if (!all.includes(w)) throw new UsageError(`--only takes ${all.join(',')}, not '${w}'`)
  }
  const workloads = only.filter((w) => w !== 'W5' && w !== 'S1')
  const positive = (name: string, value: string | undefined, fallback: number): number => {
    if (value === undefined) return fallback
    const n = Number(value)
    if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, not '${value}'`)
    return n
  }
  const list = <T extends string>(name: string, value: string, allowed: readonly T[]): T[] => {
    const items = value.split(',').map((x) => x.trim().toLowerCase()).filter((x) => x !== '')
    for (const x of items) if (!(allowed as readonly string[]).includes(x)) throw new UsageError(`--${name} takes ${allowed.join(',')}, not '${x}'`)
    return items as T[]
  }
  const stores = list('stores', values.stores, ['sqlite', 'postgresql'] as const)
  const w5Targets = list('w5', values.w5, W5_TARGETS)
  const ef = values['no-correlation-index'] ? eventfoldSideWithoutCorrelationIndex : eventfoldSide
  const rawOptions = { logIndexes: values['raw-with-log-indexes'], typedLoads: values['raw-typed-loads'] }
  const raw = rawOptions.logIndexes || rawOptions.typedLoads ? makeRawSide(rawOptions) : rawSide
  const sides = values.side === 'both' ? [raw, ef] : values.side === 'raw' ? [raw] : values.side === 'eventfold' ? [ef] : []
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
    rawOptions,
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
    telemetry: values.telemetry
      ? {
          runs,
          w1: { streams: streams ?? (quick ? 10 : 200), eventsPerStream: 100 },
          w5Events: positive('w5-events', values['w5-events'], quick ? 10_000 : 200_000),
        }
      : undefined,
    quick,
    sqlite: stores.includes('sqlite'),
    pg:
      stores.includes('postgresql') && workloads.length > 0
        ? {
            size: { streams: positive('pg-streams', values['pg-streams'], quick ? 10 : 200), eventsPerStream: 100 },
            commandSize: { streams: positive('pg-w1-streams', values['pg-w1-streams'], quick ? 2 : 30), eventsPerStream: 100 },
          }
        : undefined,
    w5:
      only.includes('W5') && w5Targets.length > 0
        ? {
            targets: w5Targets,
            events: {
              embedded: positive('w5-events', values['w5-events'], quick ? 10_000 : 1_000_000),
              mongodb: positive('w5-mongodb-events', values['w5-mongodb-events'], quick ? 2_000 : 20_000),
              postgresql: positive('w5-postgresql-events', values['w5-postgresql-events'], quick ? 2_000 : 50_000),
            },
            runs: positive('w5-runs', values['w5-runs'], runs),
            ...(values['w5-batch-size'] ? { batchSize: positive('w5-batch-size', values['w5-batch-size'], 1) } : {}),
            // eventfold's default, unless one setting was asked for.
            synchronous: settings.length === 1 && settings[0] === 'NORMAL' ? 'normal' : 'full',
            mongoUrl: process.env.MONGODB_URL || undefined,
            pgUrl: process.env.POSTGRES_URL || undefined,
            nodeArgs: values['w5-node-args']?.split(' ').filter((a) => a !== '') ?? [],
          }
        : undefined,
    s1: only.includes('S1') ? { instances: positive('s1-instances', values['s1-instances'], quick ? 200 : 2000), runs } : undefined,
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

/** W1-W4 on PostgreSQL, both sides back to back per workload, each in fresh schemas dropped afterwards. */
const runPostgres = async (
  p: Plan,
  pgPlan: NonNullable<Plan['pg']>,
  schemas: PgSchemas,
  progress: ReturnType<typeof progressLine>,
): Promise<Result[]> => {
  const url = process.env.POSTGRES_URL!
  const sides: PgSide[] = p.sides.map((s) => (s.name === 'raw' ? pgRawSide : pgEventfoldSide))
  const rates = new Map<string, number[]>()
  const record = (side: PgSide, w: WorkloadId, rate: number): void => {
    const key = `${side.name}/${w}`
    rates.set(key, [...(rates.get(key) ?? []), rate])
  }
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
  for (let run = 0; run < p.runs; run++) {
    const order = run % 2 === 0 ? sides : [...sides].reverse()
    const tag = (side: PgSide, w: WorkloadId): string => `[PostgreSQL run ${run + 1}/${p.runs}] ${side.name} ${w}`
    if (p.workloads.includes('W1')) {
      for (const side of order) {
        const schema = schemas.fresh()
        try {
          record(side, 'W1', await timed(tag(side, 'W1'), eventsOf(pgPlan.commandSize), () => side.commands(url, schema, pgPlan.commandSize)))
        } finally {
          await schemas.drop(schema)
        }
      }
    }
    if (p.workloads.some((w) => w !== 'W1')) {
      const own = new Map(order.map((side) => [side, schemas.fresh()]))
      try {
        for (const side of order) {
          const rate = await timed(tag(side, 'W2'), eventsOf(pgPlan.size), () => side.batches(url, own.get(side)!, pgPlan.size))
          if (p.workloads.includes('W2')) record(side, 'W2', rate)
        }
        for (const [w, style] of REHYDRATIONS) {
          for (const side of p.workloads.includes(w) ? order : []) {
            record(side, w, await timed(tag(side, w), eventsOf(pgPlan.size), () => side.rehydrate(url, own.get(side)!, pgPlan.size, style)))
          }
        }
        for (const side of p.workloads.includes('W4') ? order : []) {
          record(side, 'W4', await timed(tag(side, 'W4'), eventsOf(pgPlan.size), () => side.readAll(url, own.get(side)!, pgPlan.size)))
        }
      } finally {
        for (const schema of own.values()) await schemas.drop(schema)
      }
    }
  }
  return p.workloads.map((w) => {
    const size = w === 'W1' ? pgPlan.commandSize : pgPlan.size
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
      target: PG_TARGETS[w],
      pass: ratio === undefined ? undefined : ratio >= PG_TARGETS[w],
    }
  })
}

const main = async (): Promise<number> => {
  // E1 (the shop sample end to end) has its own options: see bench/src/e1.ts.
  if (isE1Only(process.argv.slice(2))) return runE1Bench(process.argv.slice(2))
  // M1/M2 need the brokers and take minutes: a run of their own, asked for by name.
  const args = process.argv.slice(2)
  const only = args.flatMap((a, i) => (a === '--only' ? [args[i + 1] ?? ''] : a.startsWith('--only=') ? [a.slice(7)] : []))
  const messagingOnly = only.length > 0 && only.every((o) => o.split(',').every((w) => /^m[12]$/i.test(w.trim())))
  if (args.includes('--messaging') || messagingOnly) return runMessagingBench(args)
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
  if (p.telemetry) {
    try {
      const results = await runTelemetryComparison(p.telemetry, tmp, (line) => process.stderr.write(`${line}\n`))
      process.stdout.write(p.json ? `${JSON.stringify(results, null, 2)}\n` : formatTelemetry(results, p.telemetry))
    } finally {
      cleanup()
    }
    return 0
  }
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
  let postgresql: PostgresReport | undefined
  let w5: W5Report | undefined
  let s1: S1Report | undefined
  const pgUrl = process.env.POSTGRES_URL || undefined
  let schemas: PgSchemas | undefined
  let pgSkipped: string | undefined
  let pgServer: { version: string; settings: Record<string, string> } | undefined
  if ((p.pg || p.w5?.targets.includes('postgresql')) && pgUrl) {
    const s = new PgSchemas(pgUrl)
    try {
      pgServer = await s.server()
      schemas = s
    } catch (error) {
      pgSkipped = `PostgreSQL at POSTGRES_URL does not answer (${(error as Error).message}); start it with scripts/services start postgres`
      await s.close().catch(() => {})
    }
  } else if (p.pg || p.w5?.targets.includes('postgresql')) {
    pgSkipped = 'POSTGRES_URL is not set (eval "$(scripts/services env)")'
  }
  try {
    for (const synchronous of p.sqlite && p.workloads.length > 0 ? p.settings : []) {
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
          for (const [w, style] of REHYDRATIONS) {
            for (const side of p.workloads.includes(w) ? order : []) {
              record(side, w, await timed(tag(side, w), eventsOf(p.size), () => side.rehydrate(files.get(side)!, p.size, synchronous, style)))
            }
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

    if (p.pg) {
      postgresql = schemas
        ? { server: pgServer!.version, serverSettings: pgServer!.settings, results: await runPostgres(p, p.pg, schemas, progress) }
        : { skipped: pgSkipped ?? 'PostgreSQL unavailable', results: [] }
    }
    if (p.w5) {
      w5 = await runW5(
        { ...p.w5, dir: p.dir, pgUrl: schemas ? pgUrl : undefined },
        tmp,
        schemas,
        (label, total) => progress.start(label, total),
        () => progress.clear(),
      )
    }
    if (p.s1) s1 = await runS1({ ...p.s1, dir: tmp }, (label) => progress.start(label, 0))
  } finally {
    progress.clear()
    await schemas?.close().catch(() => {})
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
    store:
      describeStore(p.sides.includes(eventfoldSideWithoutCorrelationIndex)) +
      (p.rawOptions.logIndexes ? '; raw side with the log\'s two indexes (event id, correlation id)' : '') +
      (p.rawOptions.typedLoads ? '; raw loads read the event type and dispatch on it' : ''),
    quick: p.quick,
    runs: p.runs,
    dataBytesPerEvent: sample,
    size: p.size,
    tempDir: p.dir,
    settings,
    ...(postgresql ? { postgresql } : {}),
    ...(w5 ? { w5 } : {}),
    ...(s1 ? { s1 } : {}),
  }
  probe.close()
  process.stdout.write(p.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report) + (s1 ? formatS1(s1) : ''))
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
