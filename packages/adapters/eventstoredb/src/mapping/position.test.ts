import { describe, expect, it } from '@jest/globals'
import { comparePositions, decodePosition, encodePosition, formatPosition, isLogPosition } from './position'

const MAX = (1n << 63n) - 1n
/** What the server sends for "no position": -1 read as an unsigned 64-bit number. */
const NO_POSITION = (1n << 64n) - 1n

/** A seeded generator, so that a failure can be replayed. */
const random = (seed: number) => {
  let s = seed >>> 0
  const next32 = () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return BigInt(((t ^ (t >>> 14)) >>> 0) as number)
  }
  /** A value in 0..2^63-1, biased towards the small and the extreme. */
  const offset = (): bigint => {
    const kind = Number(next32() % 4n)
    const wide = ((next32() << 32n) | next32()) & MAX
    if (kind === 0) return next32() % 1000n
    if (kind === 1) return MAX - (next32() % 1000n)
    return wide
  }
  /** A position the server can report: the prepare record is never after its commit record. */
  const position = (commit = offset()): { commit: bigint; prepare: bigint } => {
    const other = offset()
    return { commit, prepare: other <= commit ? other : commit === 0n ? 0n : other % (commit + 1n) }
  }
  return { offset, position, next32 }
}

describe('position encoding', () => {
  it.each([
    [{ commit: 0n, prepare: 0n }, 0n],
    [{ commit: 1n, prepare: 0n }, 1n << 64n],
    [{ commit: 1n, prepare: 1n }, (1n << 64n) + 1n],
    [{ commit: 1000n, prepare: 1000n }, 18446744073709551617000n],
    [{ commit: MAX, prepare: MAX }, (MAX << 64n) | MAX],
  ])('encodes %p as commit × 2^64 + prepare', (position, encoded) => {
    expect(encodePosition(position)).toBe(encoded)
    expect(decodePosition(encoded)).toEqual(position)
  })

  it('round-trips many random positions exactly', () => {
    const { position } = random(20240511)
    for (let i = 0; i < 10_000; i++) {
      const p = position()
      expect(decodePosition(encodePosition(p))).toEqual(p)
    }
  })

  it('orders encoded positions exactly as the server orders positions (commit, then prepare)', () => {
    const { position, next32 } = random(7)
    const mismatches: string[] = []
    for (let i = 0; i < 10_000; i++) {
      const a = position()
      // Half the pairs share their commit position, as the events of one transaction do.
      const b = next32() % 2n === 0n ? position(a.commit) : position()
      const byServer = comparePositions(a, b)
      const encoded = encodePosition(a) === encodePosition(b) ? 0 : encodePosition(a) < encodePosition(b) ? -1 : 1
      if (byServer !== encoded) mismatches.push(`${formatPosition(a)} vs ${formatPosition(b)}`)
    }
    expect(mismatches).toEqual([])
  })

  it('keeps the events of one explicit transaction apart and in prepare order', () => {
    // Three events committed by one commit record at 5000: same commit position, rising prepare positions.
    const transaction = [1200n, 2400n, 3600n].map((prepare) => encodePosition({ commit: 5000n, prepare }))
    const before = encodePosition({ commit: 4800n, prepare: 4800n })
    const after = encodePosition({ commit: 5100n, prepare: 5100n })

    expect(new Set(transaction).size).toBe(3)
    expect([before, ...transaction, after]).toEqual([...[before, ...transaction, after]].sort((x, y) => (x < y ? -1 : 1)))
  })

  it('puts a filtered-read checkpoint (P, 0) before the event that starts at P', () => {
    expect(encodePosition({ commit: 700n, prepare: 0n }) < encodePosition({ commit: 700n, prepare: 700n })).toBe(true)
    expect(encodePosition({ commit: 700n, prepare: 0n }) > encodePosition({ commit: 650n, prepare: 650n })).toBe(true)
  })

  it.each([
    ['the "no position" sentinel', { commit: NO_POSITION, prepare: NO_POSITION }],
    ['a commit beyond 2^63 - 1', { commit: MAX + 1n, prepare: 0n }],
    ['a negative prepare', { commit: 0n, prepare: -1n }],
    ['a prepare after its commit', { commit: 100n, prepare: 101n }],
  ])('refuses to encode %s', (_label, position) => {
    expect(isLogPosition(position)).toBe(false)
    expect(() => encodePosition(position)).toThrow(RangeError)
  })

  it.each([
    ['a negative number', -1n],
    ['a prepare half beyond 2^63 - 1', (5n << 64n) | NO_POSITION],
    ['a commit half beyond 2^63 - 1', (MAX + 1n) << 64n],
    ['a prepare half after the commit half', (100n << 64n) | 101n],
  ])('refuses to decode %s', (_label, position) => {
    expect(() => decodePosition(position)).toThrow(RangeError)
  })

  it('treats a missing position as not a log position', () => {
    expect(isLogPosition(undefined)).toBe(false)
  })
})
