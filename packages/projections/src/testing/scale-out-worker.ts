import type { EventStore, RecordedEvent } from '@eventfold/core'
import type { DocumentStore } from '../documents/document-store'
import { DocumentConflictError } from '../errors/errors'
import { defineProjection } from '../projection/projection-definition'
import { ProjectionHost } from '../worker/projection-host'

// No jest here: this module runs in plain node worker processes.

/**
 * The projection of {@link scaleOutSuite}. Per stream: how many events were
 * applied, their sum and revisions in order (any event applied twice or out
 * of order shows). Shared by every partition: the totals and four buckets,
 * so that commits of different partitions race on them.
 */
export const scaleOutProjection = defineProjection({
  name: 'scale-out',
  collections: ['streams', 'totals'],
  handlers: {
    Counted: (event: RecordedEvent<{ seq: number; n: number }>, view) => {
      const { seq, n } = event.data
      view.upsert(event.streamId, { $inc: { applied: 1, sum: n }, $push: { revisions: Number(event.revision) } })
      const totals = view.collection('totals')
      totals.upsert('all', { $inc: { applied: 1, sum: n }, $max: { maxSeq: seq } })
      totals.upsert(`bucket-${seq % 4}`, { $inc: { applied: 1, sum: n } })
    },
  },
})

/** What {@link scaleOutSuite} passes to every worker process. */
export interface ScaleOutWorkerOptions {
  readonly partitions: number
  readonly leaseTtlMs: number
  readonly tickMs: number
  readonly batchSize: number
  /** For the worker's event store, when it polls for new events. */
  readonly pollIntervalMs: number
}

/** The stores a worker process opened on the stores of the test. */
export interface ScaleOutWorkerStores {
  readonly eventStore: EventStore
  readonly documents: DocumentStore
  /** Closes them, once the host has stopped. */
  close(): Promise<void>
}

/**
 * Opens a worker's stores. `args` are the test's `workerArgs` (where the
 * stores are: a file, a URL and schema); `options` come from the suite.
 */
export type OpenScaleOutWorkerStores = (args: readonly string[], options: ScaleOutWorkerOptions) => ScaleOutWorkerStores | Promise<ScaleOutWorkerStores>

/** One line a worker prints, as JSON, to tell the test what it does. */
export type ScaleOutWorkerLine =
  | { readonly t: 'ready'; readonly owner: string }
  | { readonly t: 'lease'; readonly kind: 'acquired' | 'lost' | 'released'; readonly partition: string; readonly owner: string }
  /** One per committed batch; `read`: the events in it. */
  | { readonly t: 'progress'; readonly partition: string; readonly checkpoint: string; readonly read: number }
  /** A commit lost a compare-and-set (the worker then recomputes the batch). */
  | { readonly t: 'conflict'; readonly collection: string; readonly id: string }
  /** After SIGTERM, before exiting 0. */
  | { readonly t: 'stopped'; readonly owner: string }

const print = (line: ScaleOutWorkerLine): void => {
  // Writes to a pipe are synchronous on Linux: a printed line is out before the next statement.
  process.stdout.write(JSON.stringify(line) + '\n')
}

const fail = (error: unknown): never => {
  process.stderr.write(`${error instanceof Error && error.stack ? error.stack : String(error)}\n`)
  process.exit(1)
}

/**
 * The main of a worker process of {@link scaleOutSuite}: opens the stores
 * with `open`, runs a {@link ProjectionHost} of {@link scaleOutProjection} on
 * them, exactly as an application would, and prints a
 * {@link ScaleOutWorkerLine} for everything it does. SIGTERM stops the host,
 * releasing its leases, and exits 0. The process is started as
 * `node <worker script> <label> <json options> ...workerArgs`.
 * @example
 * ```js
 * // scale-out-worker.cjs
 * const { runScaleOutWorker } = require('@eventfold/projections/testing/scale-out-worker')
 * runScaleOutWorker(([file], { pollIntervalMs }) => {
 *   const store = openMyStore(file)
 *   return { eventStore: store.events(pollIntervalMs), documents: store.documents(), close: () => store.close() }
 * })
 * ```
 */
export const runScaleOutWorker = (open: OpenScaleOutWorkerStores): void => {
  const [label, json, ...args] = process.argv.slice(2)
  if (label === undefined || json === undefined) fail(new Error('usage: node <worker script> <label> <json options> ...args'))
  const options = JSON.parse(json!) as ScaleOutWorkerOptions
  const owner = `${label}:${process.pid}`
  const started = (async () => {
    const stores = await open(args, options)
    const { documents } = stores
    const commit = documents.commit.bind(documents)
    documents.commit = async (request) => {
      try {
        return await commit(request)
      } catch (error) {
        if (error instanceof DocumentConflictError) print({ t: 'conflict', collection: error.collection, id: error.id })
        throw error
      }
    }
    // Events read per partition by the worker that runs it now (reset when a worker starts).
    const read = new Map<string, number>()
    const host = new ProjectionHost({
      eventStore: stores.eventStore,
      documents,
      projections: [scaleOutProjection],
      partitions: options.partitions,
      owner,
      leaseTtlMs: options.leaseTtlMs,
      tickMs: options.tickMs,
      batchSize: options.batchSize,
      onLease: ({ kind, partition }) => {
        if (kind === 'acquired') read.set(partition, 0)
        print({ t: 'lease', kind, partition, owner })
      },
      onProgress: (p) => {
        const before = read.get(p.partition) ?? 0
        read.set(p.partition, p.eventsRead)
        print({ t: 'progress', partition: p.partition, checkpoint: String(p.checkpoint), read: p.eventsRead - before })
      },
    })
    host.start()
    print({ t: 'ready', owner })
    return { host, stores }
  })()
  started.catch(fail)
  let stopping: Promise<void> | undefined
  process.on('SIGTERM', () => {
    stopping ??= started
      .then(async ({ host, stores }) => {
        await host.stop()
        print({ t: 'stopped', owner })
        await stores.close()
        process.exit(0)
      })
      .catch(fail)
  })
}
