import { describe, expect, it } from '@jest/globals'
import { applyRetention, readRetention } from './stream-retention'

describe('stream retention', () => {
  const existing = { $acl: { $r: ['$admins'] }, $maxCount: 10, team: 'billing' }

  it('sets limits in EventStoreDB metadata and keeps every other property', () => {
    expect(applyRetention(existing, { maxAge: 86_400, truncateBefore: 42n })).toEqual({ ...existing, $maxAge: 86_400, $tb: 42 })
  })

  it('removes a limit set to null and leaves an undefined one as it is', () => {
    expect(applyRetention(existing, { maxCount: null, maxAge: undefined })).toEqual({ $acl: { $r: ['$admins'] }, team: 'billing' })
  })

  it('reads the limits back as eventfold values', () => {
    expect(readRetention({ ...existing, $maxAge: 60, $tb: 7 })).toEqual({ maxAge: 60, maxCount: 10, truncateBefore: 7n })
    expect(readRetention({})).toEqual({})
  })

  it.each([
    ['a zero maxAge', { maxAge: 0 }, 'maxAge'],
    ['a fractional maxCount', { maxCount: 1.5 }, 'maxCount'],
    ['a negative truncateBefore', { truncateBefore: -1n }, 'truncateBefore'],
    ['a truncateBefore beyond 2^53 - 1', { truncateBefore: 1n << 60n }, 'truncateBefore'],
  ])('refuses %s with a ValidationError naming the field', (_label, change, path) => {
    expect(() => applyRetention(existing, change)).toThrow(
      expect.objectContaining({ type: 'validation', issues: [expect.objectContaining({ path })] }) as unknown as Error,
    )
  })
})
