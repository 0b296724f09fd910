import {
  StoreClosedError,
  type AppendOptions,
  type AppendResult,
  type EventData,
  type EventStore,
  type ExpectedRevision,
  type ReadAllOptions,
  type ReadStreamOptions,
  type SubscribeToAllOptions,
  type Subscription,
  type EventRead,
} from '@eventfold/core'
import {
  assertDistinctEventIds,
  assertName,
  pollingSubscription,
  serializeEvents,
  type AppendSignal,
  type CorrelationLookup,
} from '@eventfold/core/spi'
import { hasCorrelationIndex, prepareCorrelated, setCorrelationIndex } from './correlation-index'
import { appendEvents, type AppendOutcome, type PendingEvent } from './append-transaction'
import { EVENT_SCHEMA, EVENT_SCHEMA_MODULE, EVENT_SCHEMA_READABLE_FROM } from './event-schema'
import {
  eventSql,
  filterParams,
  logRowToEvent,
  prepareEventStatements,
  type EventSql,
  type EventStatements,
  type LogRow,
} from './event-statements'
import { streamRowPosition, streamRowRevision, streamRowToEvent, type ReadColumns } from './stream-row'
import { LogReadAhead } from './log-read-ahead'
import { PagedEvents } from './paged-events'
import { openSqlite, type OpenSqliteOptions, type SqliteConnection } from './sqlite-connection'
import { appendSignalOf, sqlitePollingSource } from './sqlite-polling-source'
import { translateSqliteError } from './sqlite-errors'

/** Options of {@link SqliteEventStore}. */
export interface SqliteEventStoreOptions {
  /**
   * How often a caught-up subscription checks whether another connection
   * (usually another process) committed. Appends made through this connection
   * wake subscribers at once, whatever the interval.
   * @default 100
   */
  readonly pollIntervalMs?: number
  /** Rows fetched per query by reads and subscriptions; memory holds one page per open read. @default 500 */
  readonly pageSize?: number
  /**
   * Let a subscription that is catching up over a long log (several full
   * pages in a row) read the next pages on a worker thread while it applies
   * the current ones, on a read-only connection of its own. The thread ends
   * when the subscription catches up or ends. Never used for an in-memory
   * database.
   * @default true
   */
  readonly readAhead?: boolean
  /**
   * Keep the index on `metadata.correlationId` that `readCorrelated` (and
   * `eventfold trace`) use. It costs every append one more B-tree insert
   * (about a tenth of a one-event command's time on `synchronous: 'normal'`);
   * `false` drops it, and trace then scans the log. Opening for writing with
   * `true` again rebuilds it. Give every process that writes the file the same value.
   * @default true
   */
  readonly correlationIndex?: boolean
}

/** Full pages read in a row before a subscription reads ahead on a worker thread. */
const READ_AHEAD_AFTER_PAGES = 4

/**
 * Read-ahead threads of one store at a time. Each costs a V8 isolate (several
 * MiB) and a connection: many subscriptions catching up at once (a host of
 * partitioned projections starting) share these, the others read themselves.
 */
export const MAX_READ_AHEAD_THREADS = 4

/**
 * The {@link EventStore} in an SQLite file: the embedded default. Positions
 * start at 1 and are never reused. Appends are serialized by SQLite's write
 * lock, so several processes may append to the same file; their appends reach
 * this process's subscribers by polling.
 *
 * The driver is synchronous: every call does its SQL at once and returns a
 * settled promise; reads fetch one page per query.
 * @example
 * ```ts
 * const sqlite = openSqlite('bank.db')
 * const events = new SqliteEventStore(sqlite)
 * await events.appendToStream('Account-1', [{ type: 'Opened', data: { owner: 'Ann' } }], { expectedRevision: 'no_stream' })
 * for await (const e of events.readStream('Account-1')) console.log(e.revision, e.type)
 * await sqlite.close()
 * ```
 */
export class SqliteEventStore implements EventStore, CorrelationLookup {
  private readonly statements: EventStatements
  private readonly sql: EventSql
  private readonly signal: AppendSignal
  private readonly subscriptions = new Set<Subscription>()
  private readonly pollIntervalMs: number
  private readonly pageSize: number
  /** The absolute file name of the log, for read-ahead threads; undefined when they are not used. */
  private readonly readAheadFile: string | undefined
  /** Read-ahead threads running for this store's subscriptions. */
  private readAheadThreads = 0
  private readonly unregister: () => void
  private readonly appendInTransaction: (streamId: string, expected: ExpectedRevision, events: readonly PendingEvent[]) => AppendOutcome
  private ownsConnection = false
  private shutdown: Promise<void> | undefined

  /**
   * Opens its own connection to `path`; `close()` closes it.
   * @example
   * ```ts
   * const events = SqliteEventStore.open('bank.db', { synchronous: 'normal', pollIntervalMs: 50 })
   * ```
   */
  static open(path: string, options: OpenSqliteOptions & SqliteEventStoreOptions = {}): SqliteEventStore {
    const connection = openSqlite(path, options)
    try {
      const store = new SqliteEventStore(connection, options)
      store.ownsConnection = true
      return store
    } catch (error) {
      void connection.close()
      throw error
    }
  }

  /**
   * Uses `connection`, creating the event tables on first use. `close()`
   * ends this store's subscriptions and leaves the connection open;
   * closing the connection closes this store too.
   */
  constructor(
    private readonly connection: SqliteConnection,
    { pollIntervalMs = 100, pageSize = 500, readAhead = true, correlationIndex = true }: SqliteEventStoreOptions = {},
  ) {
    if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new RangeError(`pageSize must be a positive integer, got ${pageSize}`)
    if (typeof correlationIndex !== 'boolean') throw new TypeError(`correlationIndex must be true or false, got ${String(correlationIndex)}`)
    const version = connection.migrate(EVENT_SCHEMA_MODULE, EVENT_SCHEMA, { readableFrom: EVENT_SCHEMA_READABLE_FROM })
    if (!connection.readOnly) setCorrelationIndex(connection, correlationIndex)
    this.sql = eventSql(version >= 3)
    this.statements = prepareEventStatements(connection.db, this.sql)
    this.signal = appendSignalOf(connection)
    this.pollIntervalMs = pollIntervalMs
    this.pageSize = pageSize
    this.readAheadFile = readAhead && !connection.db.memory ? mainFileOf(connection) : undefined
    this.appendInTransaction = connection.db.transaction(
      (streamId: string, expected: ExpectedRevision, events: readonly PendingEvent[]) =>
        appendEvents(this.statements, streamId, expected, events),
    ).immediate
    this.unregister = connection.onClose(() => this.stop())
  }

  async appendToStream(
    streamId: string,
    events: readonly EventData[],
    { expectedRevision = 'any' }: AppendOptions = {},
  ): Promise<AppendResult> {
    this.assertOpen()
    const pending = serializeEvents(streamId, events)
    assertDistinctEventIds(pending.map((e) => e.eventId))
    let outcome: AppendOutcome
    try {
      outcome = this.appendInTransaction(streamId, expectedRevision, pending)
    } catch (error) {
      throw translateSqliteError(error, {
        streamId,
        expected: expectedRevision,
        currentRevision: () => this.statements.streamHead.get(streamId)?.revision,
      }, this.connection.path)
    }
    if (outcome.appended) this.signal.notify()
    return { nextRevision: outcome.nextRevision, position: outcome.position }
  }

  /**
   * Reads one stream, a page per query; `pages()` hands each page out in one
   * settled promise. An event's
   * `metadata` is parsed at its first access: a stored metadata payload that
   * is not valid JSON throws a `SerializationError` there, not during the read.
   */
  readStream(streamId: string, options: ReadStreamOptions = {}): EventRead {
    const { direction = 'forwards', maxCount = Number.POSITIVE_INFINITY, readMetadata = true } = options
    const forwards = direction === 'forwards'
    const { statements } = this
    const page = readMetadata
      ? forwards
        ? statements.streamForwards
        : statements.streamBackwards
      : forwards
        ? statements.streamForwardsVersionOnly
        : statements.streamBackwardsVersionOnly
    let from = 0n
    return new PagedEvents<string>({
      start: () => {
        this.assertOpen()
        assertName(streamId, 'streamId')
        const start = options.fromRevision ?? (forwards ? 'start' : 'end')
        if (start === 'start') from = 0n
        else if (start === 'end') {
          const head = this.statements.streamHead.get(streamId)
          if (!head) return false
          from = head.revision
        } else from = start
        return true
      },
      beforePage: this.checkOpen,
      readPage: (limit) => page.all({ streamId, from, limit }),
      afterPage: (last) => {
        const revision = streamRowRevision(last)
        from = forwards ? revision + 1n : revision - 1n
      },
      toEvent: (row) => streamRowToEvent(streamId, row, this.readColumns),
      pageSize: this.pageSize,
      maxCount,
    })
  }

  /** Reads the whole log, as {@link readStream} reads a stream. */
  readAll(options: ReadAllOptions = {}): EventRead {
    const { direction = 'forwards', maxCount = Number.POSITIVE_INFINITY, filter } = options
    const forwards = direction === 'forwards'
    const page = forwards ? this.statements.allForwards : this.statements.allBackwards
    let params: ReturnType<typeof filterParams> | undefined
    let from = 0n
    return new PagedEvents<LogRow>({
      start: () => {
        this.assertOpen()
        const start = options.fromPosition ?? (forwards ? 'start' : 'end')
        // 'start' and 'end' are the first and the last event, inclusive, whichever the direction.
        let first: bigint | null
        if (start === 'start') first = forwards ? 0n : this.statements.firstPosition.get() ?? null
        else if (start === 'end') first = this.statements.headPosition.get() ?? null
        else first = start
        if (first === null) return false
        from = first
        params = filterParams(filter)
        return true
      },
      beforePage: this.checkOpen,
      readPage: (limit) => page.all({ types: params!.types, prefixes: params!.prefixes, from, limit }),
      afterPage: (last) => {
        const position = streamRowPosition(last[1])
        from = forwards ? position + 1n : position - 1n
      },
      toEvent: (row) => logRowToEvent(row, this.readColumns),
      pageSize: this.pageSize,
      maxCount,
    })
  }

  /**
   * The events of one correlation id, in log order, through the index on
   * `metadata.correlationId`; `undefined` when the file has no such index
   * (written by older code and only opened read-only since).
   */
  async readCorrelated(correlationId: string): Promise<EventRead | undefined> {
    this.assertOpen()
    if (!hasCorrelationIndex(this.connection.db)) return undefined
    const page = prepareCorrelated(this.connection.db)
    let after = 0n
    return new PagedEvents<LogRow>({
      start: () => {
        this.assertOpen()
        return true
      },
      beforePage: this.checkOpen,
      readPage: (limit) => page.all({ correlationId, after, limit }),
      afterPage: (last) => {
        after = streamRowPosition(last[1])
      },
      toEvent: (row) => logRowToEvent(row, this.readColumns),
      pageSize: this.pageSize,
      maxCount: Number.POSITIVE_INFINITY,
    })
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    this.assertOpen()
    let readAhead: LogReadAhead | undefined
    // A thread that failed once (the file cannot be opened read-only, …) would fail again: not retried.
    let readAheadFailed = false
    let fullPages = 0
    const endReadAhead = () => {
      if (!readAhead) return
      void readAhead.close()
      readAhead = undefined
      this.readAheadThreads--
    }
    const subscription = pollingSubscription(
      sqlitePollingSource({
        signal: this.signal,
        dataVersion: () => this.statements.dataVersion.get()!,
        readAfter: async (after, limit, filter) => {
          this.assertOpen()
          const from = after === undefined ? 0n : after + 1n
          const query = { limit, ...filterParams(filter) }
          let rows: readonly LogRow[] | undefined = await readAhead?.take(from, query)
          this.assertOpen()
          if (!rows) {
            if (readAhead?.hasFailed) {
              readAheadFailed = true
              endReadAhead()
            }
            rows = this.statements.allForwards.all({ ...query, from })
            fullPages = rows.length === limit ? fullPages + 1 : 0
            // Caught up: no thread is kept while the subscription follows the head.
            if (fullPages === 0) endReadAhead()
            else if (fullPages >= READ_AHEAD_AFTER_PAGES && this.readAheadFile && !readAheadFailed) {
              if (!readAhead && this.readAheadThreads < MAX_READ_AHEAD_THREADS) {
                readAhead = new LogReadAhead({ file: this.readAheadFile, sql: this.sql.allForwards })
                this.readAheadThreads++
              }
              readAhead?.start(streamRowPosition(rows[rows.length - 1]![1]) + 1n, query)
            }
          }
          return rows.map((row) => logRowToEvent(row, this.readColumns))
        },
        headPosition: () => this.head(),
      }),
      {
        ...options,
        pollIntervalMs: this.pollIntervalMs,
        batchSize: this.pageSize,
        onEnd: () => {
          this.subscriptions.delete(subscription)
          endReadAhead()
        },
      },
    )
    this.subscriptions.add(subscription)
    return subscription
  }

  async streamRevision(streamId: string): Promise<bigint | undefined> {
    this.assertOpen()
    assertName(streamId, 'streamId')
    return this.statements.streamHead.get(streamId)?.revision
  }

  async headPosition(): Promise<bigint | undefined> {
    this.assertOpen()
    return this.head()
  }

  /**
   * Ends this store's subscriptions and refuses further use. Closes the
   * connection only when the store opened it ({@link SqliteEventStore.open}).
   */
  async close(): Promise<void> {
    await this.stop()
    if (this.ownsConnection) await this.connection.close()
  }

  private stop(): Promise<void> {
    this.shutdown ??= (async () => {
      this.unregister()
      await Promise.all([...this.subscriptions].map((s) => s.close()))
    })()
    return this.shutdown
  }

  private head(): bigint | undefined {
    return this.statements.headPosition.get() ?? undefined
  }

  private readonly checkOpen = (): void => this.assertOpen()

  private readonly readColumns: ReadColumns = (position) => {
    this.assertOpen()
    return this.statements.columnsAt.get(position)
  }

  private assertOpen(): void {
    if (this.shutdown || !this.connection.isOpen) throw new StoreClosedError('SqliteEventStore')
  }
}

/**
 * The absolute name of the connection's file, as SQLite resolved it when it
 * opened it (a relative name given then may mean another file now).
 */
const mainFileOf = (connection: SqliteConnection): string | undefined => {
  const databases = connection.db.pragma('database_list') as { name: string; file: string }[]
  return databases.find((d) => d.name === 'main')?.file || undefined
}
