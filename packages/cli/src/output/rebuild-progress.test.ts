import type { RebuildProgress } from '@eventfold/projections'
import { jsonLinesReporter, rebuildTicker } from './rebuild-progress'

const progress = (position: bigint | undefined, head: bigint | undefined = 1000n): RebuildProgress => ({
  projection: 'p',
  generation: 2,
  position,
  head,
  eventsRead: 0,
  eventsApplied: Number(position ?? 0n),
  writes: 0,
  parked: 0,
  resumed: false,
})

describe('rebuildTicker', () => {
  it('measures the rate from the first position it sees, and derives percent and ETA', () => {
    let now = 10_000
    const tick = rebuildTicker(() => now)
    expect(tick(progress(100n))).toMatchObject({ position: 100n, percent: 10, eventsPerSecond: 0, etaSeconds: null })
    now += 2000
    expect(tick(progress(500n))).toMatchObject({ position: 500n, percent: 50, eventsPerSecond: 200, etaSeconds: 2.5 })
  })

  it('reports no position until every partition has one', () => {
    expect(rebuildTicker(() => 0)(progress(undefined))).toMatchObject({ position: null, percent: 0, etaSeconds: null })
  })
})

describe('jsonLinesReporter', () => {
  it('writes at most one progress line per 250 ms, and always the result', () => {
    let now = 0
    const lines: unknown[] = []
    const reporter = jsonLinesReporter({ now: () => now, write: (v) => lines.push(v) })
    for (let i = 1; i <= 10; i++) {
      now += 100
      reporter.update(progress(BigInt(i * 100)))
    }
    reporter.finish({ ...progress(1000n), previousGeneration: 0, completed: true })
    expect(lines.map((l) => (l as { type: string; position: bigint }).position)).toEqual([100n, 400n, 700n, 1000n, 1000n])
    expect(lines.at(-1)).toMatchObject({ type: 'result', previousGeneration: null })
  })

  it('writes null, not nothing, for the positions of an empty log', () => {
    const lines: unknown[] = []
    jsonLinesReporter({ write: (v) => lines.push(v) }).finish({ ...progress(undefined), head: undefined, previousGeneration: undefined, completed: true })
    expect(lines[0]).toMatchObject({ type: 'result', position: null, head: null, previousGeneration: null })
  })
})
