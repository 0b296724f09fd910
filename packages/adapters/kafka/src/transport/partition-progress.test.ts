import { describe, expect, it } from '@jest/globals'
import { PartitionProgress } from './partition-progress'

describe('PartitionProgress', () => {
  it('commits past a run of handled deliveries only', () => {
    const progress = new PartitionProgress()
    for (const offset of [10n, 11n, 12n]) progress.delivered(offset)
    expect(progress.handled(11n)).toBeUndefined()
    expect(progress.handled(12n)).toBeUndefined()
    expect(progress.handled(10n)).toBe(13n)
  })

  it('never commits past an unhandled delivery', () => {
    const progress = new PartitionProgress()
    for (const offset of [0n, 1n, 2n, 3n]) progress.delivered(offset)
    expect(progress.handled(0n)).toBe(1n)
    expect(progress.handled(2n)).toBeUndefined()
    expect(progress.handled(3n)).toBeUndefined()
    expect(progress.handled(1n)).toBe(4n)
  })

  it('steps over the gaps compaction leaves in offsets', () => {
    const progress = new PartitionProgress()
    for (const offset of [3n, 7n, 20n]) progress.delivered(offset)
    expect(progress.handled(3n)).toBe(4n)
    expect(progress.handled(7n)).toBe(8n)
    expect(progress.handled(20n)).toBe(21n)
  })

  it('says a delivery is a redelivery when the offset came before, and restarts from there', () => {
    const progress = new PartitionProgress()
    expect(progress.delivered(0n)).toBe(false)
    expect(progress.delivered(1n)).toBe(false)
    expect(progress.handled(1n)).toBeUndefined()
    expect(progress.delivered(0n)).toBe(true)
    expect(progress.delivered(1n)).toBe(true)
    expect(progress.handled(0n)).toBe(1n)
    expect(progress.handled(1n)).toBe(2n)
  })

  it('ignores an acknowledgement of an offset it no longer tracks', () => {
    const progress = new PartitionProgress()
    progress.delivered(5n)
    progress.reset()
    expect(progress.handled(5n)).toBeUndefined()
  })

  it('keeps counting right over long runs, handled in order or in reverse', () => {
    const progress = new PartitionProgress()
    for (let o = 0n; o < 3000n; o++) progress.delivered(o)
    let last: bigint | undefined
    for (let o = 0n; o < 2000n; o++) last = progress.handled(o) ?? last
    expect(last).toBe(2000n)
    for (let o = 2999n; o > 2000n; o--) expect(progress.handled(o)).toBeUndefined()
    expect(progress.handled(2000n)).toBe(3000n)
    expect(progress.delivered(2500n)).toBe(true)
    expect(progress.handled(2500n)).toBe(2501n)
  })
})
