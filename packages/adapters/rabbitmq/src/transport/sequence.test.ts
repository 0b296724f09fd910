import { describe, expect, it } from '@jest/globals'
import { PartitionSequences } from './sequence'

describe('partition sequences', () => {
  it('grows within a partition even when the clock stands still or goes back', () => {
    let now = 1_000
    const sequences = new PartitionSequences(() => now)
    const first = sequences.next('orders', 0)
    const second = sequences.next('orders', 0)
    now = 999
    const third = sequences.next('orders', 0)
    expect(first).toBe(1_000_000n)
    expect(second).toBe(1_000_001n)
    expect(third).toBe(1_000_002n)
  })

  it('keeps one sequence per topic partition', () => {
    const sequences = new PartitionSequences(() => 5)
    expect(sequences.next('orders', 0)).toBe(5_000n)
    expect(sequences.next('orders', 1)).toBe(5_000n)
    expect(sequences.next('payments', 0)).toBe(5_000n)
  })

  it('continues above a previous run of the publisher, which started earlier on the clock', () => {
    const before = new PartitionSequences(() => 1_000).next('orders', 0)
    const after = new PartitionSequences(() => 1_001).next('orders', 0)
    expect(after).toBeGreaterThan(before)
  })
})
