/**
 * How a position is made. PostgreSQL numbers every writing transaction with
 * a 64-bit id (`xid8`, from `pg_current_xact_id()`) that only grows; an
 * append is one transaction, and the n-th event of that append (from 0) gets
 *
 *     position = transaction id × 2^20 + n
 *
 * so positions order events by (transaction id, index in the append), the
 * order in which readers can safely see them (see `SAFE_BOUND_SQL`). It is a
 * plain int8: 2^43 transaction ids fit, hundreds of years at thousands of
 * writing transactions per second. The SQL multiplies rather than shifts, so
 * that running out would be an error (22003), never a wrapped position.
 */
export const APPEND_INDEX_BITS = 20

/** The most events one append can hold: the index within the append has {@link APPEND_INDEX_BITS} bits. */
export const MAX_EVENTS_PER_APPEND = 2 ** APPEND_INDEX_BITS

/** The transaction that appended the event at `position`. */
export const transactionOf = (position: bigint): bigint => position >> BigInt(APPEND_INDEX_BITS)

/** The first position a transaction id can give out: every position of transactions below `xid` is below it. */
export const positionBoundOf = (xid: bigint): bigint => xid << BigInt(APPEND_INDEX_BITS)

/**
 * SQL for the position of the n-th event (`n` an SQL expression) appended by
 * the current transaction. `pg_current_xact_id()` gives the transaction its
 * id if it has none yet; it is the same id that marks the inserted rows.
 */
export const positionSql = (n: string): string => `(pg_current_xact_id()::text::bigint * ${2 ** APPEND_INDEX_BITS} + ${n})`

/**
 * SQL for the exclusive upper bound of the positions a reader may hand out
 * now. `xmin` of the statement's snapshot is the lowest transaction id that
 * can still be running: every transaction below it has ended, committed (its
 * rows are in the snapshot) or rolled back (its rows never will be), and
 * every transaction still running, or yet to start, has an id at or above
 * it. So no event can ever appear below this bound later.
 * (`pg_current_snapshot()` is the snapshot the statement itself reads with.)
 */
export const SAFE_BOUND_SQL = `(pg_snapshot_xmin(pg_current_snapshot())::text::bigint * ${2 ** APPEND_INDEX_BITS})`
