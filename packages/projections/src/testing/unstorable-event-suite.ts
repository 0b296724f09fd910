import { randomBytes } from 'node:crypto'
import { describe, expect, it } from '@jest/globals'
import { InMemoryEventStore, type RecordedEvent } from '@eventfold/core'
import { DeadLetters } from '../dead-letters/dead-letters'
import type { DocumentStore } from '../documents/document-store'
import { defineProjection } from '../projection/projection-definition'
import { physicalCollection } from '../generations/projection-state'
import { ProjectionWorker, type WorkerProgress } from '../worker/projection-worker'

/** A document store whose server a test can make unreachable and reachable again. */
export interface OutageUnderTest {
  readonly documents: DocumentStore
  /** Makes the server unreachable: a stopped server, a closed proxy. */
  cut(): Promise<void>
  /** Makes it reachable again, with the data it had. */
  restore(): Promise<void>
  close(): Promise<void>
}

/** What {@link unstorableEventSuite} runs against. */
export interface UnstorableEventSuiteOptions {
  /** A document store on the real server (closed by the caller). */
  readonly documents: () => DocumentStore
  /**
   * Settings that a document of this store cannot hold, and that an event
   * may carry, e.g. `{ $theme: 'dark' }`. The Documents handle refuses them
   * before they reach the store, with the rule every store shares.
   */
  readonly unstorable: Readonly<Record<string, unknown>>
  /** A store whose server a test cuts off and restores. */
  readonly outage: () => Promise<OutageUnderTest>
  /** Per test. @default 30000 */
  readonly timeoutMs?: number
}

type PreferencesSet = { user: string; settings: Record<string, unknown> }

/** A read model that copies event data into its documents, as many do, and reads the store in its handler. */
const preferences = () =>
  defineProjection({
    name: `prefs-${randomBytes(4).toString('hex')}`,
    collections: ['preferences', 'users'],
    handlers: {
      PreferencesSet: async (e: RecordedEvent<PreferencesSet>, view) => {
        const users = await view.collection('users').get(e.data.user)
        view.replace(e.data.user, { settings: e.data.settings, ...(users ? { known: true } : {}) })
      },
    },
  })

const set = (user: string, settings: Readonly<Record<string, unknown>>) => ({ type: 'PreferencesSet', data: { user, settings } })

const FAST_RETRY = { initialDelayMs: 5, maxDelayMs: 50 }

/**
 * Resolves when `predicate` holds, checked each time `check()` is called (on
 * the worker's progress and errors); rejects with the run's error if the
 * worker ends first.
 */
const waiter = () => {
  const waiting = new Set<{ predicate: () => boolean; resolve: () => void; reject: (error: unknown) => void }>()
  let failure: { error: unknown } | undefined
  return {
    until(predicate: () => boolean): Promise<void> {
      if (failure) return Promise.reject(failure.error)
      if (predicate()) return Promise.resolve()
      return new Promise((resolve, reject) => waiting.add({ predicate, resolve, reject }))
    },
    check(): void {
      for (const w of waiting) {
        if (!w.predicate()) continue
        waiting.delete(w)
        w.resolve()
      }
    },
    fail(error: unknown): void {
      failure = { error }
      for (const w of waiting) w.reject(error)
      waiting.clear()
    },
  }
}

/**
 * A projection worker on a real document store, given an event whose writes
 * the store refuses for their content, and given an outage of the store: the
 * first is parked after its attempts and the worker moves on; the second is
 * retried, never parked, until the store is back.
 */
export const unstorableEventSuite = (name: string, options: UnstorableEventSuiteOptions): void => {
  const timeout = options.timeoutMs ?? 30_000

  describe(`a projection worker on ${name}, given events the store cannot take`, () => {
    it(
      'parks an event whose writes the store refuses for their content after its attempts, applies the events after it and moves its checkpoint',
      async () => {
        const eventStore = new InMemoryEventStore()
        await eventStore.appendToStream('Prefs-u1', [set('u1', { theme: 'dark' })])
        await eventStore.appendToStream('Prefs-u2', [set('u2', options.unstorable)])
        await eventStore.appendToStream('Prefs-u3', [set('u3', { theme: 'light' })])
        const documents = options.documents()
        const projection = preferences()
        const outages: unknown[] = []
        const worker: ProjectionWorker = new ProjectionWorker({
          eventStore,
          documents,
          projection,
          stopAtHead: true,
          maxAttempts: 3,
          retry: FAST_RETRY,
          // Taken for an outage, the refusal would be retried until stopped: stop at the first, and fail below.
          onError: (error) => {
            outages.push(error)
            void worker.stop()
          },
        })

        const progress = await worker.run()

        expect(outages).toEqual([])
        expect(progress).toMatchObject({ parked: 1, eventsApplied: 2, checkpoint: await eventStore.headPosition() })
        const collection = physicalCollection('preferences', 1)
        expect(await documents.get(collection, 'u1')).toEqual({ _id: 'u1', settings: { theme: 'dark' } })
        expect(await documents.get(collection, 'u2')).toBeUndefined()
        expect(await documents.get(collection, 'u3')).toEqual({ _id: 'u3', settings: { theme: 'light' } })
        const letters = await new DeadLetters(documents).list(projection.name)
        expect(letters).toHaveLength(1)
        expect(letters[0]).toMatchObject({
          attempts: 3,
          event: { streamId: 'Prefs-u2', data: { user: 'u2', settings: options.unstorable } },
          // Refused by the Documents handle, with the rule every store shares, before the store saw it.
          error: { name: 'InvalidDocumentOperationError' },
        })
      },
      timeout,
    )

    it(
      'retries a store outage, never parks it, and goes on where it was once the store is reachable again',
      async () => {
        const store = await options.outage()
        const eventStore = new InMemoryEventStore()
        const projection = preferences()
        const outages: unknown[] = []
        const events = waiter()
        let progress: WorkerProgress | undefined
        const worker = new ProjectionWorker({
          eventStore,
          documents: store.documents,
          projection,
          maxAttempts: 2,
          retry: FAST_RETRY,
          maxBatchWaitMs: 1,
          onError: (error) => {
            outages.push(error)
            events.check()
          },
          onProgress: (p) => {
            progress = p
            events.check()
          },
        })
        const committedUpTo = (position: bigint | undefined) => () => progress?.checkpoint === position
        try {
          const running = worker.run()
          running.catch((error) => events.fail(error))
          await eventStore.appendToStream('Prefs-u1', [set('u1', { theme: 'dark' })])
          await events.until(committedUpTo(await eventStore.headPosition()))

          await store.cut()
          await eventStore.appendToStream('Prefs-u2', [set('u2', { theme: 'light' })])
          // Several times the attempts after which an event is parked.
          await events.until(() => outages.length >= 6)
          expect(worker.status.parked).toBe(0)
          await store.restore()
          await events.until(committedUpTo(await eventStore.headPosition()))
          await worker.stop()
          await running

          expect(worker.status).toMatchObject({ parked: 0, eventsApplied: 2 })
          expect(await store.documents.get(physicalCollection('preferences', 1), 'u2')).toEqual({ _id: 'u2', settings: { theme: 'light' } })
          expect(await new DeadLetters(store.documents).list(projection.name)).toEqual([])
        } finally {
          await worker.stop()
          await store.close()
        }
      },
      timeout,
    )
  })
}
