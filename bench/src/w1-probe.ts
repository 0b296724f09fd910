import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { eventfoldSide, eventfoldSideWithoutCorrelationIndex } from './eventfold'
import { rawSide, rawSideWithLogIndexes } from './raw'
import type { Side, Size } from './workload'

/**
 * W1 (one command per event) as a probe for a shared, noisy machine, SQLite
 * at synchronous=NORMAL: raw and eventfold rounds (eventfold also with
 * `correlationIndex: false`) interleaved, each on a
 * fresh file, timed in CPU time of the process (fsync waits and other
 * processes' work left out), minimum and median of the rounds.
 *
 * Usage: node bench/dist/w1-probe.js [--streams N] [--events N] [--rounds N]
 */
const { values } = parseArgs({
  options: { streams: { type: 'string', default: '100' }, events: { type: 'string', default: '50' }, rounds: { type: 'string', default: '7' } },
})
const size: Size = { streams: Number(values.streams), eventsPerStream: Number(values.events) }
const rounds = Number(values.rounds)

const cpuMs = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

const remove = (file: string): void => {
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true })
}

/** CPU ms of one W1 run of `side` on a fresh file. */
const once = async (side: Side, file: string): Promise<number> => {
  remove(file)
  const prepared = await side.commands(file, size, 'NORMAL')
  try {
    const t0 = cpuMs()
    await prepared.run(() => {})
    return cpuMs() - t0
  } finally {
    await prepared.close()
    remove(file)
  }
}

const main = async (): Promise<void> => {
  console.log(`W1 probe, sqlite NORMAL, ${size.streams} streams × ${size.eventsPerStream} commands, ${rounds} rounds`)
  const sides = { raw: rawSide, 'raw+idx': rawSideWithLogIndexes, eventfold: eventfoldSide, 'no index': eventfoldSideWithoutCorrelationIndex }
  const times: Record<string, number[]> = { raw: [], 'raw+idx': [], eventfold: [], 'no index': [] }
  for (let r = 0; r < rounds; r++) {
    for (const [name, side] of Object.entries(sides)) times[name]!.push(await once(side, join(tmpdir(), `w1-probe-${name.replace(/[^a-z]/g, '-')}-${process.pid}.db`)))
  }
  const min = (a: readonly number[]): number => Math.min(...a)
  const median = (a: readonly number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!
  const raw = times.raw!
  console.log(`raw       CPU ms min ${min(raw).toFixed(0)} median ${median(raw).toFixed(0)}`)
  for (const name of ['raw+idx', 'eventfold', 'no index']) {
    const ef = times[name]!
    console.log(
      `${name.padEnd(9)} CPU ms min ${min(ef).toFixed(0)} median ${median(ef).toFixed(0)}  ratio ${(min(raw) / min(ef)).toFixed(2)} (min) ${(median(raw) / median(ef)).toFixed(2)} (median)`,
    )
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
