import { execFile, execFileSync } from 'node:child_process'
import { copyFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { PostgresEventStore } from '@eventfold/postgresql'
import { openSqlite, SqliteEventStore } from '@eventfold/sqlite'
import { MongoClient } from 'mongodb'
import { generateLogConcurrently, generateSqliteLog, type BankSummary } from './bank-log'
import type { PgSchemas } from './pg'
import type { BatchStats, W5ChildConfig, W5ChildResult, W5Target } from './w5-child'

/**
 * W5: rebuild the bank sample's `account-balances` projection from a
 * generated log with `rebuildProjection`, into the embedded SQLite document
 * store (same file as the log), MongoDB (log in SQLite) and PostgreSQL (log
 * and documents in PostgreSQL). Each run is a child process (peak RSS);
 * each starts from the same log and an empty read model.
 */

export const W5_TARGETS: readonly W5Target[] = ['embedded', 'mongodb', 'postgresql']

export interface W5Plan {
  readonly targets: readonly W5Target[]
  readonly events: Readonly<Record<W5Target, number>>
  readonly runs: number
  readonly synchronous: 'full' | 'normal'
  readonly dir: string
  readonly mongoUrl: string | undefined
  readonly pgUrl: string | undefined
  /** Events per rebuild batch. @default rebuildProjection's */
  readonly batchSize?: number
  /** Extra node options for the children, e.g. `--cpu-prof`. */
  readonly nodeArgs: readonly string[]
}

export interface W5TargetReport {
  readonly target: W5Target
  readonly events: number
  readonly accounts: number
  /** Why the target did not run (server not answering). */
  readonly skipped?: string
  /** Generating its log (untimed for the rebuild): events/s through the store. */
  readonly generation?: { readonly seconds: number; readonly rate: number; readonly where: string }
  readonly median?: number
  readonly runs?: readonly W5ChildResult[]
  /** Largest peak RSS over the runs, MiB. */
  readonly peakRssMiB?: number
  /** From the first run. */
  readonly batchStats?: BatchStats
  readonly transactions?: boolean
}

export interface W5Report {
  readonly projection: string
  readonly synchronous: 'full' | 'normal'
  readonly targets: readonly W5TargetReport[]
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/**
 * Writes the page cache's dirty pages out before a timed run: generating the
 * log and copying it leave hundreds of MB for the kernel to write back, which
 * it would otherwise do during the run, on the same 2 cores and disk.
 */
const flushPageCache = (): void => {
  try {
    execFileSync('sync')
  } catch {
    // No `sync` binary: the run just measures with the writeback in it.
  }
}

const removeDb = (file: string): void => {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true })
}

const runChild = (config: W5ChildConfig, nodeArgs: readonly string[]): Promise<W5ChildResult> =>
  new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...nodeArgs, join(__dirname, 'w5-child.js'), JSON.stringify(config)],
      { maxBuffer: 16 * 2 ** 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`W5 ${config.target} run failed: ${stderr.trim() || error.message}`))
        else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as W5ChildResult)
      },
    )
  })

const mongoAnswers = async (url: string): Promise<string | undefined> => {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000, connectTimeoutMS: 5000, socketTimeoutMS: 10_000 })
  try {
    await client.connect()
    // A real round trip through the storage, not only the handshake.
    await client.db('eventfold_bench_probe').collection('probe').findOne({})
    return undefined
  } catch (error) {
    return `MongoDB at ${url} does not answer (${(error as Error).message}); start it with scripts/services start mongodb`
  } finally {
    await client.close().catch(() => {})
  }
}

type Progress = (label: string, total: number) => (done: number) => void

/** Generates an SQLite log of `events` events in `file`; returns what it adds up to. */
const sqliteLog = async (file: string, events: number, progress: Progress): Promise<{ summary: BankSummary; seconds: number }> => {
  removeDb(file)
  const sqlite = openSqlite(file, { synchronous: 'normal' })
  try {
    const store = new SqliteEventStore(sqlite)
    const t0 = process.hrtime.bigint()
    const summary = await generateSqliteLog(sqlite, store, events, progress(`W5 generating ${events} events (SQLite)`, events))
    return { summary, seconds: Number(process.hrtime.bigint() - t0) / 1e9 }
  } finally {
    await sqlite.close()
    flushPageCache()
  }
}

export const runW5 = async (plan: W5Plan, tmp: string, schemas: PgSchemas | undefined, progress: Progress, clear: () => void): Promise<W5Report> => {
  const reports: W5TargetReport[] = []
  const logs = new Map<number, { file: string; summary: BankSummary; seconds: number }>()
  /** The SQLite log of `events` events, generated once per bench invocation. */
  const logOf = async (events: number) => {
    let log = logs.get(events)
    if (!log) {
      const file = join(tmp, `w5-log-${events}.db`)
      log = { file, ...(await sqliteLog(file, events, progress)) }
      clear()
      logs.set(events, log)
    }
    return log
  }
  const runs = async (target: W5Target, config: (run: number) => Promise<W5ChildConfig>, after: (run: number) => Promise<void>) => {
    const results: W5ChildResult[] = []
    for (let run = 0; run < plan.runs; run++) {
      const tick = progress(`W5 ${target} run ${run + 1}/${plan.runs}`, 1)
      try {
        const c = await config(run)
        results.push(await runChild(plan.batchSize ? { ...c, batchSize: plan.batchSize } : c, plan.nodeArgs))
      } finally {
        await after(run)
      }
      tick(1)
      clear()
    }
    return results
  }
  const summarise = (target: W5Target, summary: BankSummary, generation: W5TargetReport['generation'], results: W5ChildResult[]): W5TargetReport => ({
    target,
    events: summary.events,
    accounts: summary.accounts,
    ...(generation ? { generation } : {}),
    median: median(results.map((r) => r.rate)),
    runs: results,
    peakRssMiB: Math.max(...results.map((r) => r.maxRssMiB)),
    ...(results[0]?.batchStats ? { batchStats: results[0].batchStats } : {}),
    transactions: results[0]!.transactions,
  })

  for (const target of plan.targets) {
    const events = plan.events[target]
    if (target === 'embedded') {
      const log = await logOf(events)
      const results = await runs(
        target,
        async (run) => {
          const file = join(tmp, `w5-embedded-${run}.db`)
          copyFileSync(log.file, file)
          flushPageCache()
          return { target, summary: log.summary, logFile: file, synchronous: plan.synchronous, countDistinct: run === 0 }
        },
        async (run) => removeDb(join(tmp, `w5-embedded-${run}.db`)),
      )
      reports.push(summarise(target, log.summary, { seconds: log.seconds, rate: events / log.seconds, where: 'SQLite' }, results))
    } else if (target === 'mongodb') {
      const skipped = plan.mongoUrl ? await mongoAnswers(plan.mongoUrl) : 'MONGODB_URL is not set (eval "$(scripts/services env)")'
      if (skipped) {
        reports.push({ target, events, accounts: 0, skipped })
        continue
      }
      const log = await logOf(events)
      const results = await runs(
        target,
        async (run) => ({
          target,
          summary: log.summary,
          logFile: log.file,
          synchronous: plan.synchronous,
          mongoUrl: plan.mongoUrl!,
          mongoDb: `eventfold_bench_${process.pid}_${run}`,
          countDistinct: run === 0,
        }),
        async () => {}, // the child drops its database
      )
      reports.push(summarise(target, log.summary, { seconds: log.seconds, rate: events / log.seconds, where: 'SQLite' }, results))
    } else {
      if (!schemas || !plan.pgUrl) {
        reports.push({ target, events, accounts: 0, skipped: 'POSTGRES_URL is not set or PostgreSQL does not answer' })
        continue
      }
      const logSchema = schemas.fresh()
      try {
        const store = new PostgresEventStore(plan.pgUrl, { schema: logSchema })
        let summary: BankSummary
        const t0 = process.hrtime.bigint()
        try {
          await store.ready()
          summary = await generateLogConcurrently(store, events, progress(`W5 generating ${events} events (PostgreSQL)`, events))
        } finally {
          await store.close()
        }
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9
        clear()
        const docSchemas: string[] = []
        const results = await runs(
          target,
          async (run) => {
            docSchemas[run] = schemas.fresh()
            return { target, summary, pgUrl: plan.pgUrl!, logSchema, docSchema: docSchemas[run]!, countDistinct: run === 0 }
          },
          async (run) => schemas.drop(docSchemas[run]!),
        )
        reports.push(summarise(target, summary, { seconds, rate: events / seconds, where: 'PostgreSQL, 8 appends in flight' }, results))
      } finally {
        await schemas.drop(logSchema)
      }
    }
  }
  for (const log of logs.values()) removeDb(log.file)
  return { projection: 'account-balances (samples/bank-account)', synchronous: plan.synchronous, targets: reports }
}
