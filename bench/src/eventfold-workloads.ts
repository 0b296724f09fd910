import { createEventfold, type EventData, type EventStore } from '@eventfold/core'
import { commandFor, entryData, eventTypeOf, Ledger, ledgerDecider, ledgerId, streamIdOf, type LedgerState } from './domain'
import { BenchCheckError, eventsOf, type AggregateStyle, type Prepared, type Progress, type Size } from './workload'

/** An event store opened for one workload, and how to close what opening it opened. */
export interface OpenedStore {
  readonly eventStore: EventStore
  close(): Promise<void>
}

/** Opens the store of one workload (untimed). */
export type OpenStore = () => OpenedStore | Promise<OpenedStore>

/** Opens the store and runs `setup` on it (both untimed); the returned function is the timed part. */
const prepare = async (open: OpenStore, setup: (eventStore: EventStore) => (progress: Progress) => Promise<number>): Promise<Prepared> => {
  const opened = await open()
  return { close: () => opened.close(), run: setup(opened.eventStore) }
}

/**
 * W1-W4 as an application writes them with eventfold, on whichever
 * `EventStore` `open` gives: the SQLite and the PostgreSQL sides differ only
 * in how they open their store.
 */
export const eventfoldWorkloads = {
  /** W1: one command per event, round robin over the streams as many independent clients would; each awaited. */
  commands: (open: OpenStore, size: Size): Promise<Prepared> =>
    prepare(open, (eventStore) => {
      const app = createEventfold({ eventStore, aggregates: [Ledger] })
      return async (progress) => {
        let done = 0
        for (let seq = 0; seq < size.eventsPerStream; seq++) {
          for (let s = 0; s < size.streams; s++) {
            const result = await app.commandBus.execute(commandFor(ledgerId(s), seq))
            if (result.nextRevision !== BigInt(seq)) {
              throw new BenchCheckError('eventfold', 'W1', `${result.streamId} at ${result.nextRevision} after ${seq}`)
            }
            progress(++done)
          }
        }
        return done
      }
    }),

  /** W2: each stream's events in one append. */
  batches: (open: OpenStore, size: Size): Promise<Prepared> =>
    prepare(open, (eventStore) => async (progress) => {
      let done = 0
      for (let s = 0; s < size.streams; s++) {
        const id = ledgerId(s)
        const events: EventData[] = []
        for (let seq = 0; seq < size.eventsPerStream; seq++) events.push({ type: eventTypeOf(seq), data: entryData(id, seq) })
        await eventStore.appendToStream(streamIdOf(id), events, { expectedRevision: 'no_stream' })
        progress((done += events.length))
      }
      return done
    }),

  /** W3: loads every aggregate through the repository; W3D the same aggregate written as a plain decider. */
  rehydrate: (open: OpenStore, size: Size, style: AggregateStyle): Promise<Prepared> =>
    prepare(open, (eventStore) => {
      const aggregate = style === 'class' ? Ledger : ledgerDecider
      const app = createEventfold({ eventStore, aggregates: [aggregate] })
      return async (progress) => {
        let done = 0
        for (let s = 0; s < size.streams; s++) {
          const loaded = await app.repository.load<LedgerState>(aggregate, ledgerId(s))
          if (loaded.state.entries !== size.eventsPerStream) {
            throw new BenchCheckError('eventfold', style === 'class' ? 'W3' : 'W3D', `${ledgerId(s)} has ${loaded.state.entries} entries`)
          }
          progress((done += loaded.eventsRead))
        }
        return done
      }
    }),

  /** W4: reads the whole log, checking that positions only grow. */
  readAll: (open: OpenStore, size: Size): Promise<Prepared> =>
    prepare(open, (eventStore) => async (progress) => {
      let done = 0
      let last = -1n
      for await (const event of eventStore.readAll()) {
        if (event.position <= last) throw new BenchCheckError('eventfold', 'W4', `position ${event.position} after ${last}`)
        last = event.position
        progress(++done)
      }
      if (done !== eventsOf(size)) throw new BenchCheckError('eventfold', 'W4', `read ${done} events`)
      return done
    }),
}
