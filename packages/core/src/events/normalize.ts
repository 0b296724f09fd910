import { randomFillSync } from 'node:crypto'
import type { EventData, EventMetadata } from './event'
import { assertJsonSafe } from './json'
import { metadataLayoutOf, type MetadataLayout } from './standard-metadata'
import { AppendSize, assertEventCount, assertName, assertStorableText } from './limits'
import { ValidationError } from '../errors/errors'

/** An event ready to be stored: metadata complete, payload checked. */
export interface PreparedEvent {
  readonly type: string
  readonly data: unknown
  readonly metadata: EventMetadata
}

/** An event as a store writes it: metadata complete, payloads checked and turned into JSON text. */
export interface SerializedEvent {
  readonly type: string
  readonly eventId: string
  /** `data` as JSON text. */
  readonly data: string
  /** The complete metadata as JSON text. */
  readonly metadata: string
  /**
   * `metadata.schemaVersion`, for stores that keep it beside the text so that
   * reads need not parse the metadata; `null` when the metadata of a prepared
   * event was changed to something that is not a positive integer.
   */
  readonly schemaVersion: number | null
  /**
   * The layout of `metadata` when it is a {@link MetadataLayout}, for stores
   * that keep it beside the text so that reads cut the metadata out instead
   * of checking or parsing it; `null` when it holds anything else.
   */
  readonly metadataLayout: MetadataLayout | null
}

// The JSON text of the data of every event `prepareEvents` returned, so that
// storing a prepared event neither checks nor serializes its data again. The
// text was made when the event was prepared, from the data then: what is
// stored is what was prepared, whatever happens to the objects afterwards.
const preparedData = new WeakMap<object, string>()

// Hex digits of every byte value, for building ids.
const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))
const randomBytes = new Uint8Array(10 * 256)
let randomAt = randomBytes.length
let lastMs = -1
let counter = 0
let prefix = ''

/**
 * A new event id: a UUIDv7 (RFC 9562), time-ordered, so that ids generated
 * one after the other sort one after the other and a store's unique index on
 * them grows at its end instead of at random places. Within a millisecond a
 * 12-bit counter keeps the order (method 1 of the RFC); 62 random bits keep
 * ids unique across processes.
 */
export const newEventId = (): string => {
  if (randomAt + 10 > randomBytes.length) {
    randomFillSync(randomBytes)
    randomAt = 0
  }
  const r = randomBytes
  const at = randomAt
  randomAt += 10
  const now = Date.now()
  if (now > lastMs) {
    lastMs = now
    counter = ((r[at]! & 0x01) << 8) | r[at + 1]!
    prefix = ''
  } else if (++counter > 0xfff) {
    // More than 4096 ids in a millisecond (or the clock went back): borrow the next millisecond.
    lastMs++
    counter = 0
    prefix = ''
  }
  if (prefix === '') {
    const high = Math.floor(lastMs / 0x100000000)
    const low = lastMs >>> 0
    prefix =
      HEX[(high >>> 8) & 0xff]! +
      HEX[high & 0xff]! +
      HEX[low >>> 24]! +
      HEX[(low >>> 16) & 0xff]! +
      '-' +
      HEX[(low >>> 8) & 0xff]! +
      HEX[low & 0xff]! +
      '-'
  }
  return (
    prefix +
    HEX[0x70 | (counter >>> 8)]! +
    HEX[counter & 0xff]! +
    '-' +
    HEX[0x80 | (r[at + 2]! & 0x3f)]! +
    HEX[r[at + 3]!]! +
    '-' +
    HEX[r[at + 4]!]! +
    HEX[r[at + 5]!]! +
    HEX[r[at + 6]!]! +
    HEX[r[at + 7]!]! +
    HEX[r[at + 8]!]! +
    HEX[r[at + 9]!]!
  )
}

const assertStreamAndEvents = (streamId: string, events: readonly EventData[]): void => {
  if (typeof streamId !== 'string' || streamId.length === 0) {
    throw new ValidationError('Stream id must be a non-empty string')
  }
  assertName(streamId, 'streamId')
  if (!Array.isArray(events)) throw new ValidationError(`Events for '${streamId}' must be an array`)
  assertEventCount(streamId, events.length)
}

// Stands in, in an append's size, for the metadata fields prepareEvents adds (event id, time, version).
const COMPLETED_METADATA = '{"eventId":"00000000-0000-0000-0000-000000000000","occurredAt":"0000-00-00T00:00:00.000Z","schemaVersion":1}'

/** Checks the JSON text of one payload for what a store cannot keep, and counts it toward the append's size. */
const checkText = (size: AppendSize, json: string, value: unknown, path: string, eventType: string): void => {
  assertStorableText(json, value, path, eventType)
  size.add(json)
}

/** Checks one event and completes its metadata. */
const checkedMetadata = (streamId: string, e: EventData, i: number, now: string): EventMetadata => {
  if (e === null || typeof e !== 'object' || typeof e.type !== 'string' || e.type.length === 0) {
    throw new ValidationError(`Event #${i} for '${streamId}' needs a non-empty string 'type'`, [
      { path: `[${i}].type`, message: 'required' },
    ])
  }
  assertName(e.type, `[${i}].type`)
  assertJsonSafe(e.data, 'data', e.type)
  assertJsonSafe(e.metadata, 'metadata', e.type)
  const m = e.metadata ?? {}
  if (m.eventId !== undefined) assertName(m.eventId, 'metadata.eventId')
  const schemaVersion = m.schemaVersion ?? 1
  if (!Number.isSafeInteger(schemaVersion) || schemaVersion < 1) {
    throw new ValidationError(`Event '${e.type}' has an invalid schemaVersion`, [
      { path: 'metadata.schemaVersion', message: 'must be a positive integer' },
    ])
  }
  return {
    ...m,
    eventId: m.eventId ?? newEventId(),
    occurredAt: m.occurredAt ?? now,
    schemaVersion,
  }
}

/**
 * Completes metadata (event id, occurredAt, schemaVersion) and checks that the
 * event can be stored. Every store calls this (or {@link serializeEvents})
 * before writing, so a bad event is refused before anything of the batch is
 * written. Missing event ids are generated time-ordered ({@link newEventId}).
 * @throws {@link ValidationError} for a missing type or a non-object event.
 * @throws {@link SerializationError} for a payload JSON cannot represent.
 */
export const prepareEvents = (streamId: string, events: readonly EventData[]): PreparedEvent[] => {
  assertStreamAndEvents(streamId, events)
  const now = new Date().toISOString()
  const size = new AppendSize(streamId)
  const out = events.map((e, i) => {
    const metadata = checkedMetadata(streamId, e, i, now)
    const json = JSON.stringify(e.data ?? null)
    checkText(size, json, e.data, 'data', e.type)
    // The fields completed here are checked already: only what the caller gave is serialized to be checked.
    if (e.metadata !== undefined) checkText(size, JSON.stringify(e.metadata), e.metadata, 'metadata', e.type)
    size.add(COMPLETED_METADATA)
    // Deep copy through JSON so later mutation by the caller cannot change what was stored.
    const prepared: PreparedEvent = { type: e.type, data: JSON.parse(json), metadata }
    preparedData.set(prepared, json)
    return prepared
  })
  size.check(() => out.reduce((n, e) => n + Buffer.byteLength(preparedData.get(e)!) + Buffer.byteLength(JSON.stringify(e.metadata)), 0))
  return out
}

/**
 * What {@link prepareEvents} does, for stores that write JSON text: the
 * events checked, their metadata completed, and both payloads serialized
 * once. Events that `prepareEvents` returned are not checked again: their
 * data's text is the one made when they were prepared.
 * @throws {@link ValidationError} for a missing type or a non-object event.
 * @throws {@link SerializationError} for a payload JSON cannot represent.
 */
export const serializeEvents = (streamId: string, events: readonly EventData[]): SerializedEvent[] => {
  assertStreamAndEvents(streamId, events)
  let now: string | undefined
  const size = new AppendSize(streamId)
  const out: SerializedEvent[] = new Array(events.length)
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!
    const json = typeof e === 'object' && e !== null ? preparedData.get(e) : undefined
    if (json !== undefined) {
      const metadata = (e as PreparedEvent).metadata
      assertJsonSafe(metadata, 'metadata', e.type)
      const version = metadata.schemaVersion
      const metadataJson = JSON.stringify(metadata)
      size.add(json)
      checkText(size, metadataJson, metadata, 'metadata', e.type)
      out[i] = {
        type: e.type,
        eventId: metadata.eventId,
        data: json,
        metadata: metadataJson,
        schemaVersion: Number.isSafeInteger(version) && version >= 1 ? version : null,
        metadataLayout: metadataLayoutOf(metadataJson) ?? null,
      }
    } else if (e !== null && typeof e === 'object' && e.metadata === undefined && typeof e.type === 'string' && e.type.length > 0) {
      // No metadata given: what it completes to is known, and its text is
      // built directly (an id of hex digits and an ISO instant need no escaping).
      now ??= new Date().toISOString()
      assertName(e.type, `[${i}].type`)
      assertJsonSafe(e.data, 'data', e.type)
      const eventId = newEventId()
      const data = JSON.stringify(e.data ?? null)
      const metadata = `{"eventId":"${eventId}","occurredAt":"${now}","schemaVersion":1}`
      checkText(size, data, e.data, 'data', e.type)
      size.add(metadata)
      out[i] = { type: e.type, eventId, data, metadata, schemaVersion: 1, metadataLayout: 1 }
    } else {
      now ??= new Date().toISOString()
      const metadata = checkedMetadata(streamId, e, i, now)
      const data = JSON.stringify(e.data ?? null)
      const metadataJson = JSON.stringify(metadata)
      checkText(size, data, e.data, 'data', e.type)
      checkText(size, metadataJson, metadata, 'metadata', e.type)
      out[i] = {
        type: e.type,
        eventId: metadata.eventId,
        data,
        metadata: metadataJson,
        schemaVersion: metadata.schemaVersion,
        metadataLayout: metadataLayoutOf(metadataJson) ?? null,
      }
    }
  }
  size.check(() => out.reduce((n, e) => n + Buffer.byteLength(e.data) + Buffer.byteLength(e.metadata), 0))
  return out
}
