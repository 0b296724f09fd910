import { describe, expect, it } from '@jest/globals'
import { partitionQueue } from './names'

describe('topology names', () => {
  it('names a partition queue <group>.<topic>.<n>', () => {
    expect(partitionQueue('billing', 'orders', 3)).toBe('billing.orders.3')
  })
})
