import type { EventMetadata, RecordedEvent } from './event'
import { fromJson } from './json'
import { metadataInLayout, standardMetadata, type MetadataLayout } from './standard-metadata'
import { unreadMetadata } from './unread-metadata'

/** An event as a store that keeps JSON text reads it back; see {@link recordedEventFromJson}. */
export interface StoredEvent {
  readonly streamId: string
  readonly revision: bigint
  readonly position: bigint
  readonly type: string
  /** `data` as JSON text. */
  readonly data: string
  /** The metadata as JSON text. */
  readonly metadata: string
  /**
   * `metadata.schemaVersion`, when the store keeps it beside the text, so
   * that upcasting need not parse the metadata. `null` or absent: unknown.
   */
  readonly schemaVersion?: number | null
  /**
   * The layout of the metadata text, when the store kept the one
   * `serializeEvents` gave, so that reading it checks nothing. `null` or
   * absent: unknown (the text is checked, and parsed when it is in none).
   */
  readonly metadataLayout?: MetadataLayout | null
}

/**
 * A recorded event whose metadata holds user fields (or is not in a layout
 * {@link standardMetadata} reads): it is parsed at its first access. `metadata`
 * is an own enumerable accessor, defined per event, so that spreading,
 * `Object.keys`, `JSON.stringify`, `structuredClone` and deep equality see it
 * like a plain property (and parse it); a getter on the prototype would be
 * silently left out by all of those.
 */
class StoredRecordedEvent implements RecordedEvent {
  readonly type: string
  readonly data: unknown
  declare readonly metadata: EventMetadata
  readonly streamId: string
  readonly revision: bigint
  readonly position: bigint
  /** The metadata's JSON text until it is parsed. */
  #text: string | undefined
  #parsed: EventMetadata | undefined
  #schemaVersion: number | undefined

  constructor(
    streamId: string,
    revision: bigint,
    position: bigint,
    type: string,
    data: string,
    metadata: string,
    schemaVersion: number | null | undefined,
  ) {
    this.type = type
    this.data = fromJson(data, 'data', type)
    this.streamId = streamId
    this.revision = revision
    this.position = position
    this.#text = metadata
    this.#schemaVersion = schemaVersion ?? undefined
    Object.defineProperty(this, 'metadata', METADATA)
  }

  static metadataOf(event: StoredRecordedEvent): EventMetadata {
    if (event.#text !== undefined) {
      // Not kept when parsing fails: every access throws the same error.
      event.#parsed = fromJson<EventMetadata>(event.#text, 'metadata', event.type)
      event.#text = undefined
    }
    return event.#parsed!
  }

  static setMetadata(event: StoredRecordedEvent, metadata: EventMetadata): void {
    event.#parsed = metadata
    event.#text = undefined
    // The stored version may no longer be the one the metadata says.
    event.#schemaVersion = undefined
  }

  static schemaVersionOf(event: object): number | undefined {
    return #schemaVersion in event ? (event as StoredRecordedEvent).#schemaVersion : undefined
  }

  /**
   * What `console.log` and `util.inspect` show: the event as a plain object,
   * metadata parsed (or the error that parsing it throws: logging must not fail).
   */
  [Symbol.for('nodejs.util.inspect.custom')](_depth: number, options: object, inspect: (value: unknown, options: object) => string): string {
    const shown: Record<string, unknown> = {}
    for (const key of Object.keys(this)) {
      try {
        shown[key] = (this as unknown as Record<string, unknown>)[key]
      } catch (error) {
        shown[key] = error
      }
    }
    return inspect(shown, options)
  }
}

// One accessor shared by every event: objects that get the same accessor in
// the same order share their hidden class, so property access stays fast.
const METADATA: PropertyDescriptor = {
  get(this: StoredRecordedEvent) {
    return StoredRecordedEvent.metadataOf(this)
  },
  set(this: StoredRecordedEvent, metadata: EventMetadata) {
    StoredRecordedEvent.setMetadata(this, metadata)
  },
  enumerable: true,
  configurable: true,
}

/**
 * A {@link RecordedEvent} rebuilt from the JSON text a store keeps. `data` is
 * parsed at once. `metadata` as stores write it for events without user
 * fields is read at once into a plain object; metadata with user fields is
 * parsed at its first access, because folding an aggregate rarely reads it.
 * Either way it behaves as a plain property: spreading, deep equality,
 * `JSON.stringify` and `structuredClone` see it; assigning it replaces it.
 * @throws {@link SerializationError} when `data` is not valid JSON. A bad
 * `metadata` payload throws the same error at the first access of `metadata`.
 * @example
 * ```ts
 * const event = recordedEventFromJson({ streamId, revision, position, type, data: row.data, metadata: row.metadata })
 * ```
 */
export const recordedEventFromJson = (stored: StoredEvent): RecordedEvent =>
  recordedEventFromText(
    stored.streamId,
    stored.revision,
    stored.position,
    stored.type,
    stored.data,
    stored.metadata,
    stored.schemaVersion,
    stored.metadataLayout,
  )


/**
 * {@link recordedEventFromJson} with the fields as arguments, for a store
 * that cuts them out of its rows: it spares each event the object that
 * carries them. Metadata in a {@link MetadataLayout} becomes a plain object
 * at once (cheaper than JSON.parse, and than an accessor per event); other
 * metadata is parsed at its first access.
 * `schemaVersion`: the version the store kept, or a function that finds it
 * in the metadata text (`null`: unknown), called only for metadata in no
 * standard layout, whose version is otherwise read from the text.
 * @throws {@link SerializationError} when `data` is not valid JSON.
 */
export const recordedEventFromText = (
  streamId: string,
  revision: bigint,
  position: bigint,
  type: string,
  data: string,
  metadata: string,
  schemaVersion: number | null | undefined | ((metadata: string) => number | null),
  metadataLayout?: MetadataLayout | null,
): RecordedEvent => {
  const kept = typeof schemaVersion === 'function' ? undefined : schemaVersion
  // A layout the store kept was written with the text and its version: neither is checked again.
  const standard =
    metadataLayout != null && kept != null ? metadataInLayout(metadata, metadataLayout, kept) : standardMetadata(metadata)
  // A stored version that disagrees with the text is the one upcasting must see: kept apart, as for any metadata.
  if (standard === undefined || (kept != null && kept !== standard.schemaVersion)) {
    const version = typeof schemaVersion === 'function' ? schemaVersion(metadata) : schemaVersion
    return new StoredRecordedEvent(streamId, revision, position, type, data, metadata, version)
  }
  return { type, data: fromJson(data, 'data', type), streamId, revision, position, metadata: standard }
}

/**
 * An event read with `readMetadata: false`, from its fields: `data` parsed at
 * once, `metadata` answering `schemaVersion` alone (any other field throws
 * `MetadataNotReadError`).
 * @throws {@link SerializationError} when `data` is not valid JSON.
 */
export const recordedEventWithoutMetadata = (
  streamId: string,
  revision: bigint,
  position: bigint,
  type: string,
  data: string,
  schemaVersion: unknown,
): RecordedEvent => ({ type, data: fromJson(data, 'data', type), streamId, revision, position, metadata: unreadMetadata(schemaVersion) })

/**
 * The schema version of a recorded event's data: the one its store kept
 * beside the metadata when there is one (reading it parses nothing), else
 * `metadata.schemaVersion`, else 1.
 */
export const schemaVersionOf = (event: RecordedEvent): number =>
  StoredRecordedEvent.schemaVersionOf(event) ?? event.metadata.schemaVersion ?? 1
