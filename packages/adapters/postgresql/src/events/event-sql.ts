import type { EventFilter, ExpectedRevision, RecordedEvent } from '@eventfold/core'
import { fromJson, recordedEventFromText, recordedEventWithoutMetadata, type SerializedEvent } from '@eventfold/core/spi'
import { jsonbSchemaVersion } from './jsonb-version'
import type { QueryConfig } from 'pg'
import { Statements } from '../pg/statements'
import { APPEND_INDEX_BITS, positionSql, SAFE_BOUND_SQL } from './position'
import { CORRELATION_INDEX } from './event-schema'

/** A row of `eventfold_events` as read. */
export interface EventRow {
  readonly position: bigint
  readonly stream_id: string
  readonly revision: bigint
  readonly type: string
  readonly data: unknown
  readonly metadata: RecordedEvent['metadata']
}

/** A page of the log in global order, with what the reader needs to know about the safe bound. */
export interface ForwardPageRow extends Partial<EventRow> {
  /** The exclusive safe bound the page was read below. */
  readonly bound: bigint
  /** Committed events exist at or above the bound: an older transaction still holds them back. */
  readonly held: boolean
}

/** What an append statement returns: the events it wrote (0 when the stream was not at the expected revision). */
export interface AppendRow {
  readonly appended: bigint
  readonly revision: bigint | null
  readonly position: bigint | null
}

const COLUMNS = 'position, stream_id, revision, type, data, metadata'

/**
 * The columns of a stream read: the stream id is the one asked for. Data and
 * metadata come as JSON text, so that metadata is parsed only when read
 * (loading an aggregate rarely reads it); the schema version that upcasting
 * needs comes beside it, as the JSON text of `metadata.schemaVersion`.
 */
// No `metadata -> 'schemaVersion'` beside the text: extracting it cost the
// server about as much per row as printing the whole metadata, and the
// version is read from the text instead (see streamRowToEvent).
const STREAM_COLUMNS = `position, revision, type, data::text, metadata::text`

/**
 * The columns of a stream read that leaves metadata out (`readMetadata: false`):
 * its schema version alone, as JSON text, NULL when absent. Printing the
 * whole jsonb metadata costs the server more per row than the data.
 */
const STREAM_COLUMNS_VERSION_ONLY = `position, revision, type, data::text, (metadata -> 'schemaVersion')::text`

/**
 * A row of a stream read, as an array (`rowMode: 'array'`), in {@link STREAM_COLUMNS}
 * order; with metadata left out, its last column is the schema version's JSON text or null.
 */
export type StreamRow = [position: bigint, revision: bigint, type: string, data: string, metadata: string]

/** Index of the revision in a {@link StreamRow}. */
export const STREAM_ROW_REVISION = 1

// One statement serves every filter: the lists are array parameters, null
// for "no condition". starts_with is exact and case-sensitive, unlike LIKE.
const filterSql = (types: string, prefixes: string, alias = ''): string =>
  `(${types}::text[] IS NULL OR ${alias}type = ANY (${types}::text[]))
   AND (${prefixes}::text[] IS NULL OR EXISTS (
     SELECT 1 FROM unnest(${prefixes}::text[]) AS p(prefix) WHERE starts_with(${alias}stream_id, p.prefix)))`

/** Bind parameters of a filter; empty lists mean no condition, as in `matchesFilter`. */
const filterParams = (filter: EventFilter | undefined): [string[] | null, string[] | null] => [
  filter?.eventTypes?.length ? [...filter.eventTypes] : null,
  filter?.streamPrefixes?.length ? [...filter.streamPrefixes] : null,
]

/**
 * The JSON array an append sends: one element `{ n, id, type, data, metadata }`
 * per event, `n` its index in the append. Built from the payloads' JSON text
 * as it is, so no payload is parsed or serialized again here.
 */
export const appendElements = (events: readonly SerializedEvent[]): string => {
  let json = '['
  for (let n = 0; n < events.length; n++) {
    const e = events[n]!
    json += `${n === 0 ? '' : ','}{"n":${n},"id":${JSON.stringify(e.eventId)},"type":${JSON.stringify(e.type)},"data":${e.data},"metadata":${e.metadata}}`
  }
  return json + ']'
}

/**
 * Every statement of the event store, on the tables of one schema. Each is a
 * named (server-side prepared) statement, its name derived from its text.
 */
export class EventSql extends Statements {
  private readonly events: string

  /** @param schema the schema, already quoted. */
  constructor(schema: string) {
    super()
    this.events = `${schema}.eventfold_events`
  }

  /**
   * The whole append as one statement, so one implicit transaction: reads the
   * stream's last revision, checks the expected revision, inserts the events
   * at the next revisions with positions made from the transaction id, and
   * (with a channel) notifies listeners, which PostgreSQL delivers at commit.
   * Inserts nothing when the stream is not at the expected revision; the
   * unique indexes refuse what a concurrent append took first (23505).
   * `first` is the index in its transaction of the append's first event, when
   * one transaction appends several times (an inbox commit): positions stay
   * unique per transaction.
   */
  append(streamId: string, expected: ExpectedRevision, events: string, channel: string | undefined, first = 0): QueryConfig {
    return this.statement(
      'append',
      `WITH head AS (
         SELECT max(revision) AS revision FROM ${this.events} WHERE stream_id = $1
       ), accepted AS (
         SELECT coalesce(revision, -1) AS revision FROM head
         WHERE CASE $2::text
           WHEN 'any' THEN true
           WHEN 'no_stream' THEN revision IS NULL
           WHEN 'stream_exists' THEN revision IS NOT NULL
           ELSE revision = $3::bigint
         END
       ), inserted AS (
         INSERT INTO ${this.events} (position, stream_id, revision, event_id, type, data, metadata)
         SELECT ${positionSql('($6::int + e.n)')}, $1, a.revision + 1 + e.n, e.id, e.type, coalesce(e.data, 'null'::jsonb), e.metadata
         FROM accepted AS a
         CROSS JOIN jsonb_to_recordset($4::jsonb) AS e(n integer, id text, type text, data jsonb, metadata jsonb)
         RETURNING position, revision
       ), notified AS MATERIALIZED (
         SELECT pg_notify($5::text, '') FROM inserted WHERE $5::text IS NOT NULL LIMIT 1
       )
       SELECT count(*) AS appended, max(revision) AS revision, max(position) AS position,
              (SELECT count(*) FROM notified) AS notified
       FROM inserted`,
      [
        streamId,
        typeof expected === 'bigint' ? 'revision' : expected,
        typeof expected === 'bigint' ? expected.toString() : null,
        events,
        channel ?? null,
        first,
      ],
    )
  }

  /** The last revision and position of a stream (no row when it does not exist). */
  streamHead(streamId: string): QueryConfig {
    return this.statement(
      'streamHead',
      `SELECT revision, position FROM ${this.events} WHERE stream_id = $1 ORDER BY revision DESC LIMIT 1`,
      [streamId],
    )
  }

  /** Where each of these event ids is stored. */
  byEventIds(ids: readonly string[]): QueryConfig {
    return this.statement(
      'byEventIds',
      `SELECT event_id, stream_id, revision, position FROM ${this.events} WHERE event_id = ANY ($1::text[])`,
      [[...ids]],
    )
  }

  streamForwards(streamId: string, from: bigint, limit: number, readMetadata = true): QueryConfig {
    return this.statement(
      readMetadata ? 'streamForwards' : 'streamForwardsVersionOnly',
      `SELECT ${readMetadata ? STREAM_COLUMNS : STREAM_COLUMNS_VERSION_ONLY} FROM ${this.events}
       WHERE stream_id = $1 AND revision >= $2 ORDER BY revision LIMIT $3`,
      [streamId, from.toString(), limit],
    )
  }

  streamBackwards(streamId: string, from: bigint, limit: number, readMetadata = true): QueryConfig {
    return this.statement(
      readMetadata ? 'streamBackwards' : 'streamBackwardsVersionOnly',
      `SELECT ${readMetadata ? STREAM_COLUMNS : STREAM_COLUMNS_VERSION_ONLY} FROM ${this.events}
       WHERE stream_id = $1 AND revision <= $2 ORDER BY revision DESC LIMIT $3`,
      [streamId, from.toString(), limit],
    )
  }

  /**
   * Up to `limit` events after `after` (exclusive) in global order, below the
   * safe bound of this statement's snapshot; one row with null event columns
   * when there are none. Each row carries the bound and whether committed
   * events wait above it.
   *
   * The bound is unknown when the statement is planned, so no condition on
   * it may steer the plan: with `position < bound` in the scan, PostgreSQL
   * estimated a handful of rows and fetched every row after `after` into a
   * bitmap, then sorted them (O(log size) per page, so O(size²) to read the
   * log), and `EXISTS (… position >= bound)` scanned the whole table. Here
   * the scan is the plain ordered index scan with a limit, and the events at
   * or above the bound (the end of the page, since it is in position order)
   * are cut afterwards: a prefix of the page, possibly shorter, which callers
   * already treat as "held back". `max(position)` reads one index entry.
   */
  pageAfter(after: bigint, limit: number, filter: EventFilter | undefined): QueryConfig {
    return this.statement(
      'pageAfter',
      `WITH b AS MATERIALIZED (SELECT ${SAFE_BOUND_SQL} AS bound)
       SELECT b.bound, coalesce((SELECT max(h.position) FROM ${this.events} AS h) >= b.bound, false) AS held, e.*
       FROM b LEFT JOIN LATERAL (
         SELECT ${COLUMNS} FROM ${this.events}
         WHERE position > $1 AND ${filterSql('$3', '$4')}
         ORDER BY position LIMIT $2
       ) AS e ON e.position < b.bound
       ORDER BY e.position`,
      [after.toString(), limit, ...filterParams(filter)],
    )
  }

  /** Up to `limit` events at or before `from`, below `bound`, in reverse global order. */
  pageBackwards(from: bigint, bound: bigint, limit: number, filter: EventFilter | undefined): QueryConfig {
    return this.statement(
      'pageBackwards',
      `SELECT ${COLUMNS} FROM ${this.events}
       WHERE position <= $1 AND position < $2 AND ${filterSql('$4', '$5')}
       ORDER BY position DESC LIMIT $3`,
      [from.toString(), bound.toString(), limit, ...filterParams(filter)],
    )
  }

  /** Up to `limit` events of one correlation id after `after` (exclusive), in global order: an index scan on the correlation index. */
  correlatedAfter(correlationId: string, after: bigint, limit: number): QueryConfig {
    return this.statement(
      'correlatedAfter',
      `SELECT ${COLUMNS} FROM ${this.events}
       WHERE (metadata ->> 'correlationId') = $1 AND position > $2
       ORDER BY position LIMIT $3`,
      [correlationId, after.toString(), limit],
    )
  }

  /** Whether the correlation index exists in this schema. */
  correlationIndex(schema: string): QueryConfig {
    return this.statement('correlationIndex', 'SELECT to_regclass($1) IS NOT NULL AS present', [`${schema}.${CORRELATION_INDEX}`])
  }

  /** The last position below `bound` (null when none). */
  lastBelow(bound: bigint): QueryConfig {
    return this.statement('lastBelow', `SELECT max(position) AS position FROM ${this.events} WHERE position < $1`, [bound.toString()])
  }

  /** The first position below `bound` (null when none). */
  firstBelow(bound: bigint): QueryConfig {
    return this.statement('firstBelow', `SELECT min(position) AS position FROM ${this.events} WHERE position < $1`, [bound.toString()])
  }

  /** The last position below the safe bound of this statement's snapshot (null when none). */
  safeHead(): QueryConfig {
    return this.statement('safeHead', `SELECT max(position) AS position FROM ${this.events} WHERE position < ${SAFE_BOUND_SQL}`, [])
  }

  /** `xmin` and `xmax` of this statement's snapshot, as decimal text. */
  snapshot(): QueryConfig {
    return this.statement(
      'snapshot',
      'SELECT pg_snapshot_xmin(s)::text AS xmin, pg_snapshot_xmax(s)::text AS xmax FROM pg_current_snapshot() AS s',
      [],
    )
  }

  /** The transaction of the last stored event and the next transaction id the server will give out, as decimal text. */
  transactionCheck(): QueryConfig {
    return this.statement(
      'transactionCheck',
      `SELECT (SELECT (max(position) >> ${APPEND_INDEX_BITS})::text FROM ${this.events}) AS last,
              pg_snapshot_xmax(pg_current_snapshot())::text AS next`,
      [],
    )
  }
}

/**
 * A row of a read of `streamId` as the event it records: `data` parsed at
 * once; standard `metadata` cut out of its text at once, any other parsed
 * at its first access, its schema version found in the text without parsing.
 * @throws SerializationError when `data` is not valid JSON.
 */
export const streamRowToEvent = (streamId: string, [position, revision, type, data, metadata]: StreamRow): RecordedEvent =>
  recordedEventFromText(streamId, revision, position, type, data, metadata, jsonbSchemaVersion)

/**
 * A row of a read that left metadata out as the event it records
 * (`recordedEventWithoutMetadata`).
 * @throws SerializationError when `data` or the version is not valid JSON.
 */
export const versionOnlyRowToEvent = (streamId: string, [position, revision, type, data, version]: StreamRow): RecordedEvent =>
  recordedEventWithoutMetadata(
    streamId,
    revision,
    position,
    type,
    data,
    version === null ? undefined : SMALL_INTEGER.test(version) ? Number(version) : fromJson(version, 'metadata.schemaVersion', type),
  )

const SMALL_INTEGER = /^[0-9]{1,15}$/

/** A stored row as the event it records. */
export const toRecordedEvent = (row: EventRow): RecordedEvent => ({
  type: row.type,
  data: row.data,
  metadata: row.metadata,
  streamId: row.stream_id,
  revision: row.revision,
  position: row.position,
})
