// A small application for the CLI's integration tests: two aggregates, three
// projections (a decorated class and a plain definition). Compiled with the
// package so that the built CLI can load it from a config file; it is left
// out of the published files.
import { writeSync } from 'node:fs'
import { Aggregate, AggregateRoot, defineAggregate, Event, EventSourcingHandler, type RecordedEvent } from '@eventfold/core'
import { defineProjection, On, Projection, type Documents } from '@eventfold/projections'

@Event('TallyOpened')
export class TallyOpened {
  constructor(
    readonly tallyId: string,
    readonly label: string,
  ) {}
}

@Event('TallyIncremented')
export class TallyIncremented {
  constructor(
    readonly tallyId: string,
    readonly by: number,
  ) {}
}

/** A counter: its state is what `eventfold replay` shows. */
@Aggregate('Tally')
export class Tally extends AggregateRoot {
  label = ''
  total = 0
  increments = 0

  @EventSourcingHandler(TallyOpened)
  opened(e: TallyOpened): void {
    this.label = e.label
  }

  @EventSourcingHandler(TallyIncremented)
  incremented(e: TallyIncremented): void {
    this.total += e.by
    this.increments++
  }
}

/**
 * Events named in `EVENTFOLD_FIXTURE_POISON` (comma-separated `stream@revision`)
 * make the handler throw: the poison-event test breaks and then fixes the
 * handler through the environment of the process that runs it.
 */
const assertNotPoisoned = (e: RecordedEvent): void => {
  const poisoned = (process.env.EVENTFOLD_FIXTURE_POISON ?? '').split(',').filter(Boolean)
  if (poisoned.includes(`${e.streamId}@${e.revision}`)) throw new Error(`poisoned event ${e.streamId}@${e.revision}`)
}

/**
 * `EVENTFOLD_FIXTURE_HOLD_AT=<position>` makes the first handler call at or
 * past that log position print `{"held":"<position>"}` on stderr and block
 * the process for good, inside an open batch: a crash test then kills a run
 * that provably has not finished, instead of racing it with a timer.
 */
const holdIfAsked = (e: RecordedEvent): void => {
  const holdAt = process.env.EVENTFOLD_FIXTURE_HOLD_AT
  if (holdAt === undefined || e.position < BigInt(holdAt)) return
  writeSync(2, `${JSON.stringify({ held: String(e.position) })}\n`)
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
}

/**
 * One document per stream that counts the events applied to it: after any
 * number of crashes and resumptions, `applied` must equal the stream's event
 * count, or an event was lost or applied twice.
 */
@Projection('tallies', { collection: 'tallies' })
export class Tallies {
  constructor(private readonly options: { labelPrefix?: string } = {}) {}

  @On(TallyOpened)
  opened(e: RecordedEvent<TallyOpened>, view: Documents): void {
    assertNotPoisoned(e)
    view.upsert(e.streamId, {
      $inc: { applied: 1 },
      $set: { label: `${this.options.labelPrefix ?? ''}${e.data.label}` },
      $max: { lastRevision: Number(e.revision) },
    })
  }

  @On(TallyIncremented)
  incremented(e: RecordedEvent<TallyIncremented>, view: Documents): void {
    assertNotPoisoned(e)
    view.upsert(e.streamId, { $inc: { applied: 1, total: e.data.by }, $max: { lastRevision: Number(e.revision) } })
  }
}

/** Events per type, written without classes. */
export const eventCounts = defineProjection({
  name: 'event-counts',
  collections: ['event_counts'],
  handlers: {
    TallyOpened: (e, view) => view.upsert(e.type, { $inc: { count: 1 } }),
    TallyIncremented: (e, view) => view.upsert(e.type, { $inc: { count: 1 } }),
  },
})

/**
 * The crash test's projection: per stream, the events applied, their sum and
 * the last revision. It reads and replaces its document instead of using
 * `$inc`, because each update operator costs a MongoDB-semantics evaluation
 * that would make the test's 200k-event rebuilds several times slower; the
 * exactly-once bookkeeping is the same for both.
 */
export const streamCounts = defineProjection({
  name: 'stream-counts',
  collections: ['stream_counts'],
  handlers: {
    TallyOpened: async (e, view) => {
      holdIfAsked(e)
      const doc = await view.get(e.streamId)
      view.replace(e.streamId, { applied: ((doc?.applied as number) ?? 0) + 1, total: (doc?.total as number) ?? 0, lastRevision: Number(e.revision) })
    },
    TallyIncremented: async (e: RecordedEvent<TallyIncremented>, view: Documents) => {
      holdIfAsked(e)
      const doc = await view.get(e.streamId)
      view.replace(e.streamId, {
        applied: ((doc?.applied as number) ?? 0) + 1,
        total: ((doc?.total as number) ?? 0) + e.data.by,
        lastRevision: Number(e.revision),
      })
    },
  },
})

export const projections = [Tallies, eventCounts, streamCounts]
/** A plain decider whose streams have a prefix of their own: `notes.book:<id>`. */
export const Notebook = defineAggregate<{ notes: string[] }, object, { type: string; data: { text: string } }>({
  category: 'Notebook',
  streamPrefix: 'notes.book:',
  commands: {},
  initialState: () => ({ notes: [] }),
  decide: () => [],
  evolve: (s, e) => ({ notes: [...s.notes, e.data.text] }),
})

export const aggregates = [Tally, Notebook]
