import { Presets, SingleBar } from 'cli-progress'
import type { RebuildProgress, RebuildResult } from '@eventfold/projections'
import { printJsonLine } from './json'
import { writeOut } from './terminal'

/** How often progress is shown: ~4 times a second. */
export const TICK_MS = 250

/** Progress of a rebuild as the CLI reports it: where it is, how fast, how long to go. */
export interface RebuildTick {
  readonly projection: string
  readonly generation: number
  /** Lowest checkpoint over the partitions; `null` until every partition committed a batch. */
  readonly position: bigint | null
  readonly head: bigint | null
  /** `position / head` in percent, one decimal. */
  readonly percent: number
  /** Log positions per second since this run started (a resumed run starts counting at its own start). */
  readonly eventsPerSecond: number
  /** Seconds left at the current rate; `null` before the rate is known. */
  readonly etaSeconds: number | null
  readonly eventsApplied: number
  readonly parked: number
  readonly resumed: boolean
}

/** Shows rebuild progress: a progress bar for a person, JSON lines for a program. */
export interface RebuildReporter {
  update(progress: RebuildProgress): void
  finish(result: RebuildResult): void
  /** Stops drawing (on interrupt or error) and returns the last tick. */
  abort(): RebuildTick | undefined
}

/**
 * Turns the library's progress into {@link RebuildTick}s, measuring the rate
 * from the first progress seen (a resumed rebuild's earlier work is not
 * counted as speed).
 */
export const rebuildTicker = (now: () => number = Date.now): ((progress: RebuildProgress) => RebuildTick) => {
  let start: { at: number; position: bigint } | undefined
  return (p: RebuildProgress): RebuildTick => {
    const position = p.position ?? null
    const at = now()
    if (start === undefined && position !== null) start = { at, position }
    const seconds = start ? (at - start.at) / 1000 : 0
    const done = start && position !== null ? Number(position - start.position) : 0
    const rate = seconds > 0 ? done / seconds : 0
    const head = p.head ?? null
    const remaining = head !== null && position !== null ? Math.max(0, Number(head - position)) : null
    return {
      projection: p.projection,
      generation: p.generation,
      position,
      head,
      percent: head && position !== null ? Math.min(100, Math.round((Number(position) / Number(head)) * 1000) / 10) : head === null ? 100 : 0,
      eventsPerSecond: Math.round(rate),
      etaSeconds: remaining !== null && rate > 0 ? Math.round((remaining / rate) * 10) / 10 : null,
      eventsApplied: p.eventsApplied,
      parked: p.parked,
      resumed: p.resumed,
    }
  }
}

/**
 * JSON lines (on stdout by default): a `progress` line per tick, at most one
 * per {@link TICK_MS}, and a `result` line at the end.
 */
export const jsonLinesReporter = ({ now = Date.now, write = printJsonLine }: { now?: () => number; write?: (value: unknown) => void } = {}): RebuildReporter => {
  const tick = rebuildTicker(now)
  let last: RebuildTick | undefined
  let shownAt: number | undefined
  return {
    update: (p) => {
      last = tick(p)
      const at = now()
      if (shownAt !== undefined && at - shownAt < TICK_MS) return
      shownAt = at
      write({ type: 'progress', ...last })
    },
    finish: (r) =>
      write({
        type: 'result',
        ...r,
        position: r.position ?? null,
        head: r.head ?? null,
        // Generation 0 stands for "no read model": there was nothing before.
        previousGeneration: r.previousGeneration || null,
      }),
    abort: () => last,
  }
}

const formatEta = (seconds: number | null): string => {
  if (seconds === null) return '--'
  const s = Math.round(seconds)
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`
}

/**
 * A progress bar on stderr (a TTY), and a summary line on stdout at the end
 * unless `summary` is false (a preview prints its own).
 */
export const progressBarReporter = (projection: string, { summary = true }: { summary?: boolean } = {}): RebuildReporter => {
  const tick = rebuildTicker()
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: `${projection} [{bar}] {percentage}% | position {value}/{total} | {rate} ev/s | ETA {etaText}`,
      hideCursor: true,
      fps: 1000 / TICK_MS,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  )
  let started = false
  let last: RebuildTick | undefined
  return {
    update: (p) => {
      last = tick(p)
      const payload = { rate: last.eventsPerSecond, etaText: formatEta(last.etaSeconds) }
      const value = Number(last.position ?? 0n)
      if (!started) {
        started = true
        bar.start(Number(last.head ?? 0n), value, payload)
      } else {
        bar.update(value, payload)
      }
    },
    finish: (result) => {
      if (started) {
        bar.update(Number(result.head ?? 0n), { rate: last?.eventsPerSecond ?? 0, etaText: '0s' })
        bar.stop()
      }
      if (!summary) return
      writeOut(
        `rebuilt '${result.projection}' into generation ${result.generation}` +
          (result.previousGeneration ? ` (generation ${result.previousGeneration} dropped)` : '') +
          `${result.resumed ? ', resuming an interrupted rebuild' : ''}: ${result.eventsApplied} events applied, ${result.writes} writes, ${result.parked} parked, position ${result.position ?? 'none'}\n`,
      )
      if (result.parked > 0) writeOut(`see the parked events with: eventfold dlq list --projection ${result.projection}\n`)
    },
    abort: () => {
      if (started) bar.stop()
      return last
    },
  }
}
