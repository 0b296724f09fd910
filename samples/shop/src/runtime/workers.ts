/** Something that runs until told to stop: a relay, a consumer, a projection or deadline worker. */
export interface Runnable {
  run(): Promise<unknown>
  stop(): void | Promise<void>
}

/** Workers started together and stopped together. */
export interface RunningWorkers {
  /** Settles when every worker has returned; rejects with the first failure. */
  readonly done: Promise<void>
  /** Stops every worker and waits for them to finish their batch in flight. */
  stop(): Promise<void>
}

/** Starts each worker; if one fails, the others are stopped and `done` rejects with its error. */
export const startWorkers = (workers: readonly Runnable[]): RunningWorkers => {
  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> =>
    (stopping ??= Promise.all(workers.map((w) => w.stop())).then(() => undefined))
  const runs = workers.map((w) =>
    w.run().catch(async (error: unknown) => {
      await stop()
      throw error
    }),
  )
  const done = Promise.all(runs).then(() => undefined)
  return {
    done,
    stop: async () => {
      await stop()
      await done
    },
  }
}
