import type { ResolvedEvent } from '@eventstore/db-client'
import type { DeadLetter } from '@eventfold/projections'
import { fromEventStoreDBEvent } from '../mapping/events'
import { encodePosition, isLogPosition } from '../mapping/position'

/** The stream where the server parks the messages of a persistent subscription group on `$all`. */
export const parkedStreamOf = (group: string): string => `$persistentsubscription-$all::${group}-parked`

/** Marks a park reason written by eventfold, so it can be told from the server's own. */
const REASON_TAG = 'eventfold/park'
/** Longest stack kept in a park reason: the server stores the reason in the parked message's metadata. */
const MAX_STACK = 4000

/** The error and attempt count of a parked message, as a dead letter shows them. */
export interface ParkReason {
  readonly error: DeadLetter['error']
  /** Attempts made before parking; 0 when unknown (parked by the server after its own retries). */
  readonly attempts: number
}

/** The `reason` of the nack that parks a message: JSON that {@link decodeParkReason} reads back. */
export const encodeParkReason = (error: unknown, attempts: number): string => {
  const e = error instanceof Error ? error : new Error(String(error))
  return JSON.stringify({
    tag: REASON_TAG,
    name: e.name,
    message: e.message,
    ...(e.stack ? { stack: e.stack.slice(0, MAX_STACK) } : {}),
    attempts,
  })
}

/** The server's text before the reason of a client's `park` nack, in the parked message's metadata. */
export const SERVER_NACK_PREFIX = "Client explicitly NAK'ed message.\n"

/** The eventfold reason in `text`, which the server stores after its own prefix: the JSON from the first `{` that parses as one. */
const ownReason = (text: string): Record<string, unknown> | undefined => {
  for (let at = text.indexOf('{'); at >= 0; at = text.indexOf('{', at + 1)) {
    try {
      const parsed = JSON.parse(text.slice(at)) as unknown
      if (parsed !== null && typeof parsed === 'object' && (parsed as Record<string, unknown>).tag === REASON_TAG) return parsed as Record<string, unknown>
    } catch {
      // Not the start of our JSON: try the next brace.
    }
  }
  return undefined
}

/**
 * The error and attempts in a parked message's reason. The server stores a
 * client's reason after a prefix of its own ({@link SERVER_NACK_PREFIX}),
 * so the JSON is looked for inside the text. A reason eventfold did not
 * write (the server parks a message itself once it has retried it
 * `maxRetryCount` times, e.g. after timeouts) becomes an error named
 * `ParkedByServer` with the server's text.
 */
export const decodeParkReason = (reason: string | undefined): ParkReason => {
  const parsed = reason === undefined ? undefined : ownReason(reason)
  if (parsed && typeof parsed.name === 'string' && typeof parsed.message === 'string') {
    return {
      error: { name: parsed.name, message: parsed.message, ...(typeof parsed.stack === 'string' ? { stack: parsed.stack } : {}) },
      attempts: Number.isSafeInteger(parsed.attempts) ? (parsed.attempts as number) : 0,
    }
  }
  return { error: { name: 'ParkedByServer', message: reason ?? 'parked by the server' }, attempts: 0 }
}

/** Where a dead letter came from, in the framework's terms. */
export interface DeadLetterSource {
  /** The projection the group serves. */
  readonly projection: string
  /** The group: it names the dead letter's partition, `persistent:<group>`. */
  readonly group: string
  readonly generation: number
}

/** Reads a property of the parked message's metadata, written by the server in either casing. */
const field = (metadata: unknown, name: string): unknown => {
  if (metadata === null || typeof metadata !== 'object' || metadata instanceof Uint8Array) return undefined
  const m = metadata as Record<string, unknown>
  return m[name] ?? m[name.charAt(0).toUpperCase() + name.slice(1)]
}

/**
 * The framework's {@link DeadLetter} for one entry of the parked stream, read
 * with links resolved: the link (in the parked stream) carries the reason and
 * when it was parked; the resolved event is the one that failed. An event that
 * can no longer be read (deleted, scavenged) still yields a dead letter,
 * named after the link's target, with `data: null`. Its position is `-1`
 * when the server did not report one.
 */
export const toDeadLetter = (parked: ResolvedEvent, source: DeadLetterSource): DeadLetter | undefined => {
  const link = parked.link ?? parked.event
  if (!link) return undefined
  const reason = field(link.metadata, 'reason')
  const { error, attempts } = decodeParkReason(typeof reason === 'string' ? reason : undefined)
  const added = field(link.metadata, 'added')
  const addedAt = typeof added === 'string' ? new Date(added) : link.created
  const parkedAt = Number.isNaN(addedAt.getTime()) ? link.created.toISOString() : addedAt.toISOString()
  const target = parked.link ? parked.event : undefined
  let event: DeadLetter['event']
  if (target) {
    const position = isLogPosition(target.position) ? encodePosition(target.position).toString() : '-1'
    let data: unknown = null
    let metadata: Readonly<Record<string, unknown>> = {}
    try {
      ;({ data, metadata } = fromEventStoreDBEvent(target, 0n))
    } catch {
      // A payload that is not JSON: the dead letter still names the event.
    }
    event = { type: target.type, streamId: target.streamId, revision: target.revision.toString(), position, data, metadata }
  } else {
    // An unresolved link: its data is `<revision>@<stream>`.
    const text = link.data instanceof Uint8Array ? Buffer.from(link.data).toString('utf8') : String(link.data)
    const at = text.indexOf('@')
    event = {
      type: '$>',
      streamId: at < 0 ? text : text.slice(at + 1),
      revision: at < 0 ? '-1' : text.slice(0, at),
      position: '-1',
      data: null,
      metadata: {},
    }
  }
  return {
    id: `${source.group}@${link.revision}`,
    projection: source.projection,
    partition: `persistent:${source.group}`,
    generation: source.generation,
    event,
    error,
    attempts,
    parkedAt,
  }
}
