/** The workloads; see BENCHMARKS.md for what each does. W3D is W3 with the ledger written as a plain decider. */
export type WorkloadId = 'W1' | 'W2' | 'W3' | 'W3D' | 'W4'
export const WORKLOADS: readonly WorkloadId[] = ['W1', 'W2', 'W3', 'W3D', 'W4']

/** How the eventfold side writes the ledger aggregate in W3: a decorated class, or a plain decider (W3D). */
export type AggregateStyle = 'class' | 'decider'

export type Synchronous = 'FULL' | 'NORMAL'

/** How much data a workload handles: `streams` × `eventsPerStream` events. */
export interface Size {
  readonly streams: number
  readonly eventsPerStream: number
}

export const eventsOf = (size: Size): number => size.streams * size.eventsPerStream

/** Called with the number of events done so far; cheap enough to call per event. */
export type Progress = (done: number) => void

/** A workload ready to run: everything is opened and created, nothing is timed yet. */
export interface Prepared {
  /** The timed part. Returns the number of events written or read. */
  run(progress: Progress): Promise<number>
  /** Untimed: closes the database. */
  close(): Promise<void>
}

/** The settings a connection runs with, as SQLite reports them back. */
export interface ObservedSettings {
  readonly journalMode: string
  readonly synchronous: string
}

const SYNCHRONOUS_NAMES = ['OFF', 'NORMAL', 'FULL', 'EXTRA']

/** Reads back `journal_mode` and `synchronous` from an open connection. */
export const observeSettings = (db: { pragma(source: string, options: { simple: true }): unknown }): ObservedSettings => ({
  journalMode: String(db.pragma('journal_mode', { simple: true })).toUpperCase(),
  synchronous: SYNCHRONOUS_NAMES[Number(db.pragma('synchronous', { simple: true }))] ?? 'unknown',
})

/** One way of doing the workloads: with eventfold, or with raw better-sqlite3 statements. */
export interface Side {
  readonly name: 'eventfold' | 'raw'
  /** What its connections ran with, per requested setting; filled as workloads open databases. */
  readonly observed: Map<Synchronous, ObservedSettings>
  /** W1: one command per event into an empty database at `file`. */
  commands(file: string, size: Size, synchronous: Synchronous): Promise<Prepared>
  /** W2: `eventsPerStream` events per append into an empty database at `file`. */
  batches(file: string, size: Size, synchronous: Synchronous): Promise<Prepared>
  /** W3: rehydrates every stream of a database that W2 filled (the raw side has one style only). */
  rehydrate(file: string, size: Size, synchronous: Synchronous, style: AggregateStyle): Promise<Prepared>
  /** W4: reads the whole log of a database that W2 filled. */
  readAll(file: string, size: Size, synchronous: Synchronous): Promise<Prepared>
}

/** Thrown when a workload's result is not what the workload must produce: the numbers would be meaningless. */
export class BenchCheckError extends Error {
  constructor(side: string, workload: WorkloadId, message: string) {
    super(`${side} ${workload}: ${message}`)
    this.name = 'BenchCheckError'
  }
}
