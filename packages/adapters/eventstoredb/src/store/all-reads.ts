import { BACKWARDS, END, FORWARDS, START, type AllStreamRecordedEvent, type EventStoreDBClient, type Filter, type Position } from '@eventstore/db-client'
import { comparePositions } from '../mapping/position'
import { isSystemEvent } from '../mapping/events'

const ignore = (): void => undefined

/** Options of {@link readAllRaw}. */
export interface RawReadOptions {
  readonly direction: 'forwards' | 'backwards'
  readonly fromPosition: Position | 'start' | 'end'
  /** @default unlimited */
  readonly maxCount?: number
  /** A server-side filter: only the KurrentDB client's `readAll` takes one. @default none */
  readonly filter?: Filter
}

/**
 * `$all` as the server returns it, system events included. One server call,
 * read as a stream with backpressure; the call is cancelled as soon as the
 * consumer stops, so breaking out early costs nothing.
 */
export async function* readAllRaw(client: EventStoreDBClient, options: RawReadOptions): AsyncGenerator<AllStreamRecordedEvent> {
  const { direction, fromPosition, maxCount = Number.MAX_SAFE_INTEGER, filter } = options
  const read = client.readAll({
    direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
    fromPosition: fromPosition === 'start' ? START : fromPosition === 'end' ? END : fromPosition,
    maxCount,
    ...(filter ? { filter } : {}),
  } as Parameters<EventStoreDBClient['readAll']>[0])
  try {
    for await (const resolved of read) if (resolved.event) yield resolved.event
  } finally {
    await read.cancel().catch(ignore)
  }
}

/**
 * The events committed at `commit` whose position is at or before `upTo`, in
 * log order: the one self-committed event at that position, or those of an
 * explicit transaction whose commit record is there. A forward read from
 * `(commit, 0)` starts exactly at that record.
 */
export const eventsAtCommit = async (client: EventStoreDBClient, upTo: Position): Promise<AllStreamRecordedEvent[]> => {
  const out: AllStreamRecordedEvent[] = []
  for await (const e of readAllRaw(client, { direction: 'forwards', fromPosition: { commit: upTo.commit, prepare: 0n } })) {
    if (e.position.commit !== upTo.commit || comparePositions(e.position, upTo) > 0) break
    out.push(e)
  }
  return out
}

/**
 * `$all` backwards from `from`, inclusive. The server's backward reads take
 * post-positions (the end of a record) and so leave out the event that starts
 * at `from`: the events committed at `from.commit` up to `from` are read
 * forwards first, then everything committed before, backwards from
 * `(commit, commit)`, which includes exactly the records that end at or
 * before it.
 */
export async function* readAllBackwardsFrom(client: EventStoreDBClient, from: Position): AsyncGenerator<AllStreamRecordedEvent> {
  const atCommit = await eventsAtCommit(client, from)
  for (let i = atCommit.length - 1; i >= 0; i--) yield atCommit[i]!
  yield* readAllRaw(client, { direction: 'backwards', fromPosition: { commit: from.commit, prepare: from.commit } })
}

/**
 * The position of the last event at or before `at` (strictly before with
 * `inclusive: false`), system events included, or `undefined` when there is
 * none. A catch-up subscription from a position starts after the first event
 * it finds there, so it must be given the position of an event: a checkpoint
 * that is not one (e.g. `(P, 0)` from a filtered read) is moved back to the
 * event before it.
 */
export const lastEventAtOrBefore = async (
  client: EventStoreDBClient,
  at: Position,
  { inclusive = true }: { inclusive?: boolean } = {},
): Promise<Position | undefined> => {
  const atCommit = (await eventsAtCommit(client, at)).filter((e) => inclusive || comparePositions(e.position, at) < 0)
  if (atCommit.length > 0) return atCommit[atCommit.length - 1]!.position
  for await (const e of readAllRaw(client, { direction: 'backwards', fromPosition: { commit: at.commit, prepare: at.commit }, maxCount: 1 })) {
    return e.position
  }
  return undefined
}

/** The position of the last event of `$all`, system events included. */
export const rawHead = async (client: EventStoreDBClient): Promise<Position | undefined> => {
  for await (const e of readAllRaw(client, { direction: 'backwards', fromPosition: 'end', maxCount: 1 })) return e.position
  return undefined
}

/**
 * The first (`'forwards'` from the start) or last (`'backwards'` from the end)
 * event that is not a system event, and not one `hides` leaves out.
 */
export const outermostEvent = async (
  client: EventStoreDBClient,
  direction: 'forwards' | 'backwards',
  hides?: (e: AllStreamRecordedEvent) => Promise<boolean>,
): Promise<AllStreamRecordedEvent | undefined> => {
  for await (const e of readAllRaw(client, { direction, fromPosition: direction === 'forwards' ? 'start' : 'end' })) {
    if (!isSystemEvent(e) && !(hides && (await hides(e)))) return e
  }
  return undefined
}
