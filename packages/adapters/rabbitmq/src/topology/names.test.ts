import { describe, expect, it } from '@jest/globals'
import { partitionOf, partitionQueue } from './names'

describe('partitions and names', () => {
  it('maps a key to the same partition every time, spreading keys over all partitions', () => {
    const seen = new Set<number>()
    for (let i = 0; i < 200; i++) {
      const key = `Order-${i}`
      expect(partitionOf(key, 4)).toBe(partitionOf(key, 4))
      seen.add(partitionOf(key, 4))
    }
    expect([...seen].sort()).toEqual([0, 1, 2, 3])
  })

  it('is a fixed function of the key bytes (FNV-1a), so every publisher routes alike', () => {
    expect(partitionOf('', 1000)).toBe(0x811c9dc5 % 1000)
    expect(partitionOf('a', 2 ** 31)).toBe(0xe40c292c % 2 ** 31)
    expect(partitionOf('Ωmega', 7)).toBe(partitionOf('Ωmega', 7))
  })

  it('names a partition queue <group>.<topic>.<n>', () => {
    expect(partitionQueue('billing', 'orders', 3)).toBe('billing.orders.3')
  })
})
