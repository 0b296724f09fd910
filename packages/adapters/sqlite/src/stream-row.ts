import { SerializationError, type RecordedEvent } from '@eventfold/core'
import { recordedEventFromJson, recordedEventFromText, recordedEventWithoutMetadata, type MetadataLayout } from '@eventfold/core/spi'

/*
 * Stream reads, the reads that load aggregates, and reads of the whole log
 * (beside the stream id, a column of its own) fetch each row as ONE text
 * value: `<position> <revision> <schema_version> <metadata_layout>␁<data>␁<metadata>␁<type>`.
 * On Node 20, better-sqlite3 builds a row array with one V8 API call per
 * column, about 0.2 µs each: six columns cost more than parsing the data,
 * and splitting one text value costs less than a third of that.
 *
 * The separator ␁ (U+0001) never occurs in valid JSON text, which escapes
 * every control character, so data and metadata as JSON.stringify stored
 * them cannot hold it. The type, last, may hold anything. A row that holds
 * more than three separators (a type with U+0001, or a payload corrupted by
 * hand) cannot be split safely and is read again column by column.
 */

const SEP = '\u0001'

/**
 * The SQL expression of a stream row's text. `withLayout` false: for a file
 * opened read-only whose schema has no `metadata_layout` column yet.
 */
export const streamRowSql = (withLayout: boolean): string =>
  // concat() builds the text in one pass (a chain of || copies it once per
  // operator) and writes NULL as ''.
  `concat(position, ' ', revision, ' ', schema_version, ' ', ${withLayout ? 'metadata_layout' : "''"},
    char(1), data, char(1), metadata, char(1), type)`

/**
 * {@link streamRowSql} for a read that leaves metadata out (`readMetadata:
 * false`): the metadata segment is empty, and no layout is given. A row
 * written before `schema_version` was kept (NULL there) carries its metadata,
 * where its version is read from.
 */
export const STREAM_ROW_VERSION_ONLY_SQL = `concat(position, ' ', revision, ' ', schema_version, ' ',
    char(1), data, char(1), CASE WHEN schema_version IS NULL THEN metadata END, char(1), type)`

/** A stored event's columns, for rows that cannot be split. */
export interface EventColumns {
  readonly revision: bigint
  readonly type: string
  readonly data: string
  readonly metadata: string
  readonly schemaVersion: bigint | null
  readonly metadataLayout: bigint | null
}

/** Reads the columns of the event at a position. */
export type ReadColumns = (position: bigint) => EventColumns | undefined

/** The small non-negative integer written in `row` from `start` to `end` (a schema version). */
const smallIntegerIn = (row: string, start: number, end: number): number => {
  if (end - start > 15) return Number(row.slice(start, end))
  let n = 0
  for (let i = start; i < end; i++) n = n * 10 + row.charCodeAt(i) - 48
  return n
}

// Revisions repeat from stream to stream: the first ones are handed out from
// here rather than allocated for each event (bigints are immutable values).
const SMALL_REVISIONS: readonly bigint[] = Array.from({ length: 1024 }, (_, i) => BigInt(i))

/** The revision written in `row` from `start` to `end`. */
const revisionIn = (row: string, start: number, end: number): bigint => {
  if (end - start > 15) return BigInt(row.slice(start, end))
  let n = 0
  for (let i = start; i < end; i++) n = n * 10 + row.charCodeAt(i) - 48
  return n < SMALL_REVISIONS.length ? SMALL_REVISIONS[n]! : BigInt(n)
}

/** The non-negative integer written in `row` from `start` to `end`. */
const integerIn = (row: string, start: number, end: number): bigint => {
  // 15 digits always fit a double exactly; longer numbers take BigInt's parser.
  if (end - start > 15) return BigInt(row.slice(start, end))
  let n = 0
  for (let i = start; i < end; i++) n = n * 10 + row.charCodeAt(i) - 48
  return BigInt(n)
}

// Types repeat from row to row. Handing out one internalized string per type
// makes the lookups by type that follow each event (the registry's, the
// aggregate's handlers) compare pointers instead of characters, and the type
// of a row like the one before is recognised without cutting it out. V8
// internalizes property keys, hence the object literal; were that to change,
// this would cost a little time, never change a result.
const TYPES_KEPT = 1024
const types = new Map<string, string>()
let lastType = ''

/** Whether `row` holds `expected` at `at` (`startsWith` with a position costs several times more). */
const holdsAt = (row: string, at: number, expected: string): boolean => {
  for (let i = 0; i < expected.length; i++) if (row.charCodeAt(at + i) !== expected.charCodeAt(i)) return false
  return true
}

/** The type of a row, which runs from `at` to its end. */
const typeAt = (row: string, at: number): string => {
  if (row.length - at === lastType.length && holdsAt(row, at, lastType)) return lastType
  const type = row.slice(at)
  let known = types.get(type)
  if (known === undefined) {
    if (types.size >= TYPES_KEPT) types.clear()
    known = Object.keys({ [type]: 0 })[0] ?? type
    types.set(known, known)
  }
  return (lastType = known)
}

/** The metadata layout written at `at` (one digit, as the column's CHECK allows). */
const layoutIn = (row: string, at: number): MetadataLayout | null => {
  const layout = row.charCodeAt(at) - 48
  return layout === 1 || layout === 2 || layout === 3 ? layout : null
}

/** The position of a stream row, to resume after it. */
export const streamRowPosition = (row: string): bigint => integerIn(row, 0, row.indexOf(' '))

/** The revision of a stream row, to resume after it. */
export const streamRowRevision = (row: string): bigint => {
  const at = row.indexOf(' ') + 1
  return integerIn(row, at, row.indexOf(' ', at))
}

/**
 * The event a stream row records: `data` parsed at once (a bad payload fails
 * the read where it is met), `metadata` on first access.
 * @throws SerializationError when `data` is not valid JSON; a bad `metadata`
 * throws it at the first access of `event.metadata`.
 */
export const streamRowToEvent = (streamId: string, row: string, readColumns: ReadColumns): RecordedEvent => {
  const space1 = row.indexOf(' ')
  const space2 = row.indexOf(' ', space1 + 1)
  const space3 = row.indexOf(' ', space2 + 1)
  const end = row.indexOf(SEP, space3 + 1)
  const endOfData = row.indexOf(SEP, end + 1)
  const endOfMetadata = row.indexOf(SEP, endOfData + 1)
  const position = integerIn(row, 0, space1)
  if (row.indexOf(SEP, endOfMetadata + 1) >= 0) return columnsToEvent(streamId, position, readColumns)
  const revision = revisionIn(row, space1 + 1, space2)
  const type = typeAt(row, endOfMetadata + 1)
  const data = row.slice(end + 1, endOfData)
  // No metadata text, which a stored event never has: a read that left it out (STREAM_ROW_VERSION_ONLY_SQL).
  if (endOfMetadata === endOfData + 1) {
    return recordedEventWithoutMetadata(streamId, revision, position, type, data, smallIntegerIn(row, space2 + 1, space3))
  }
  return recordedEventFromText(
    streamId,
    revision,
    position,
    type,
    data,
    row.slice(endOfData + 1, endOfMetadata),
    space3 === space2 + 1 ? null : smallIntegerIn(row, space2 + 1, space3),
    end === space3 + 1 ? null : layoutIn(row, space3 + 1),
  )
}

const columnsToEvent = (streamId: string, position: bigint, readColumns: ReadColumns): RecordedEvent => {
  const columns = readColumns(position)
  // Events are never deleted: only a change made by hand since the page was read gets here.
  if (!columns) throw new SerializationError(`the stored event at position ${position} was deleted while it was read`, 'data')
  const { revision, type, data, metadata, schemaVersion, metadataLayout } = columns
  return recordedEventFromJson({
    streamId,
    revision,
    position,
    type,
    data,
    metadata,
    schemaVersion: schemaVersion === null ? null : Number(schemaVersion),
    metadataLayout: metadataLayout === 1n || metadataLayout === 2n || metadataLayout === 3n ? (Number(metadataLayout) as MetadataLayout) : null,
  })
}
