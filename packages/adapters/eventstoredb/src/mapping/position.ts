import type { Position } from '@eventstore/db-client'

/**
 * How an EventStoreDB `$all` position `{ commit, prepare }` becomes the single
 * bigint `position` of eventfold, and back:
 *
 *     position = commit × 2^64 + prepare
 *
 * Both halves are byte offsets in the transaction file, signed 64-bit on the
 * server (0 ≤ value < 2^63), so `prepare` always fits in the low 64 bits. The
 * encoding is exact and reversible, and it preserves the server's own order
 * (`TFPos` compares `commit` first, then `prepare`): for any two positions,
 * `encode(a) < encode(b)` exactly when `a` comes before `b` in `$all`.
 *
 * Why not `commit` alone: events of one explicit transaction share their
 * commit position (the position of the commit record) and differ only by
 * prepare position, and filtered-read checkpoints are pairs such as
 * `(P, 0)` that sort before an event at `(P, P)`. Dropping `prepare` would
 * merge distinct points of the log and let a subscriber skip an event.
 */
const PREPARE_BITS = 64n
const PREPARE_MASK = (1n << PREPARE_BITS) - 1n
/** Largest offset the server uses (its positions are signed 64-bit integers). */
const MAX_LOG_OFFSET = (1n << 63n) - 1n

/**
 * True for a real position in the transaction file. The server sends
 * `2^64 - 1` for both halves when it does not know an event's position (an
 * unsigned rendering of -1), which is not one; and an event's prepare record
 * is never written after its commit record, so `prepare` is at most `commit`.
 */
export const isLogPosition = (p: Position | undefined): p is Position =>
  p !== undefined &&
  typeof p.commit === 'bigint' &&
  typeof p.prepare === 'bigint' &&
  p.commit >= 0n &&
  p.commit <= MAX_LOG_OFFSET &&
  p.prepare >= 0n &&
  p.prepare <= p.commit

const describe = (p: unknown): string => {
  const { commit, prepare } = (p ?? {}) as { commit?: unknown; prepare?: unknown }
  return `C:${String(commit)}/P:${String(prepare)}`
}

/**
 * The eventfold position of an EventStoreDB position.
 * @throws {RangeError} when `p` is not a real log position.
 * @example encodePosition({ commit: 1000n, prepare: 1000n }) // 18446744073709551617000n
 */
export const encodePosition = (p: Position): bigint => {
  if (!isLogPosition(p)) throw new RangeError(`Not an EventStoreDB log position: ${describe(p)}`)
  return (p.commit << PREPARE_BITS) | p.prepare
}

/**
 * The EventStoreDB position of an eventfold position made by {@link encodePosition}.
 * @throws {RangeError} when `position` cannot have come from this adapter.
 */
export const decodePosition = (position: bigint): Position => {
  if (typeof position !== 'bigint' || position < 0n) {
    throw new RangeError(`Not an EventStoreDB position: ${String(position)} (positions are non-negative bigints)`)
  }
  const decoded = { commit: position >> PREPARE_BITS, prepare: position & PREPARE_MASK }
  if (!isLogPosition(decoded)) throw new RangeError(`Position ${position} was not made by the EventStoreDB adapter (${describe(decoded)})`)
  return decoded
}

/** Orders two EventStoreDB positions as the server does: commit first, then prepare. */
export const comparePositions = (a: Position, b: Position): number =>
  a.commit === b.commit ? (a.prepare === b.prepare ? 0 : a.prepare < b.prepare ? -1 : 1) : a.commit < b.commit ? -1 : 1

/** `C:1000/P:1000`, the way EventStoreDB's UI and logs show a position. */
export const formatPosition = (p: Position): string => `C:${p.commit}/P:${p.prepare}`
