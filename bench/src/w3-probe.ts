import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { eventfoldSide } from './eventfold'
import { PgSchemas, pgEventfoldSide, pgRawSide } from './pg'
import { rawSide, rawTypedRehydrate } from './raw'
import type { Prepared, Size } from './workload'

/**
 * W3 as a probe for a shared, noisy machine: one W2 database per side,
 * then raw (on SQLite also raw dispatching on the event type, `raw+type`),
 * class and plain-decider loads interleaved round by round, each
 * timed in CPU time of the process (which other processes disturb far less
 * than wall time) and in wall time, minimum and median of the rounds.
 *
 * Usage: node bench/dist/w3-probe.js [--store sqlite|postgresql] [--streams N] [--rounds N]
 */
const { values } = parseArgs({
  options: { store: { type: 'string', default: 'sqlite' }, streams: { type: 'string', default: '300' }, rounds: { type: 'string', default: '25' } },
})
const size: Size = { streams: Number(values.streams), eventsPerStream: 100 }
const rounds = Number(values.rounds)

const cpuMs = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

const fill = async (batches: Promise<Prepared>): Promise<void> => {
  const p = await batches
  await p.run(() => {})
  await p.close()
}

const wallMs = (): number => performance.now()

const probe = async (loads: Record<string, Prepared>): Promise<void> => {
  const cpu: Record<string, number[]> = {}
  const wall: Record<string, number[]> = {}
  for (let r = 0; r < rounds; r++) {
    for (const [name, load] of Object.entries(loads)) {
      const c0 = cpuMs()
      const w0 = wallMs()
      await load.run(() => {})
      ;(wall[name] ??= []).push(wallMs() - w0)
      ;(cpu[name] ??= []).push(cpuMs() - c0)
    }
  }
  const min = (a: readonly number[]): number => Math.min(...a)
  const median = (a: readonly number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!
  // Wall time as well: on PostgreSQL a load waits for the server, whose work CPU time of this process leaves out.
  for (const [what, times] of [['CPU', cpu], ['wall', wall]] as const) {
    for (const [name, t] of Object.entries(times)) {
      const ratio = name === 'raw' ? '' : `  ratio ${(min(times.raw!) / min(t)).toFixed(2)} (min) ${(median(times.raw!) / median(t)).toFixed(2)} (median)`
      console.log(`${name.padEnd(8)} ${what.padEnd(4)} ms min ${min(t).toFixed(1)} median ${median(t).toFixed(1)}${ratio}`)
    }
  }
  for (const load of Object.values(loads)) await load.close()
}

const main = async (): Promise<void> => {
  console.log(`W3 probe, ${values.store}, ${size.streams} streams × 100 events, ${rounds} rounds`)
  if (values.store === 'postgresql') {
    const url = process.env.POSTGRES_URL
    if (!url) throw new Error('POSTGRES_URL is not set')
    const schemas = new PgSchemas(url)
    const raw = schemas.fresh()
    const ef = schemas.fresh()
    try {
      await fill(pgRawSide.batches(url, raw, size))
      await fill(pgEventfoldSide.batches(url, ef, size))
      await probe({
        raw: await pgRawSide.rehydrate(url, raw, size, 'class'),
        class: await pgEventfoldSide.rehydrate(url, ef, size, 'class'),
        decider: await pgEventfoldSide.rehydrate(url, ef, size, 'decider'),
      })
    } finally {
      await schemas.drop(raw)
      await schemas.drop(ef)
      await schemas.close()
    }
    return
  }
  const files = { raw: join(tmpdir(), `w3-probe-raw-${process.pid}.db`), ef: join(tmpdir(), `w3-probe-ef-${process.pid}.db`) }
  try {
    await fill(rawSide.batches(files.raw, size, 'NORMAL'))
    await fill(eventfoldSide.batches(files.ef, size, 'NORMAL'))
    await probe({
      raw: await rawSide.rehydrate(files.raw, size, 'NORMAL', 'class'),
      'raw+type': await rawTypedRehydrate(files.raw, size, 'NORMAL'),
      class: await eventfoldSide.rehydrate(files.ef, size, 'NORMAL', 'class'),
      decider: await eventfoldSide.rehydrate(files.ef, size, 'NORMAL', 'decider'),
    })
  } finally {
    for (const file of Object.values(files)) for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true })
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
