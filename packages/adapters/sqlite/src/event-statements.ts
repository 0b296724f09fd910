import type Database from 'better-sqlite3'
import { fromJson, type EventFilter, type RecordedEvent } from '@eventfold/core'

/**
 * A row of a stream read, as an array (integers as bigint); the stream id is
 * the one asked for, so it is not selected.
 */
export type StreamRow = readonly [position: bigint, revision: bigint, type: string, data: string, metadata: string]

/** A row of a read of the whole log, as an array (integers as bigint). */
export type LogRow = readonly [position: bigint, streamId: string, revision: bigint, type: string, data: string, metadata: string]

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

const STREAM_COLUMNS = 'position, revision, type, data, metadata'
const LOG_COLUMNS = 'position, stream_id, revision, type, data, metadata'

// One statement serves every filter: the lists arrive as JSON arrays, so no
// SQL is built per call and statements are prepared once. Prefixes compare
// with substr, which is exact and case-sensitive, unlike LIKE.
const FILTER = `(@types IS NULL OR type IN (SELECT value FROM json_each(@types)))
  AND (@prefixes IS NULL OR EXISTS (
    SELECT 1 FROM json_each(@prefixes) AS p WHERE substr(stream_id, 1, length(p.value)) = p.value))`

type PageQuery<Key, Row> = Database.Statement<PageParams & Key, Row>

/** Every statement of the event store. */
export interface EventStatements {
  readonly streamHead: Database.Statement<[string], { revision: bigint; position: bigint }>
  readonly byEventId: Database.Statement<[string], EventRef>
  readonly insert: Database.Statement<[string, bigint, string, string, string, string]>
  readonly headPosition: Database.Statement<[], bigint | null>
  readonly firstPosition: Database.Statement<[], bigint | null>
  readonly streamForwards: PageQuery<{ streamId: string }, StreamRow>
  readonly streamBackwards: PageQuery<{ streamId: string }, StreamRow>
  readonly allForwards: PageQuery<FilterParams, LogRow>
  readonly allBackwards: PageQuery<FilterParams, LogRow>
  readonly dataVersion: Database.Statement<[], number>
}

/** The SQL of every statement, by name (module-internal; tests check their query plans). */
export const EVENT_SQL: Readonly<Record<keyof EventStatements, string>> = {
  streamHead: 'SELECT revision, position FROM eventfold_events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1',
  byEventId: 'SELECT stream_id AS streamId, revision, position FROM eventfold_events WHERE event_id = ?',
  insert: 'INSERT INTO eventfold_events (stream_id, revision, event_id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)',
  headPosition: 'SELECT max(position) FROM eventfold_events',
  firstPosition: 'SELECT min(position) FROM eventfold_events',
  streamForwards: `SELECT ${STREAM_COLUMNS} FROM eventfold_events
    WHERE stream_id = @streamId AND revision >= @from ORDER BY revision LIMIT @limit`,
  streamBackwards: `SELECT ${STREAM_COLUMNS} FROM eventfold_events
    WHERE stream_id = @streamId AND revision <= @from ORDER BY revision DESC LIMIT @limit`,
  allForwards: `SELECT ${LOG_COLUMNS} FROM eventfold_events WHERE position >= @from AND ${FILTER} ORDER BY position LIMIT @limit`,
  allBackwards: `SELECT ${LOG_COLUMNS} FROM eventfold_events WHERE position <= @from AND ${FILTER} ORDER BY position DESC LIMIT @limit`,
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
  streamForwards: db.prepare<PageParams & { streamId: string }, StreamRow>(EVENT_SQL.streamForwards).raw(true).safeIntegers(true),
  streamBackwards: db.prepare<PageParams & { streamId: string }, StreamRow>(EVENT_SQL.streamBackwards).raw(true).safeIntegers(true),
  allForwards: db.prepare<PageParams & FilterParams, LogRow>(EVENT_SQL.allForwards).raw(true).safeIntegers(true),
  allBackwards: db.prepare<PageParams & FilterParams, LogRow>(EVENT_SQL.allBackwards).raw(true).safeIntegers(true),
  dataVersion: db.prepare<[], number>(EVENT_SQL.dataVersion).pluck(),
})

/** Bind parameters of a filter; empty lists mean no condition, as in `matchesFilter`. */
export const filterParams = (filter: EventFilter | undefined): FilterParams => ({
  types: filter?.eventTypes?.length ? JSON.stringify(filter.eventTypes) : null,
  prefixes: filter?.streamPrefixes?.length ? JSON.stringify(filter.streamPrefixes) : null,
})

/**
 * A stored event as the {@link RecordedEvent} it records. `data` is parsed
 * at once (a bad payload fails the read where it is met).
 * @throws SerializationError when a payload is not valid JSON.
 */
export const recordedEvent = (
  streamId: string,
  revision: bigint,
  position: bigint,
  type: string,
  data: string,
  metadata: string,
): RecordedEvent => ({
  type,
  data: fromJson(data, 'data', type),
  metadata: fromJson(metadata, 'metadata', type),
  streamId,
  revision,
  position,
})

/** A row of a read of the whole log as the event it records. @throws SerializationError when a payload is not valid JSON. */
export const logRowToEvent = (row: LogRow): RecordedEvent => recordedEvent(row[1], row[2], row[0], row[3], row[4], row[5])
