import type Database from 'better-sqlite3'

/** Columns an append binds per event, in the order of {@link insertSql}. */
const COLUMNS = '(stream_id, revision, event_id, type, data, metadata, schema_version, metadata_layout)'
const ROW = '(?, ?, ?, ?, ?, ?, ?, ?)'

/** Values bound per row. */
export const VALUES_PER_ROW = 8

/**
 * The most rows one insert statement carries. Statements hold a power of two
 * rows up to this, so an append of n events runs at most about log2(n) + n/64
 * statements, and a store prepares at most seven of them.
 */
export const MAX_ROWS_PER_INSERT = 64

/** The SQL of an insert of `rows` events at once. */
export const insertSql = (rows: number): string =>
  `INSERT INTO eventfold_events ${COLUMNS} VALUES ${Array.from({ length: rows }, () => ROW).join(', ')}`

/** The rows of the next insert statement for `remaining` events: the largest power of two that fits. */
export const rowsOfNextInsert = (remaining: number): number => {
  let rows = MAX_ROWS_PER_INSERT
  while (rows > remaining) rows >>>= 1
  return rows
}

/**
 * Multi-row insert statements, prepared on first use. One statement per
 * append (or per 64 events) instead of one per event: each statement costs a
 * trip into the driver and a step of the virtual machine, whatever its size.
 */
export class InsertStatements {
  private readonly byRows = new Map<number, Database.Statement<unknown[]>>()

  constructor(private readonly db: Database.Database) {}

  /** The statement inserting `rows` events (a power of two up to {@link MAX_ROWS_PER_INSERT}). */
  of(rows: number): Database.Statement<unknown[]> {
    let statement = this.byRows.get(rows)
    if (!statement) {
      statement = this.db.prepare<unknown[]>(insertSql(rows)).safeIntegers(true)
      this.byRows.set(rows, statement)
    }
    return statement
  }
}
