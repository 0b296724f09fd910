import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { Deadlines } from '../deadlines/deadlines'
import type { DeadlineStore } from '../deadlines/deadline-store'
import { SUITE_DEADLINE, type DeadlineWorkerProcessLine, type DeadlineWorkerProcessOptions } from './deadline-worker-process'

/** The stores of one test, shared with its worker processes. */
export interface DeadlineSuiteStores {
  readonly deadlines: DeadlineStore
  /** How many effects the deadlines of `scope` had, as the worker processes' `effect` stored them (e.g. `countDeadlineEffects`). */
  effects(scope: string): Promise<number>
  /** Given to every worker process after its options: where the stores are (a file; a schema). */
  readonly workerArgs: readonly string[]
  dispose(): Promise<void>
}

/** Options of {@link deadlineWorkerSuite}. */
export interface DeadlineWorkerSuiteOptions {
  readonly name: string
  /** A script that calls `runDeadlineWorkerProcess` of `@eventfold/sagas/testing/deadline-worker-process` on the built packages. */
  readonly workerScript: string
  /** Builds what the worker script runs, before the suite. */
  readonly build: () => void
  /** Opens fresh stores for one test. */
  readonly open: () => Promise<DeadlineSuiteStores>
  /** @default jest's describe */
  readonly describe?: (name: string, body: () => void) => void
}

interface WorkerProcess {
  readonly lines: DeadlineWorkerProcessLine[]
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>
  /** Resolves with the first line (past or future) that matches. */
  until<L extends DeadlineWorkerProcessLine>(match: (line: DeadlineWorkerProcessLine) => line is L): Promise<L>
  until(match: (line: DeadlineWorkerProcessLine) => boolean): Promise<DeadlineWorkerProcessLine>
  readonly child: ChildProcess
}

const LEASE_MS = 10_000
const MINUTE = 60_000

/**
 * Deadline workers as separate processes on one store: a worker SIGKILLed at
 * a point it reports (before the deadline is due; before its effect; after
 * its effect and before the mark) and another started past the due time
 * (and the lease), with the
 * deadline's effects counted; a cancelled deadline; three
 * workers sharing many deadlines. Time moves by giving each process a clock
 * offset, never by sleeping.
 */
export const deadlineWorkerSuite = ({ name, workerScript, build, open, describe: describeStore = describe }: DeadlineWorkerSuiteOptions): void => {
  describeStore(`${name}: deadline worker processes`, () => {
    let stores: DeadlineSuiteStores
    let deadlines: Deadlines
    let tag: string
    const started: WorkerProcess[] = []

    const start = (options: Partial<DeadlineWorkerProcessOptions> & { owner: string }, onLine?: (line: DeadlineWorkerProcessLine) => void): WorkerProcess => {
      const full: DeadlineWorkerProcessOptions = { leaseMs: LEASE_MS, batchSize: 4, pollIntervalMs: 50, clockOffsetMs: 0, ...options }
      const child = spawn(process.execPath, [workerScript, JSON.stringify(full), ...stores.workerArgs], { stdio: ['ignore', 'pipe', 'pipe'] })
      const lines: DeadlineWorkerProcessLine[] = []
      const waiters: { match: (l: DeadlineWorkerProcessLine) => boolean; resolve: (l: DeadlineWorkerProcessLine) => void }[] = []
      let stderr = ''
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      createInterface({ input: child.stdout! }).on('line', (text) => {
        const line = JSON.parse(text) as DeadlineWorkerProcessLine
        lines.push(line)
        onLine?.(line)
        for (const w of [...waiters]) if (w.match(line)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(line))
      })
      const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null, stderr }))
      const until = (match: (l: DeadlineWorkerProcessLine) => boolean): Promise<DeadlineWorkerProcessLine> => {
        const seen = lines.find(match)
        if (seen) return Promise.resolve(seen)
        return Promise.race([
          new Promise<DeadlineWorkerProcessLine>((resolve) => waiters.push({ match, resolve })),
          exited.then(({ code, signal, stderr: err }) => {
            throw new Error(`worker ${options.owner} exited (${code ?? signal}) before the line awaited:\n${err}`)
          }),
        ])
      }
      const worker: WorkerProcess = { lines, exited, until: until as WorkerProcess['until'], child }
      started.push(worker)
      return worker
    }

    const kill = async (worker: WorkerProcess): Promise<void> => {
      worker.child.kill('SIGKILL')
      expect((await worker.exited).signal).toBe('SIGKILL')
    }

    const stop = async (worker: WorkerProcess): Promise<void> => {
      worker.child.kill('SIGTERM')
      const { code, stderr } = await worker.exited
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    }

    /** How many effects each scope's deadline had. */
    const effects = async (scopes: readonly string[]): Promise<number[]> => Promise.all(scopes.map((scope) => stores.effects(scope)))

    const schedule = (scope: string, afterMs: number) => deadlines.scope(scope).schedule(SUITE_DEADLINE, { after: afterMs }, { scope })
    const isLine =
      <T extends DeadlineWorkerProcessLine['t']>(t: T, id?: string) =>
      (l: DeadlineWorkerProcessLine): l is Extract<DeadlineWorkerProcessLine, { t: T }> =>
        l.t === t && (id === undefined || ('id' in l && l.id === id))

    beforeAll(() => build())
    beforeEach(async () => {
      tag = randomBytes(4).toString('hex')
      stores = await open()
      deadlines = new Deadlines(stores.deadlines)
    })
    afterEach(async () => {
      for (const w of started.splice(0)) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL')
      await stores.dispose()
    })

    it.each(['before-effect', 'after-effect'] as const)(
      'fires a deadline exactly once when its worker is SIGKILLed %s and another starts past the due time',
      async (hold) => {
        const scope = `Order-${tag}`
        const { id } = await schedule(scope, MINUTE)
        const first = start({ owner: 'first', clockOffsetMs: MINUTE + 1000, hold })
        await first.until(isLine('holding', id))
        await kill(first)
        expect(await effects([scope])).toEqual([hold === 'after-effect' ? 1 : 0])
        expect(await stores.deadlines.list({ state: 'pending' })).toEqual([expect.objectContaining({ id, owner: 'first' })])

        const second = start({ owner: 'second', clockOffsetMs: MINUTE + 1000 + LEASE_MS + 1000 })
        await second.until(isLine('fired', id))
        await stop(second)
        expect(second.lines.filter(isLine('effect'))).toEqual([{ t: 'effect', id, scope, owner: 'second' }])
        expect(await effects([scope])).toEqual([1])
        expect(await stores.deadlines.list()).toEqual([expect.objectContaining({ id, state: 'fired' })])
      },
    )

    it('fires a deadline once when its worker is SIGKILLed before it is due and restarted past the due time', async () => {
      const scope = `Order-${tag}`
      const { id } = await schedule(scope, MINUTE)
      const early = start({ owner: 'early' })
      await early.until(isLine('ready'))
      await kill(early)
      expect(await stores.deadlines.list({ state: 'pending' })).toEqual([expect.objectContaining({ id, owner: undefined, leaseUntil: 0 })])

      const restarted = start({ owner: 'restarted', clockOffsetMs: MINUTE + 1000 })
      await restarted.until(isLine('fired', id))
      await stop(restarted)
      expect(early.lines.filter(isLine('effect'))).toEqual([])
      expect(restarted.lines.filter(isLine('effect'))).toEqual([{ t: 'effect', id, scope, owner: 'restarted' }])
      expect(await effects([scope])).toEqual([1])
    })

    it('never fires a cancelled deadline', async () => {
      const kept = `Kept-${tag}`
      const cancelled = `Cancelled-${tag}`
      await schedule(cancelled, MINUTE)
      const { id } = await schedule(kept, MINUTE + 1)
      await expect(deadlines.scope(cancelled).cancel(SUITE_DEADLINE)).resolves.toBe(true)
      const worker = start({ owner: 'only', clockOffsetMs: 10 * MINUTE })
      await worker.until(isLine('fired', id))
      await stop(worker)
      expect(worker.lines.filter(isLine('effect')).map((l) => l.scope)).toEqual([kept])
      expect(await effects([cancelled, kept])).toEqual([0, 1])
    })

    it('shares the work between three deadline workers with no double fire', async () => {
      const scopes = Array.from({ length: 60 }, (_, i) => `Order-${tag}-${i}`)
      const fired = new Set<string>()
      let allFired!: () => void
      const done = new Promise<void>((resolve) => (allFired = resolve))
      const onLine = (line: DeadlineWorkerProcessLine): void => {
        if (line.t !== 'fired') return
        fired.add(line.scope)
        if (fired.size === scopes.length) allFired()
      }
      const workers = ['a', 'b', 'c'].map((owner) => start({ owner, clockOffsetMs: MINUTE }, onLine))
      await Promise.all(workers.map((w) => w.until(isLine('ready'))))
      for (const scope of scopes) await schedule(scope, 1000)
      const crashed = Promise.all(workers.map((w) => w.exited)).then(() => {
        throw new Error('every worker exited before all deadlines fired')
      })
      await Promise.race([done, crashed])
      await Promise.all(workers.map(stop))
      const deliveries = workers.flatMap((w) => w.lines.filter(isLine('effect')).map((l) => l.scope))
      expect(deliveries.sort()).toEqual([...scopes].sort())
      expect(await effects(scopes)).toEqual(scopes.map(() => 1))
      expect((await stores.deadlines.list({ state: 'fired', limit: 10_000 })).filter((d) => d.scope.includes(tag))).toHaveLength(60)
    })
  })
}
