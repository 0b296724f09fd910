import type { RebuildResult } from '@eventfold/projections'
import type { RebuildTick } from '../output/rebuild-progress'
import { ConsoleRequestError } from './errors'

/** A rebuild started from the console, as the projections page shows it. */
export interface LiveRebuild {
  readonly state: 'running' | 'done' | 'failed'
  readonly progress: RebuildTick | null
  readonly result: RebuildResult | null
  readonly error: string | null
}

/** Rebuilds the console started, by projection; they run in the server process. */
export class Rebuilds {
  private readonly live = new Map<string, LiveRebuild>()
  private readonly abort = new AbortController()
  private readonly running = new Set<Promise<unknown>>()

  get(name: string): LiveRebuild | null {
    return this.live.get(name) ?? null
  }

  /** Runs `work` in the background, recording its progress; refuses a second rebuild of one projection. */
  start(name: string, work: (onProgress: (tick: RebuildTick) => void, signal: AbortSignal) => Promise<RebuildResult>): void {
    if (this.live.get(name)?.state === 'running') throw new ConsoleRequestError(409, `a rebuild of '${name}' started from this console is still running`)
    this.live.set(name, { state: 'running', progress: null, result: null, error: null })
    const run = work((progress) => this.live.set(name, { state: 'running', progress, result: null, error: null }), this.abort.signal).then(
      (result) => void this.live.set(name, { ...this.live.get(name)!, state: 'done', result }),
      (error: unknown) => void this.live.set(name, { ...this.live.get(name)!, state: 'failed', error: (error as Error)?.message ?? String(error) }),
    )
    this.running.add(run)
    void run.finally(() => this.running.delete(run))
  }

  /** Stops the rebuilds after their batch in flight (each batch commits with its checkpoint, so they resume). */
  async stop(): Promise<void> {
    this.abort.abort()
    await Promise.all(this.running)
  }
}
