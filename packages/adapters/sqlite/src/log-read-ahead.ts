import { resolve } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { LogRow } from './event-statements'

/*
 * A subscription catching up over a long log spends about a third of its time
 * in the SQLite query that fetches the next page; the rest (parsing the
 * events, running the handlers, committing) needs the main thread. On a
 * second core, a worker thread with a read-only connection of its own runs
 * that query a few pages ahead, and hands over each page as plain strings,
 * which cost a fraction of the query to receive.
 *
 * The worker only reads ahead: the subscription still decides what it reads.
 * A page the worker read may be older than the one the subscription would
 * read now. For a full page that makes no difference: SQLite commits appends
 * one at a time, each taking the next positions, so any snapshot holds a
 * prefix of the log, and a full page from `from` is the same in every snapshot
 * that has it. A short page (the end of the log as it was) is not trusted: the
 * subscription reads that one itself, so that what was appended since is seen.
 */

/** What selects the pages of a read: the bind parameters besides `from`. */
export interface ReadAheadQuery {
  readonly limit: number
  readonly types: string | null
  readonly prefixes: string | null
}

/** The code of the worker thread (evaluated, so that it runs as is from sources and from builds). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.file, { readonly: true, fileMustExist: true, timeout: workerData.busyTimeoutMs })
const statement = db.prepare(workerData.sql).raw(true)
let run
let scheduled = false
const schedule = () => {
  if (scheduled) return
  scheduled = true
  setImmediate(pump)
}
// One page per turn of the event loop, so that 'taken' and 'stop' are seen between pages.
const pump = () => {
  scheduled = false
  const r = run
  if (!r || r.done || r.outstanding >= r.ahead) return
  let rows
  try {
    rows = statement.all({ from: r.from, limit: r.limit, types: r.types, prefixes: r.prefixes })
  } catch (error) {
    r.done = true
    parentPort.postMessage({ kind: 'failed', id: r.id, message: String(error && error.message) })
    return
  }
  const flat = new Array(rows.length * 2)
  for (let i = 0; i < rows.length; i++) {
    flat[2 * i] = rows[i][0]
    flat[2 * i + 1] = rows[i][1]
  }
  r.outstanding++
  if (rows.length < r.limit) r.done = true
  else {
    const last = rows[rows.length - 1][1]
    r.from = BigInt(last.slice(0, last.indexOf(' '))) + 1n
  }
  parentPort.postMessage({ kind: 'page', id: r.id, rows: flat })
  schedule()
}
parentPort.on('message', (m) => {
  if (m.kind === 'read') {
    run = { id: m.id, from: BigInt(m.from), limit: m.limit, types: m.types, prefixes: m.prefixes, ahead: m.ahead, outstanding: 0, done: false }
    schedule()
  } else if (m.kind === 'taken') {
    if (run && run.id === m.id) {
      run.outstanding--
      schedule()
    }
  }
})
parentPort.postMessage({ kind: 'ready' })
`

type WorkerMessage =
  | { readonly kind: 'ready' }
  | { readonly kind: 'page'; readonly id: number; readonly rows: string[] }
  | { readonly kind: 'failed'; readonly id: number; readonly message: string }

interface Run {
  readonly id: number
  readonly query: ReadAheadQuery
  /** `from` of the next page to hand out; undefined once a short page ended the run. */
  next: bigint | undefined
  readonly pages: LogRow[][]
  waiter: ((rows: LogRow[] | undefined) => void) | undefined
  failed: boolean
}

/** Options of {@link LogReadAhead}. */
export interface LogReadAheadOptions {
  /** The SQLite file of the log. */
  readonly file: string
  /** The forwards page query of the log, with `@from`, `@limit`, `@types`, `@prefixes`. */
  readonly sql: string
  /** Pages read and not yet taken, at most. @default 4 */
  readonly ahead?: number
  readonly busyTimeoutMs?: number
}

/**
 * Reads pages of the log on a worker thread, ahead of one subscription. It
 * is an optimisation only: when it has no page for a read, or fails in any
 * way, the subscription reads that page itself, as it would without it.
 */
export class LogReadAhead {
  private readonly worker: Worker
  private readonly ahead: number
  private ready = false
  private broken = false
  private run: Run | undefined
  private runs = 0
  private closed: Promise<void> | undefined

  constructor({ file, sql, ahead = 4, busyTimeoutMs = 5000 }: LogReadAheadOptions) {
    this.ahead = ahead
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: require.resolve('better-sqlite3'), file: resolve(file), sql, busyTimeoutMs },
    })
    // Never what keeps a process alive.
    this.worker.unref()
    this.worker.on('message', (m: WorkerMessage) => this.receive(m))
    this.worker.on('error', () => this.fail())
    this.worker.on('exit', () => this.fail())
  }

  /** Whether the worker can take a read (it started, and nothing failed). */
  get isReady(): boolean {
    return this.ready && !this.broken
  }

  /** Whether the worker failed (or was closed): it will never read again. */
  get hasFailed(): boolean {
    return this.broken
  }

  /** Starts reading pages from `from` (inclusive), ending the read in progress. */
  start(from: bigint, query: ReadAheadQuery): void {
    if (!this.isReady) return
    this.endRun()
    const id = ++this.runs
    this.run = { id, query, next: from, pages: [], waiter: undefined, failed: false }
    this.worker.postMessage({ kind: 'read', id, from: from.toString(), limit: query.limit, types: query.types, prefixes: query.prefixes, ahead: this.ahead })
  }

  /**
   * The page from `from` for `query`, when the read in progress is there:
   * a full page, or undefined when the page was short, the read failed or
   * the read in progress is elsewhere. Undefined means "read it yourself".
   */
  take(from: bigint, query: ReadAheadQuery): Promise<LogRow[] | undefined> | undefined {
    const run = this.run
    if (!run || run.failed || run.next !== from || !sameQuery(run.query, query)) return undefined
    const page = run.pages.shift()
    if (page) return Promise.resolve(this.handOut(run, page))
    return new Promise((resolve) => {
      run.waiter = (rows) => resolve(rows && this.handOut(run, rows))
    })
  }

  /** Stops the worker thread. Harmless twice. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.broken = true
      this.endRun()
      await this.worker.terminate()
    })()
    return this.closed
  }

  private handOut(run: Run, rows: LogRow[]): LogRow[] | undefined {
    this.worker.postMessage({ kind: 'taken', id: run.id })
    if (rows.length < run.query.limit) {
      run.next = undefined
      return undefined
    }
    const last = rows[rows.length - 1]![1]
    run.next = BigInt(last.slice(0, last.indexOf(' '))) + 1n
    return rows
  }

  private receive(m: WorkerMessage): void {
    if (m.kind === 'ready') {
      this.ready = true
      return
    }
    const run = this.run
    if (!run || run.id !== m.id) return
    if (m.kind === 'failed') {
      run.failed = true
      this.settle(run, undefined)
      return
    }
    const flat = m.rows
    const rows: LogRow[] = new Array(flat.length / 2)
    for (let i = 0; i < rows.length; i++) rows[i] = [flat[2 * i]!, flat[2 * i + 1]!]
    if (run.waiter) this.settle(run, rows)
    else run.pages.push(rows)
  }

  private settle(run: Run, rows: LogRow[] | undefined): void {
    const waiter = run.waiter
    run.waiter = undefined
    waiter?.(rows)
  }

  private fail(): void {
    this.broken = true
    this.endRun()
  }

  private endRun(): void {
    const run = this.run
    this.run = undefined
    if (!run) return
    run.failed = true
    this.settle(run, undefined)
  }
}

const sameQuery = (a: ReadAheadQuery, b: ReadAheadQuery): boolean =>
  a.limit === b.limit && a.types === b.types && a.prefixes === b.prefixes
