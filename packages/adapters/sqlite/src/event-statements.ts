import type Database from 'better-sqlite3'
import { fromJson, type EventFilter, type RecordedEvent } from '@eventfold/core'

/** A row of `eventfold_events` as read (integers as bigint). */
export interface EventRow {
  readonly position: bigint
  readonly stream_id: string
  readonly revision: bigint
  readonly type: string
  readonly data: string
  readonly metadata: string
}

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

const COLUMNS = 'position, stream_id, revision, type, data, metadata'

// One statement serves every filter: the lists arrive as JSON arrays, so no
// SQL is built per call and statements are prepared once. Prefixes compare
// with substr, which is exact and case-sensitive, unlike LIKE.
const FILTER = `(@types IS NULL OR type IN (SELECT value FROM json_each(@types)))
  AND (@prefixes IS NULL OR EXISTS (
    SELECT 1 FROM json_each(@prefixes) AS p WHERE substr(stream_id, 1, length(p.value)) = p.value))`

type PageQuery<Key> = Database.Statement<PageParams & Key, EventRow>

/** Every statement of the event store. */
export interface EventStatements {
  readonly streamHead: Database.Statement<[string], { revision: bigint; position: bigint }>
  readonly byEventId: Database.Statement<[string], EventRef>
  readonly insert: Database.Statement<[string, bigint, string, string, string, string]>
  readonly headPosition: Database.Statement<[], bigint | null>
  readonly firstPosition: Database.Statement<[], bigint | null>
  readonly streamForwards: PageQuery<{ streamId: string }>
  readonly streamBackwards: PageQuery<{ streamId: string }>
  readonly allForwards: PageQuery<FilterParams>
  readonly allBackwards: PageQuery<FilterParams>
  readonly dataVersion: Database.Statement<[], number>
}

/** The SQL of every statement, by name (module-internal; tests check their query plans). */
export const EVENT_SQL: Readonly<Record<keyof EventStatements, string>> = {
  streamHead: 'SELECT revision, position FROM eventfold_events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1',
  byEventId: 'SELECT stream_id AS streamId, revision, position FROM eventfold_events WHERE event_id = ?',
  insert: 'INSERT INTO eventfold_events (stream_id, revision, event_id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)',
  headPosition: 'SELECT max(position) FROM eventfold_events',
  firstPosition: 'SELECT min(position) FROM eventfold_events',
  streamForwards: `SELECT ${COLUMNS} FROM eventfold_events
    WHERE stream_id = @streamId AND revision >= @from ORDER BY revision LIMIT @limit`,
  streamBackwards: `SELECT ${COLUMNS} FROM eventfold_events
    WHERE stream_id = @streamId AND revision <= @from ORDER BY revision DESC LIMIT @limit`,
  allForwards: `SELECT ${COLUMNS} FROM eventfold_events WHERE position >= @from AND ${FILTER} ORDER BY position LIMIT @limit`,
  allBackwards: `SELECT ${COLUMNS} FROM eventfold_events WHERE position <= @from AND ${FILTER} ORDER BY position DESC LIMIT @limit`,
  // Changes whenever another connection (in this or another process) commits.
  dataVersion: 'PRAGMA data_version',
}

/** Prepares the statements of an event store, once per store. */
export const prepareEventStatements = (db: Database.Database): EventStatements => ({
  streamHead: db.prepare<[string], { revision: bigint; position: bigint }>(EVENT_SQL.streamHead).safeIntegers(true),
  byEventId: db.prepare<[string], EventRef>(EVENT_SQL.byEventId).safeIntegers(true),
  insert: db.prepare<[string, bigint, string, string, string, string]>(EVENT_SQL.insert).safeIntegers(true),
  headPosition: db.prepare<[], bigint | null>(EVENT_SQL.headPosition).pluck().safeIntegers(true),
  firstPosition: db.prepare<[], bigint | null>(EVENT_SQL.firstPosition).pluck().safeIntegers(true),
  streamForwards: db.prepare<PageParams & { streamId: string }, EventRow>(EVENT_SQL.streamForwards).safeIntegers(true),
  streamBackwards: db.prepare<PageParams & { streamId: string }, EventRow>(EVENT_SQL.streamBackwards).safeIntegers(true),
  allForwards: db.prepare<PageParams & FilterParams, EventRow>(EVENT_SQL.allForwards).safeIntegers(true),
  allBackwards: db.prepare<PageParams & FilterParams, EventRow>(EVENT_SQL.allBackwards).safeIntegers(true),
  dataVersion: db.prepare<[], number>(EVENT_SQL.dataVersion).pluck(),
})

/** Bind parameters of a filter; empty lists mean no condition, as in `matchesFilter`. */
export const filterParams = (filter: EventFilter | undefined): FilterParams => ({
  types: filter?.eventTypes?.length ? JSON.stringify(filter.eventTypes) : null,
  prefixes: filter?.streamPrefixes?.length ? JSON.stringify(filter.streamPrefixes) : null,
})

/** A stored row as the event it records. @throws SerializationError when a payload is not valid JSON. */
export const toRecordedEvent = (row: EventRow): RecordedEvent => ({
  type: row.type,
  data: fromJson(row.data, 'data', row.type),
  metadata: fromJson(row.metadata, 'metadata', row.type),
  streamId: row.stream_id,
  revision: row.revision,
  position: row.position,
})
