import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import type { EventStore } from '@eventfold/core'
import { DEAD_LETTER_COLLECTION } from '../dead-letters/dead-letters'
import type { DocumentStore } from '../documents/document-store'
import { checkpointName, physicalCollection, ProjectionStates } from '../generations/projection-state'
import { rebuildProjection } from '../rebuild/rebuild-projection'
import { LEASE_COLLECTION } from '../worker/leases'
import { scaleOutProjection as projection, type ScaleOutWorkerLine, type ScaleOutWorkerOptions } from './scale-out-worker'

/** The stores of one run of {@link scaleOutSuite}, opened by the adapter. */
export interface ScaleOutStores {
  /** The test's own event store on the shared log: it seeds and extends the log, and reads it back. */
  readonly eventStore: EventStore
  /** The test's own document store beside the workers': it reads leases, checkpoints and the read model. */
  readonly documents: DocumentStore
  /** What each worker process gets after `<label> <json options>`, to open the same stores (a file; a URL and schema). */
  readonly workerArgs: readonly string[]
  /** A fresh, empty document store for the single-worker rebuild to compare with; the suite closes it. */
  openRebuildStore(): Promise<DocumentStore>
  /** Closes the stores and removes what the run created; called once the workers are gone. */
  dispose(): Promise<void>
}

/** Options of {@link scaleOutSuite}. */
export interface ScaleOutSuiteOptions {
  /** The adapter, in the test's name and its summary line, e.g. `'SQLite'`. */
  readonly name: string
  /** The worker script: opens the adapter's stores from `workerArgs` and calls {@link runScaleOutWorker}. */
  readonly workerScript: string
  /** Opens the stores the test and its workers share; runs at the start of the test. */
  readonly open: () => Promise<ScaleOutStores>
  /** Runs once before the test, e.g. to build the packages the worker processes load. @default nothing */
  readonly build?: () => void
  /** Appends in flight while the test seeds the log. @default 1 */
  readonly seedConcurrency?: number
  /** Registers the suite, e.g. a `describe` that fails when the server is unreachable. @default describe */
  readonly describe?: (name: string, body: () => void) => void
}

const PARTITIONS = 8
/** How long the catch-up may go without any partition checkpoint moving. */
const STALL_MS = 15_000
const OPTIONS: ScaleOutWorkerOptions = { partitions: PARTITIONS, leaseTtlMs: 1500, tickMs: 200, batchSize: 500, pollIntervalMs: 50 }
const SEED_EVENTS = 30_000
const SEED_STREAMS = 500
const LIVE_STREAMS = 550
const partitionKeys = Array.from({ length: PARTITIONS }, (_, i) => `${i}/${PARTITIONS}`)
const leaseKey = (partition: string) => `${projection.name}#${partition}`

/** A line as the test received it. */
type Line = ScaleOutWorkerLine & { readonly at: number }

interface Worker {
  readonly label: string
  readonly child: ChildProcess
  readonly lines: Line[]
  /** Partitions it says it runs (acquired, not lost or released since). */
  readonly owned: Set<string>
  owner: string | undefined
  stderr: string
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** mulberry32: seeded (the test prints its seed). */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** Number of elements of sorted `xs` at or below `x`. */
const bisect = (xs: readonly bigint[], x: bigint): number => {
  let lo = 0
  let hi = xs.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (xs[mid]! <= x) lo = mid + 1
    else hi = mid
  }
  return lo
}

const byBigint = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0)

/**
 * Registers the scale-out acceptance test of an adapter as jest tests: three
 * worker processes share the eight partitions of {@link scaleOutProjection}
 * through leases in the adapter's document store; one is SIGKILLed mid-run,
 * the survivors take its partitions over from its checkpoints once its
 * leases expire, and the read model they leave is the one a single-worker
 * rebuild makes, with every event applied exactly once. Workers must print
 * nothing on stderr.
 * @example
 * ```ts
 * scaleOutSuite({
 *   name: 'SQLite',
 *   workerScript: join(__dirname, 'test-support', 'scale-out-worker.cjs'),
 *   build: buildPackage,
 *   open: async () => ({ eventStore, documents, workerArgs: [file], openRebuildStore, dispose }),
 * })
 * ```
 */
export const scaleOutSuite = ({ name, workerScript, open, build, seedConcurrency = 1, describe: register = describe }: ScaleOutSuiteOptions): void => {
  register(`ProjectionHost scale-out on ${name} (3 worker processes, ${PARTITIONS} partitions)`, () => {
    let stores: ScaleOutStores | undefined
    let rebuilt: DocumentStore | undefined
    const workers: Worker[] = []

    if (build) beforeAll(() => build(), 120_000)

    afterAll(async () => {
      for (const w of workers) {
        if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL')
        await w.exited
      }
      await rebuilt?.close()
      await stores?.dispose()
    })

    const diagnostics = () =>
      workers
        .map((w) => {
          const exit = w.child.exitCode ?? w.child.signalCode ?? 'running'
          const last = w.lines.slice(-3).map((l) => JSON.stringify(l)).join(' ')
          return `${w.label} (${w.owner ?? '?'}): owns [${[...w.owned].sort().join(' ')}], ${w.lines.length} lines (last: ${last}), exit ${exit}${w.stderr ? `\n  stderr: ${w.stderr.trim()}` : ''}`
        })
        .join('\n')

    /** Workers the test stops (or kills) itself; any other that exits fails the wait at once. */
    const stopping = new Set<Worker>()

    const waitFor = async (what: string, cond: () => Promise<boolean> | boolean, timeoutMs: number): Promise<number> => {
      const started = Date.now()
      while (!(await cond())) {
        const gone = workers.find((w) => !stopping.has(w) && (w.child.exitCode !== null || w.child.signalCode !== null))
        if (gone) throw new Error(`worker ${gone.label} exited while waiting for ${what}\n${diagnostics()}`)
        if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${diagnostics()}`)
        await sleep(50)
      }
      return Date.now() - started
    }

    const within = async <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => {
      let timer: NodeJS.Timeout | undefined
      try {
        return await Promise.race([
          promise,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}\n${diagnostics()}`)), ms)
          }),
        ])
      } finally {
        clearTimeout(timer)
      }
    }

    const startWorker = (label: string, workerArgs: readonly string[]): Worker => {
      const child = spawn(process.execPath, [workerScript, label, JSON.stringify(OPTIONS), ...workerArgs], { stdio: ['ignore', 'pipe', 'pipe'] })
      const lines: Line[] = []
      const output = createInterface({ input: child.stdout! })
      const worker: Worker = {
        label,
        child,
        lines,
        owned: new Set(),
        owner: undefined,
        stderr: '',
        // Gone, and every line it printed read.
        exited: Promise.all([once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>, once(output, 'close')]).then(([[code, signal]]) => ({ code, signal })),
      }
      child.stderr!.on('data', (chunk: Buffer) => (worker.stderr += chunk.toString()))
      output.on('line', (text) => {
        const line: Line = { ...(JSON.parse(text) as ScaleOutWorkerLine), at: Date.now() }
        lines.push(line)
        if (line.t === 'ready') worker.owner = line.owner
        if (line.t === 'lease' && line.kind === 'acquired') worker.owned.add(line.partition)
        if (line.t === 'lease' && line.kind !== 'acquired') worker.owned.delete(line.partition)
      })
      workers.push(worker)
      return worker
    }

    const progressOf = (w: Worker) => w.lines.flatMap((l) => (l.t === 'progress' ? [l] : []))
    const acquiredBy = (w: Worker, partition: string, since: number) =>
      w.lines.filter((l) => l.t === 'lease' && l.kind === 'acquired' && l.partition === partition && l.at >= since)

    it('spreads the partitions, survives a SIGKILLed worker, and leaves the read model of a single-worker rebuild', async () => {
      const began = Date.now()
      const seed = began % 1_000_000
      const next = random(seed)
      stores = await open()
      const { eventStore: events, documents, workerArgs } = stores

      // What the read model must hold, kept as the test appends.
      const expected = new Map<string, { applied: number; sum: number }>()
      const totals = { applied: 0, sum: 0, maxSeq: -1 }
      const buckets = [0, 1, 2, 3].map(() => ({ applied: 0, sum: 0 }))
      let seq = 0
      const append = async (stream: string, count: number) => {
        const batch = Array.from({ length: count }, () => {
          const data = { seq: seq++, n: Math.floor(next() * 1000) }
          const s = expected.get(stream) ?? { applied: 0, sum: 0 }
          expected.set(stream, { applied: s.applied + 1, sum: s.sum + data.n })
          totals.applied++
          totals.sum += data.n
          totals.maxSeq = data.seq
          buckets[data.seq % 4]!.applied++
          buckets[data.seq % 4]!.sum += data.n
          return { type: 'Counted', data }
        })
        await events.appendToStream(stream, batch)
      }

      // 1. Seed the log.
      await Promise.all(
        Array.from({ length: seedConcurrency }, async () => {
          while (seq < SEED_EVENTS) await append(`S-${Math.floor(next() * SEED_STREAMS)}`, Math.min(SEED_EVENTS - seq, 1 + Math.floor(next() * 59)))
        }),
      )
      const seededMs = Date.now() - began
      const seededHead = (await events.headPosition())!

      // 2. Three workers; more events keep coming while they run.
      const started = Date.now()
      for (const label of ['w1', 'w2', 'w3']) startWorker(label, workerArgs)
      let appending = true
      let liveAppends = 0
      const appender = (async () => {
        while (appending) {
          await append(`S-${Math.floor(next() * LIVE_STREAMS)}`, 1 + Math.floor(next() * 5))
          liveAppends++
          // Paces the live traffic; not a synchronisation.
          await sleep(15)
        }
      })()

      try {
        // 3. They spread the partitions: each runs its fair share (some, at most 8 ÷ 3
        // rounded up), together all of them, none twice.
        const fairShare = Math.ceil(PARTITIONS / workers.length)
        const spreadMs = await waitFor(
          'the workers to spread the partitions',
          () =>
            workers.every((w) => w.owned.size > 0 && w.owned.size <= fairShare) &&
            workers.reduce((n, w) => n + w.owned.size, 0) === PARTITIONS &&
            new Set(workers.flatMap((w) => [...w.owned])).size === PARTITIONS,
          20_000,
        )
        const spreadAt = Date.now()
        const shares = workers.map((w) => w.owned.size)

        // 4. SIGKILL the busiest worker once it is committing batches on its partitions.
        const victim = workers.reduce((a, b) => (b.owned.size > a.owned.size ? b : a))
        const survivors = workers.filter((w) => w !== victim)
        await waitFor('the victim to commit a batch', () => progressOf(victim).some((l) => l.at >= spreadAt && victim.owned.has(l.partition)), 10_000)
        stopping.add(victim)
        victim.child.kill('SIGKILL')
        const killedAt = Date.now()
        expect(await victim.exited).toEqual({ code: null, signal: 'SIGKILL' })
        const generation = (await new ProjectionStates(documents).get(projection.name))!.generation
        const checkpointOf = (partition: string) => documents.readCheckpoint(checkpointName(projection.name, generation, partition))
        const leases = async () => new Map((await documents.find(LEASE_COLLECTION)).map((d) => [d._id, d as unknown as { owner: string; expiresAt: number }]))
        const orphanedExpiry = new Map<string, number>()
        for (const [key, lease] of await leases()) {
          // (A lease it released has expired already: whoever wants it takes it at once.)
          if (lease.owner !== victim.owner || lease.expiresAt === 0) continue
          orphanedExpiry.set(key.slice(projection.name.length + 1), lease.expiresAt)
        }
        const orphaned = [...orphanedExpiry.keys()]
        expect(orphaned.length).toBeGreaterThan(0)
        const orphanedCheckpoints = new Map<string, bigint | undefined>()
        for (const p of orphaned) orphanedCheckpoints.set(p, await checkpointOf(p))

        // 5. The survivors take the orphaned partitions over once their leases expire.
        const survivorOwners = new Set(survivors.map((w) => w.owner))
        const takeoverMs = await waitFor(
          'the survivors to take the dead worker’s partitions over',
          async () => {
            const held = await leases()
            return (
              orphaned.every((p) => survivors.some((w) => acquiredBy(w, p, killedAt).length > 0)) &&
              partitionKeys.every((p) => survivorOwners.has(held.get(leaseKey(p))?.owner)) &&
              new Set(survivors.flatMap((w) => [...w.owned])).size === PARTITIONS
            )
          },
          15_000,
        )
        // Nobody took a partition before the dead worker's lease on it expired.
        for (const p of orphaned) {
          const acquired = survivors.flatMap((w) => acquiredBy(w, p, killedAt))
          expect({ p, early: acquired.filter((l) => l.at < orphanedExpiry.get(p)!).length }).toEqual({ p, early: 0 })
        }

        // 6. A little more live traffic on the taken-over partitions, then the log stops growing.
        const moreTraffic = liveAppends + 40
        await waitFor('more live appends after the takeover', () => liveAppends >= moreTraffic, 30_000)
        appending = false
        await appender
        const head = (await events.headPosition())!
        // Every partition behind the head keeps moving: a stall fails soon, a slow (shared) machine only takes longer.
        let checkpoints = ''
        let movedAt = Date.now()
        const catchUpMs = await waitFor(
          'every partition checkpoint to reach the head',
          async () => {
            const now = await Promise.all(partitionKeys.map(checkpointOf))
            if (now.join() !== checkpoints) {
              checkpoints = now.join()
              movedAt = Date.now()
            }
            if (Date.now() - movedAt > STALL_MS) throw new Error(`no partition checkpoint moved for ${STALL_MS} ms (at ${checkpoints}, head ${head})\n${diagnostics()}`)
            return now.every((cp) => cp === head)
          },
          90_000,
        )

        // 7. SIGTERM: the survivors stop their workers, release their leases, exit 0.
        for (const w of survivors) {
          stopping.add(w)
          w.child.kill('SIGTERM')
        }
        const exits = await within(Promise.all(survivors.map((w) => w.exited)), 15_000, 'the survivors to exit after SIGTERM')
        expect({ exits, stderr: survivors.map((w) => w.stderr) }).toEqual({
          exits: survivors.map(() => ({ code: 0, signal: null })),
          stderr: survivors.map(() => ''),
        })
        for (const w of survivors) expect(w.lines[w.lines.length - 1]).toMatchObject({ t: 'stopped', owner: w.owner })
        // Released, each by the survivor that ran the partition last.
        const released = await leases()
        expect(partitionKeys.map((p) => ({ p, expiresAt: released.get(leaseKey(p))?.expiresAt, bySurvivor: survivorOwners.has(released.get(leaseKey(p))?.owner) }))).toEqual(
          partitionKeys.map((p) => ({ p, expiresAt: 0, bySurvivor: true })),
        )
        const stoppedMs = Date.now() - started

        // 8. Every event applied exactly once, in order per stream.
        const log: bigint[] = []
        for await (const e of events.readAll()) log.push(e.position)
        expect(log.length).toBe(seq)
        expect(log[log.length - 1]).toBe(head)
        const streams = await documents.find(physicalCollection('streams', generation), {}, { sort: { _id: 1 } })
        expect(streams.length).toBe(expected.size)
        const wrong = streams.filter((d) => {
          const e = expected.get(d._id)
          return !e || d.applied !== e.applied || d.sum !== e.sum || (d.revisions as number[]).some((r, i) => r !== i)
        })
        expect(wrong).toEqual([])
        expect(await documents.find(physicalCollection('totals', generation), {}, { sort: { _id: 1 } })).toEqual([
          { _id: 'all', ...totals },
          ...buckets.map((b, i) => ({ _id: `bucket-${i}`, ...b })),
        ])
        expect(await documents.count(DEAD_LETTER_COLLECTION)).toBe(0)
        // Partitions did race on the shared documents, and recomputed their batches.
        const totalsCollection = physicalCollection('totals', generation)
        const sharedConflicts = workers.flatMap((w) => w.lines).filter((l) => l.t === 'conflict' && l.collection === totalsCollection).length
        expect(sharedConflicts).toBeGreaterThan(0)

        // 9. Each partition's committed batches tile the log: no event read twice, none
        // skipped, and the survivors resumed right after the dead worker's checkpoints.
        const countIn = (after: bigint | undefined, upTo: bigint) => bisect(log, upTo) - (after === undefined ? 0 : bisect(log, after))
        for (const p of partitionKeys) {
          const batches = workers
            .flatMap((w) => progressOf(w).filter((l) => l.partition === p).map((l) => ({ by: w, cp: BigInt(l.checkpoint), read: l.read })))
            .sort((a, b) => byBigint(a.cp, b.cp))
          expect({ p, duplicates: batches.filter((b, i) => i > 0 && b.cp === batches[i - 1]!.cp).length }).toEqual({ p, duplicates: 0 })
          // The dead worker's last commit may not have been printed: its checkpoint is a boundary too.
          const orphanedAt = orphanedCheckpoints.get(p)
          const boundaries = [...new Set([...batches.map((b) => b.cp), ...(orphanedAt !== undefined ? [orphanedAt] : [])])].sort(byBigint)
          expect(boundaries[boundaries.length - 1]).toBe(head)
          const mismatched = batches.filter((b) => {
            const i = boundaries.indexOf(b.cp)
            return b.read !== countIn(i === 0 ? undefined : boundaries[i - 1], b.cp)
          })
          expect({ p, mismatched: mismatched.map((b) => ({ by: b.by.label, cp: String(b.cp), read: b.read })) }).toEqual({ p, mismatched: [] })
          if (orphaned.includes(p)) {
            const after = batches.filter((b) => orphanedAt === undefined || b.cp > orphanedAt)
            expect(after.every((b) => b.by !== victim)).toBe(true)
            expect(after.reduce((n, b) => n + b.read, 0)).toBe(countIn(orphanedAt, head))
          }
        }

        const verifiedMs = Date.now() - started
        // 10. The same read model as one worker rebuilding from the log into a fresh store.
        rebuilt = await stores.openRebuildStore()
        const rebuild = await rebuildProjection({ eventStore: events, documents: rebuilt, projection, partitions: 1 })
        expect(rebuild).toMatchObject({ completed: true, eventsRead: log.length, eventsApplied: log.length, parked: 0 })
        const rebuiltGeneration = (await new ProjectionStates(rebuilt).get(projection.name))!.generation
        for (const collection of projection.collections) {
          const live = await documents.find(physicalCollection(collection, generation), {}, { sort: { _id: 1 } })
          const single = await rebuilt.find(physicalCollection(collection, rebuiltGeneration), {}, { sort: { _id: 1 } })
          expect({ collection, count: live.length }).toEqual({ collection, count: single.length })
          for (let i = 0; i < live.length; i++) expect(live[i]).toEqual(single[i])
        }

        // (Killed during the catch-up of the seeded log, or after it on a machine fast enough.)
        const orphanedInBacklog = [...orphanedCheckpoints.values()].filter((cp) => cp === undefined || cp < seededHead).length
        console.log(
          `scale-out (${name}, seed ${seed}): ${log.length} events (${SEED_EVENTS} seeded in ${seededMs} ms, ${log.length - SEED_EVENTS} live) over ${expected.size} streams; ` +
            `${sharedConflicts} lost compare-and-sets on shared documents; spread ${shares.join('/')} in ${spreadMs} ms; killed ${victim.label} holding ${orphaned.length} partitions (${orphanedInBacklog} still in the seeded backlog) ` +
            `at +${killedAt - started} ms; taken over in ${takeoverMs} ms; all checkpoints at head ${catchUpMs} ms after the last append; ` +
            `workers stopped at +${stoppedMs} ms; verified at +${verifiedMs} ms; rebuilt and compared at +${Date.now() - started} ms; total ${Date.now() - began} ms`,
        )
      } finally {
        appending = false
        await appender
      }
    }, 180_000)
  })
}
