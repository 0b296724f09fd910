import type { EventStore } from '@eventfold/core'
import type { Clock } from '../clock/clock'
import type { DeadlineStore } from '../deadlines/deadline-store'
import { DeadlineWorker, type DeadlineDelivery } from '../deadlines/deadline-worker'

// No jest here: this module runs in plain node worker processes.

/** The deadline name the process suite schedules. */
export const SUITE_DEADLINE = 'suite-timeout'

/** The stream a delivered deadline's effect is appended to. */
export const effectStreamOf = (scope: string): string => `DeadlineEffect-${scope}`

/**
 * The effect of a delivery, deduped by its id: one event whose event id is
 * the deadline's id, appended with expected revision `any`. A redelivery
 * appends the same event id again, which every event store takes as the
 * retry of an append that already succeeded, and stores nothing.
 */
export const appendDeadlineEffect = async (eventStore: EventStore, delivery: DeadlineDelivery): Promise<void> => {
  await eventStore.appendToStream(
    effectStreamOf(delivery.scope),
    [{ type: 'DeadlineEffect', data: { scope: delivery.scope, name: delivery.name }, metadata: { eventId: delivery.id } }],
    { expectedRevision: 'any' },
  )
}

/** What the process suite passes to every worker process. */
export interface DeadlineWorkerProcessOptions {
  readonly owner: string
  readonly leaseMs: number
  readonly batchSize: number
  readonly pollIntervalMs: number
  /** Added to the wall clock: a process "restarted past the due time" without anyone sleeping. */
  readonly clockOffsetMs: number
  /** Where the first delivery stops and says so (for the test to SIGKILL it there): before its effect, or after it and before the deadline is marked fired. */
  readonly hold?: 'before-effect' | 'after-effect'
}

/**
 * Counts the effects of the deadlines of `scope` that {@link appendDeadlineEffect} appended.
 */
export const countDeadlineEffects = async (eventStore: EventStore, scope: string): Promise<number> => {
  let n = 0
  for await (const _ of eventStore.readStream(effectStreamOf(scope))) n++
  return n
}

/** The stores a worker process opened on the stores of the test. */
export interface DeadlineWorkerProcessStores {
  readonly deadlines: DeadlineStore
  /**
   * The handler's effect, deduped by the delivery's id as a receiver must
   * (e.g. {@link appendDeadlineEffect}): the suite counts effects, so a
   * redelivery that is not deduped shows as a second one.
   */
  effect(delivery: DeadlineDelivery): Promise<void>
  close(): Promise<void>
}

/** One line a worker process prints, as JSON. */
export type DeadlineWorkerProcessLine =
  | { readonly t: 'ready'; readonly owner: string }
  | { readonly t: 'holding'; readonly at: 'before-effect' | 'after-effect'; readonly id: string; readonly owner: string }
  | { readonly t: 'effect'; readonly id: string; readonly scope: string; readonly owner: string }
  | { readonly t: 'fired'; readonly id: string; readonly scope: string; readonly owner: string }
  | { readonly t: 'stopped'; readonly owner: string }

const print = (line: DeadlineWorkerProcessLine): void => {
  // Writes to a pipe are synchronous on Linux: a printed line is out before the next statement.
  process.stdout.write(JSON.stringify(line) + '\n')
}

const fail = (error: unknown): never => {
  process.stderr.write(`${error instanceof Error && error.stack ? error.stack : String(error)}\n`)
  process.exit(1)
}

/** The wall clock moved by `offsetMs`. */
const offsetClock = (offsetMs: number): Clock => ({
  now: () => Date.now() + offsetMs,
  waitUntil: async (at, interrupt) => {
    let timer: NodeJS.Timeout | undefined
    const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, Math.min(at - offsetMs - Date.now(), 2 ** 31 - 1)))))
    try {
      await Promise.race([elapsed, interrupt])
    } finally {
      clearTimeout(timer)
    }
  },
})

/**
 * The main of a worker process of `deadlineWorkerSuite`: opens the stores
 * with `open`, runs a {@link DeadlineWorker} whose handler runs the stores'
 * `effect`, and prints a {@link DeadlineWorkerProcessLine}
 * for everything it does. SIGTERM stops the worker and exits 0. Started as
 * `node <worker script> <json options> ...workerArgs`.
 */
export const runDeadlineWorkerProcess = (open: (args: readonly string[]) => DeadlineWorkerProcessStores | Promise<DeadlineWorkerProcessStores>): void => {
  const [json, ...args] = process.argv.slice(2)
  const options = JSON.parse(json!) as DeadlineWorkerProcessOptions
  const { owner } = options
  void (async () => {
    const stores = await open(args)
    let hold = options.hold
    const holdHere = async (at: 'before-effect' | 'after-effect', id: string): Promise<void> => {
      if (hold !== at) return
      hold = undefined
      print({ t: 'holding', at, id, owner })
      // Held until the test kills the process.
      await new Promise<never>(() => {})
    }
    const worker = new DeadlineWorker(stores.deadlines, {
      owner,
      clock: offsetClock(options.clockOffsetMs),
      leaseMs: options.leaseMs,
      batchSize: options.batchSize,
      pollIntervalMs: options.pollIntervalMs,
      handlers: {
        [SUITE_DEADLINE]: async (delivery) => {
          await holdHere('before-effect', delivery.id)
          await stores.effect(delivery)
          print({ t: 'effect', id: delivery.id, scope: delivery.scope, owner })
          await holdHere('after-effect', delivery.id)
        },
      },
      onSettled: (delivery, state) => state === 'fired' && print({ t: 'fired', id: delivery.id, scope: delivery.scope, owner }),
    })
    const running = worker.start()
    running.catch(fail)
    process.once('SIGTERM', () => {
      void worker
        .stop()
        .then(() => stores.close())
        .then(() => {
          print({ t: 'stopped', owner })
          process.exit(0)
        }, fail)
    })
    print({ t: 'ready', owner })
  })().catch(fail)
}
