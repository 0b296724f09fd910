import { parseArgs } from 'node:util'
import { runE1, type E1Result, type E1Transport } from '@eventfold/sample-shop'

export const E1_USAGE = `E1 (the shop sample end to end): node bench/dist/bench.js --only E1 [options]

Places orders through the shop's gateway at a fixed offered rate and reports
orders shipped per second and placed → shipped p50/p99, medians of the runs,
on the embedded transport (every service in one process) and on Kafka (five
processes, SQLite per service, the read model in MongoDB; skipped, and said
so, when KAFKA_BROKERS or MONGODB_URL is unset).

  --runs N                 runs per transport; medians are reported (default: 3)
  --e1-rate N              orders offered per second (default: 50)
  --e1-orders N            orders per run (default: 300)
  --e1-transports LIST     memory,kafka (default: both)
  --json                   print the results as JSON`

/** True when the command line asks for E1 alone, which has its own options. */
export const isE1Only = (argv: readonly string[]): boolean => {
  const i = argv.findIndex((a) => a === '--only' || a.startsWith('--only='))
  if (i < 0) return false
  const value = argv[i]!.includes('=') ? argv[i]!.split('=')[1] : argv[i + 1]
  return value?.trim().toUpperCase() === 'E1'
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** Runs E1 from the command line; resolves with the exit code. */
export const runE1Bench = async (argv: readonly string[]): Promise<number> => {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      only: { type: 'string' },
      runs: { type: 'string', default: '3' },
      'e1-rate': { type: 'string', default: '50' },
      'e1-orders': { type: 'string', default: '300' },
      'e1-transports': { type: 'string', default: 'memory,kafka' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(`${E1_USAGE}\n`)
    return 0
  }
  const runs = Number(values.runs)
  const rate = Number(values['e1-rate'])
  const orders = Number(values['e1-orders'])
  const transports = values['e1-transports'].split(',').map((t) => t.trim()) as E1Transport[]
  for (const [name, n] of [['--runs', runs], ['--e1-rate', rate], ['--e1-orders', orders]] as const) {
    if (!Number.isFinite(n) || n <= 0) {
      process.stderr.write(`${name} must be a number > 0\n\n${E1_USAGE}\n`)
      return 2
    }
  }
  const rows: { transport: E1Transport; runs: E1Result[]; skipped?: string }[] = []
  for (const transport of transports) {
    if (transport !== 'memory' && transport !== 'kafka') {
      process.stderr.write(`--e1-transports takes memory,kafka, not '${transport}'\n`)
      return 2
    }
    if (transport === 'kafka' && (!process.env.KAFKA_BROKERS || !process.env.MONGODB_URL)) {
      rows.push({ transport, runs: [], skipped: 'KAFKA_BROKERS or MONGODB_URL unset' })
      continue
    }
    const results: E1Result[] = []
    for (let i = 0; i < runs; i++) {
      process.stderr.write(`E1 ${transport} run ${i + 1}/${runs}…\n`)
      results.push(await runE1({ transport, rate, orders }))
    }
    rows.push({ transport, runs: results })
  }
  const summary = rows.map(({ transport, runs: rs, skipped }) =>
    skipped
      ? { transport, skipped }
      : {
          transport,
          offeredPerSecond: rate,
          orders,
          runs: rs.length,
          completedPerSecond: median(rs.map((r) => r.completedPerSecond)),
          p50Ms: median(rs.map((r) => r.p50Ms)),
          p99Ms: median(rs.map((r) => r.p99Ms)),
          each: rs.map((r) => ({ completedPerSecond: r.completedPerSecond, p50Ms: r.p50Ms, p99Ms: r.p99Ms })),
        },
  )
  if (values.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`)
  else {
    process.stdout.write(`E1 shop end to end: ${orders} orders offered at ${rate}/s, medians of ${runs}\n`)
    process.stdout.write(`transport  completed/s  p50 ms  p99 ms   (each run: completed/s p50/p99)\n`)
    for (const s of summary) {
      if ('skipped' in s) process.stdout.write(`${s.transport.padEnd(10)} skipped: ${s.skipped}\n`)
      else
        process.stdout.write(
          `${s.transport.padEnd(10)} ${s.completedPerSecond.toFixed(1).padStart(11)} ${String(s.p50Ms).padStart(7)} ${String(s.p99Ms).padStart(7)}   ${s.each.map((e) => `${e.completedPerSecond.toFixed(1)} ${e.p50Ms}/${e.p99Ms}`).join(', ')}\n`,
        )
    }
  }
  return 0
}
