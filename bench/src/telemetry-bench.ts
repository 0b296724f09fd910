import { execFile } from 'node:child_process'
import { copyFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { openSqlite, SqliteEventStore } from '@eventfold/sqlite'
import { inSpan, lazyInstruments, parentContext, tracerOf } from '@eventfold/core/spi'
import { generateSqliteLog, type BankSummary } from './bank-log'
import { eventfoldSide } from './eventfold'
import { startTelemetry } from './telemetry-sdk'
import type { W5ChildConfig, W5ChildResult } from './w5-child'
import { eventsOf, type Size } from './workload'

/** What `--telemetry` compares: W1 and W5 with tracing and metrics off and on, side by side in one invocation. */
export interface TelemetryPlan {
  readonly runs: number
  /** W1 commands (SQLite, synchronous NORMAL). */
  readonly w1: Size
  /** W5: events of the embedded rebuild's log. */
  readonly w5Events: number
}

interface Compared {
  readonly workload: string
  readonly events: number
  readonly off: { readonly median: number; readonly runs: number[] }
  readonly on: { readonly median: number; readonly runs: number[] }
  /** 1 - on/off of the medians: what telemetry costs. */
  readonly cost: number
}

/** Most a workload may lose with tracing and metrics on. */
export const TELEMETRY_BUDGET = 0.1

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const removeDb = (file: string): void => {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true })
}

const w5Child = (config: W5ChildConfig): Promise<W5ChildResult> =>
  new Promise((resolve, reject) => {
    execFile(process.execPath, [join(__dirname, 'w5-child.js'), JSON.stringify(config)], { maxBuffer: 16 * 2 ** 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`W5 run failed: ${stderr.trim() || error.message}`))
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as W5ChildResult)
    })
  })

/**
 * What the instrumentation of one command costs with no SDK registered, in
 * nanoseconds: the calls a command makes (command and append spans, counter
 * and histogram) around empty work, against the empty work alone.
 */
export const noSdkCostPerCommand = async (iterations = 200_000): Promise<number> => {
  const tracer = tracerOf('@eventfold/bench')
  const instruments = lazyInstruments('@eventfold/bench', (meter) => ({ handled: meter.createCounter('c'), duration: meter.createHistogram('h') }))
  const work = async (): Promise<void> => {}
  const instrumented = () =>
    inSpan(
      tracer(),
      'command',
      async () => {
        await inSpan(tracer(), 'append', work, { attributes: { 'eventfold.stream.id': 's', 'eventfold.events.count': 1 } })
        instruments().handled.add(1, { 'eventfold.command.type': 'T' })
        instruments().duration.record(0.001)
      },
      { parent: parentContext(undefined) },
    )
  const plain = async () => {
    await work()
  }
  const time = async (fn: () => Promise<void>): Promise<number> => {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < iterations; i++) await fn()
    return Number(process.hrtime.bigint() - t0) / iterations
  }
  await time(instrumented)
  await time(plain)
  const costs: number[] = []
  for (let i = 0; i < 3; i++) costs.push((await time(instrumented)) - (await time(plain)))
  return Math.max(0, median(costs))
}

/** W1 in this process: events/s. */
const w1 = async (file: string, size: Size): Promise<number> => {
  const prepared = await eventfoldSide.commands(file, size, 'NORMAL')
  const t0 = process.hrtime.bigint()
  let n: number
  try {
    n = await prepared.run(() => {})
  } finally {
    await prepared.close()
  }
  return n / (Number(process.hrtime.bigint() - t0) / 1e9)
}

/**
 * Runs each workload with telemetry off and on, alternating which goes
 * first, so both see the same machine; reports the medians and the cost.
 */
export const runTelemetryComparison = async (plan: TelemetryPlan, tmp: string, say: (line: string) => void): Promise<{ results: Compared[]; noSdkNsPerCommand: number }> => {
  const noSdkNsPerCommand = await noSdkCostPerCommand()
  say(`no SDK: ${noSdkNsPerCommand.toFixed(0)} ns of instrumentation per command`)
  const rates = { W1: { off: [] as number[], on: [] as number[] }, W5: { off: [] as number[], on: [] as number[] } }
  const logFile = join(tmp, 'telemetry-w5-log.db')
  const sqlite = openSqlite(logFile, { synchronous: 'normal' })
  let summary: BankSummary
  try {
    summary = await generateSqliteLog(sqlite, new SqliteEventStore(sqlite), plan.w5Events, () => {})
  } finally {
    await sqlite.close()
  }
  for (let run = 0; run < plan.runs; run++) {
    const order: ('off' | 'on')[] = run % 2 === 0 ? ['off', 'on'] : ['on', 'off']
    for (const mode of order) {
      const file = join(tmp, `telemetry-w1-${run}-${mode}.db`)
      const stop = mode === 'on' ? startTelemetry() : undefined
      try {
        rates.W1[mode].push(await w1(file, plan.w1))
      } finally {
        await stop?.()
        removeDb(file)
      }
      say(`[telemetry run ${run + 1}/${plan.runs}] W1 ${mode}: ${Math.round(rates.W1[mode].at(-1)!)} events/s`)
    }
    for (const mode of order) {
      const file = join(tmp, `telemetry-w5-${run}-${mode}.db`)
      copyFileSync(logFile, file)
      try {
        const r = await w5Child({ target: 'embedded', summary, logFile: file, synchronous: 'normal', countDistinct: false, telemetry: mode === 'on' })
        rates.W5[mode].push(r.rate)
      } finally {
        removeDb(file)
      }
      say(`[telemetry run ${run + 1}/${plan.runs}] W5 ${mode}: ${Math.round(rates.W5[mode].at(-1)!)} events/s`)
    }
  }
  removeDb(logFile)
  const results = (['W1', 'W5'] as const).map((workload) => {
    const off = median(rates[workload].off)
    const on = median(rates[workload].on)
    return {
      workload,
      events: workload === 'W1' ? eventsOf(plan.w1) : plan.w5Events,
      off: { median: off, runs: rates[workload].off },
      on: { median: on, runs: rates[workload].on },
      cost: 1 - on / off,
    }
  })
  return { results, noSdkNsPerCommand }
}

/** The comparison as a table, with PASS when the cost is within {@link TELEMETRY_BUDGET}. */
export const formatTelemetry = ({ results, noSdkNsPerCommand }: { results: readonly Compared[]; noSdkNsPerCommand: number }, plan: TelemetryPlan): string => {
  const rate = (n: number): string => Math.round(n).toLocaleString('en-US')
  const lines = [
    `Telemetry cost: tracing and metrics on (OpenTelemetry SDK, exporters that drop everything) against off, medians of ${plan.runs}`,
    'workload | events | off (events/s) | on (events/s) | cost | budget',
    ...results.map(
      (r) =>
        `${r.workload === 'W1' ? 'W1 (SQLite NORMAL, commands)' : 'W5 (embedded rebuild)'} | ${rate(r.events)} | ${rate(r.off.median)} (${r.off.runs.map(rate).join(' / ')}) | ` +
        `${rate(r.on.median)} (${r.on.runs.map(rate).join(' / ')}) | ${(r.cost * 100).toFixed(1)}% | ${r.cost <= TELEMETRY_BUDGET ? 'PASS' : 'MISS'} (≤ ${TELEMETRY_BUDGET * 100}%)`,
    ),
  ]
  const w1 = results.find((r) => r.workload === 'W1')!
  lines.push(
    `No SDK registered: ${noSdkNsPerCommand.toFixed(0)} ns of instrumentation per command ` +
      `(${((noSdkNsPerCommand * w1.off.median) / 1e7).toFixed(3)}% of a W1 command at ${rate(w1.off.median)} commands/s)`,
  )
  return `${lines.join('\n')}\n`
}
