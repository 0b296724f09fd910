import type Database from 'better-sqlite3'
import type { EventFilter, RecordedEvent } from '@eventfold/core'
import { InsertStatements } from './insert-rows'
import { STREAM_ROW_VERSION_ONLY_SQL, streamRowSql, streamRowToEvent, type EventColumns, type ReadColumns } from './stream-row'

/**
 * A row of a read of the whole log: the stream id, and the rest of the event
 * as one text value as stream reads fetch it (see `stream-row.ts`). The
 * stream id, which may hold any character, is a column of its own.
 */
export type LogRow = readonly [streamId: string, row: string]

/** Where a stored event id lives. */
export interface EventRef {
  readonly streamId: string
  readonly revision: bigint
  readonly position: bigint
}

/** A server-side {@link EventFilter} as bind parameters: JSON arrays, or null for "no condition". */
interface FilterParams {
  readonly types: string | null
  readonly prefixes: string | null
}

interface PageParams {
  readonly from: bigint
  readonly limit: number
}

// One statement serves every filter: the lists arrive as JSON arrays, so no
// SQL is built per call and statements are prepared once. Prefixes compare
// with substr, which is exact and case-sensitive, unlike LIKE.
const FILTER = `(@types IS NULL OR type IN (SELECT value FROM json_each(@types)))
  AND (@prefixes IS NULL OR EXISTS (
    SELECT 1 FROM json_each(@prefixes) AS p WHERE substr(stream_id, 1, length(p.value)) = p.value))`

// A page's size is bound inside an expression, not as a bare `LIMIT @limit`:
// SQLite plans with the value of a bare LIMIT parameter, so binding a new
// value re-prepares the statement, every page of every read (~10 µs each).
const LIMIT = 'LIMIT @limit + 0'

type PageQuery<Key, Row> = Database.Statement<PageParams & Key, Row>

/** Every statement of the event store. */
export interface EventStatements {
  readonly streamHead: Database.Statement<[string], { revision: bigint; position: bigint }>
  readonly byEventId: Database.Statement<[string], EventRef>
  /** Multi-row inserts, by number of rows (see `insert-rows.ts`). */
  readonly inserts: InsertStatements
  readonly headPosition: Database.Statement<[], bigint | null>
  readonly firstPosition: Database.Statement<[], bigint | null>
  /** Rows as text, see `stream-row.ts`; the stream id is the one asked for, so it is not selected. */
  readonly streamForwards: PageQuery<{ streamId: string }, string>
  readonly streamBackwards: PageQuery<{ streamId: string }, string>
  /** {@link streamForwards} and {@link streamBackwards} leaving metadata out. */
  readonly streamForwardsVersionOnly: PageQuery<{ streamId: string }, string>
  readonly streamBackwardsVersionOnly: PageQuery<{ streamId: string }, string>
  readonly columnsAt: Database.Statement<[bigint], EventColumns>
  readonly allForwards: PageQuery<FilterParams, LogRow>
  readonly allBackwards: PageQuery<FilterParams, LogRow>
  readonly dataVersion: Database.Statement<[], number>
}

/** The SQL of an event store's statements, by name. */
export type EventSql = Readonly<Record<Exclude<keyof EventStatements, 'inserts'>, string>>

/** A page of a stream read, each row the text `row` makes (see `stream-row.ts`). */
const streamPage = (row: string, direction: 'forwards' | 'backwards'): string =>
  direction === 'forwards'
    ? `SELECT ${row} FROM eventfold_events WHERE stream_id = @streamId AND revision >= @from ORDER BY revision ${LIMIT}`
    : `SELECT ${row} FROM eventfold_events WHERE stream_id = @streamId AND revision <= @from ORDER BY revision DESC ${LIMIT}`

/**
 * The SQL of every statement but the inserts, by name (module-internal;
 * tests check their query plans). `withLayout` false: for a file opened
 * read-only at schema version 2, which has no `metadata_layout` column.
 */
export const eventSql = (withLayout: boolean): EventSql => {
  const streamRow = streamRowSql(withLayout)
  const logColumns = `stream_id, ${streamRow}`
  return {
    streamHead: 'SELECT revision, position FROM eventfold_events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1',
    byEventId: 'SELECT stream_id AS streamId, revision, position FROM eventfold_events WHERE event_id = ?',
    headPosition: 'SELECT max(position) FROM eventfold_events',
    firstPosition: 'SELECT min(position) FROM eventfold_events',
    streamForwards: streamPage(streamRow, 'forwards'),
    streamBackwards: streamPage(streamRow, 'backwards'),
    streamForwardsVersionOnly: streamPage(STREAM_ROW_VERSION_ONLY_SQL, 'forwards'),
    streamBackwardsVersionOnly: streamPage(STREAM_ROW_VERSION_ONLY_SQL, 'backwards'),
    columnsAt: `SELECT revision, type, data, metadata, schema_version AS schemaVersion,
      ${withLayout ? 'metadata_layout' : 'NULL'} AS metadataLayout FROM eventfold_events WHERE position = ?`,
    allForwards: `SELECT ${logColumns} FROM eventfold_events WHERE position >= @from AND ${FILTER} ORDER BY position ${LIMIT}`,
    allBackwards: `SELECT ${logColumns} FROM eventfold_events WHERE position <= @from AND ${FILTER} ORDER BY position DESC ${LIMIT}`,
    // Changes whenever another connection (in this or another process) commits.
    dataVersion: 'PRAGMA data_version',
  }
}

/** {@link eventSql} of the current schema. */
export const EVENT_SQL: EventSql = eventSql(true)

/** Prepares the statements of an event store, once per store, from `sql` ({@link eventSql}). */
export const prepareEventStatements = (db: Database.Database, sql: EventSql = EVENT_SQL): EventStatements => ({
  streamHead: db.prepare<[string], { revision: bigint; position: bigint }>(sql.streamHead).safeIntegers(true),
  byEventId: db.prepare<[string], EventRef>(sql.byEventId).safeIntegers(true),
  inserts: new InsertStatements(db),
  headPosition: db.prepare<[], bigint | null>(sql.headPosition).pluck().safeIntegers(true),
  firstPosition: db.prepare<[], bigint | null>(sql.firstPosition).pluck().safeIntegers(true),
  streamForwards: db.prepare<PageParams & { streamId: string }, string>(sql.streamForwards).pluck(),
  streamBackwards: db.prepare<PageParams & { streamId: string }, string>(sql.streamBackwards).pluck(),
  streamForwardsVersionOnly: db.prepare<PageParams & { streamId: string }, string>(sql.streamForwardsVersionOnly).pluck(),
  streamBackwardsVersionOnly: db.prepare<PageParams & { streamId: string }, string>(sql.streamBackwardsVersionOnly).pluck(),
  columnsAt: db.prepare<[bigint], EventColumns>(sql.columnsAt).safeIntegers(true),
  allForwards: db.prepare<PageParams & FilterParams, LogRow>(sql.allForwards).raw(true),
  allBackwards: db.prepare<PageParams & FilterParams, LogRow>(sql.allBackwards).raw(true),
  dataVersion: db.prepare<[], number>(sql.dataVersion).pluck(),
})

/** Bind parameters of a filter; empty lists mean no condition, as in `matchesFilter`. */
export const filterParams = (filter: EventFilter | undefined): FilterParams => ({
  types: filter?.eventTypes?.length ? JSON.stringify(filter.eventTypes) : null,
  prefixes: filter?.streamPrefixes?.length ? JSON.stringify(filter.streamPrefixes) : null,
})

/**
 * The event a row of a read of the whole log records: `data` parsed at once
 * (a bad payload fails the read where it is met), `metadata` on first access.
 * @throws SerializationError when `data` is not valid JSON; a bad `metadata`
 * throws it at the first access of `event.metadata`.
 */
export const logRowToEvent = (row: LogRow, readColumns: ReadColumns): RecordedEvent => streamRowToEvent(row[0], row[1], readColumns)
