import { inspect } from 'node:util'
import { createHash } from 'node:crypto'
import {
  ConcurrencyError,
  StoreClosedError,
  ValidationError,
  type AppendOptions,
  type AppendResult,
  type EventData,
  type EventFilter,
  type EventStore,
  type ExpectedRevision,
  type EventRead,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
  type Subscription,
} from '@eventfold/core'
import {
  AppendSignal,
  assertName,
  assertDistinctEventIds,
  assertExpectedRevision,
  findIdempotentAppend,
  eventRead,
  pollingSubscription,
  serializeEvents,
  type CorrelationLookup,
  type StoredEventRef,
} from '@eventfold/core/spi'
import type pg from 'pg'
import { MAX_IDENTIFIER_BYTES, quoteIdent } from '../pg/identifiers'
import { checkSchema, migrate } from '../pg/migrate'
import { PostgresReadOnlyError } from '../pg/schema-errors'
import { warn } from '../pg/warn'
import { clientConfigOf, inspectStore, resolvePool, type PostgresSource } from '../pg/pool'
import { AppendListener } from './append-listener'
import { isAppendConflict, RETRY_APPEND, translateAppendError } from './append-errors'
import { CORRELATION_INDEX, CORRELATION_SCHEMA, EVENT_SCHEMA } from './event-schema'
import { appendElements, EventSql, STREAM_ROW_REVISION, streamRowToEvent, toRecordedEvent, versionOnlyRowToEvent, type AppendRow, type EventRow, type ForwardPageRow, type StreamRow } from './event-sql'
import { readPages } from './paged-read'
import { postgresPollingSource, type SubscriptionPage } from './polling-source'
import { MAX_EVENTS_PER_APPEND } from './position'
import { settledBound, type SnapshotMarks } from './visibility'

/** Options of {@link PostgresEventStore}. */
export interface PostgresEventStoreOptions {
  /** Schema of the event table; created on first use when missing (unless `readOnly`). @default 'public' */
  readonly schema?: string
  /**
   * Wake subscribers with LISTEN/NOTIFY: every append notifies the store's
   * channel at commit, and each store that has subscriptions listens on one
   * dedicated connection (outside the pool). Without it, subscribers in
   * other processes see appends at their next poll.
   * @default true
   */
  readonly notifications?: boolean
  /**
   * How long a caught-up subscription waits for a wake-up before it reads
   * again anyway: the fallback when a notification is lost or the listening
   * connection is down.
   * @default 250
   */
  readonly pollIntervalMs?: number
  /** Rows fetched per query by reads and subscriptions; memory holds one page per open read. @default 500 */
  readonly pageSize?: number
  /**
   * How long `readAll` and `headPosition` wait for the transactions that were
   * in flight when they were called (so that they see every append committed
   * before the call). After it they read up to the safe bound of the moment:
   * never past an event that could still appear below it, possibly behind
   * the newest commits.
   * @default 5000
   */
  readonly settleTimeoutMs?: number
  /**
   * Told about failures the store recovers from by itself: the listening
   * connection lost (it reconnects), an idle client of a pool the store
   * opened failing (the pool replaces it).
   * @default process.emitWarning
   */
  readonly onError?: (error: unknown) => void
  /**
   * Open the log for reading only, as the CLI's read commands do: the store
   * creates and migrates nothing, checks that the event table exists at the
   * version this code expects, and refuses `appendToStream` before sending anything.
   * The sessions of a pool the store opens are read-only too (`default_transaction_read_only`).
   * @default false
   */
  readonly readOnly?: boolean
  /**
   * Keep the index on `metadata ->> 'correlationId'` that `readCorrelated`
   * (and `eventfold trace`) use. It costs every append one more index insert;
   * `false` drops it when the store starts, and trace then scans the log. A
   * store started with `true` again rebuilds it. Give every writer of the
   * schema the same value.
   * @default true
   */
  readonly correlationIndex?: boolean
}

/** How many times an append that keeps losing races its expected revision allows is run before giving up. */
const MAX_APPEND_ATTEMPTS = 100

/**
 * The {@link EventStore} on PostgreSQL (`pg`). Events are rows of
 * `<schema>.eventfold_events`; an append is one statement, hence one
 * transaction, checked against the expected revision by the database (the
 * unique index on (stream, revision) decides races).
 *
 * **No reader ever skips an event.** A position is made from the id of the
 * transaction that appended it (`xid × 2^20 + index`), and readers of the
 * log only return events below the oldest transaction still running: an
 * append still open, however slow, can only ever commit above what a reader
 * has already handed out. See the package README for the argument.
 *
 * Subscribers are woken by LISTEN/NOTIFY and poll as a fallback.
 * @example
 * ```ts
 * const events = new PostgresEventStore(process.env.POSTGRES_URL!)
 * await events.appendToStream('Account-1', [{ type: 'Opened', data: { owner: 'Ann' } }], { expectedRevision: 'no_stream' })
 * for await (const e of events.readStream('Account-1')) console.log(e.revision, e.type)
 * await events.close()
 * ```
 */
export class PostgresEventStore implements EventStore, CorrelationLookup {
  private readonly pool: pg.Pool
  private readonly ownsPool: boolean
  private readonly schema: string
  private readonly sql: EventSql
  private readonly channel: string | undefined
  private readonly signal = new AppendSignal()
  private readonly subscriptions = new Set<Subscription>()
  private readonly listener: AppendListener | undefined
  private readonly pollIntervalMs: number
  private readonly pageSize: number
  private readonly settleTimeoutMs: number
  private readonly readOnly: boolean
  private readonly correlationIndex: boolean
  /** Snapshots that `'end'` subscriptions are taking: appends wait for them, so that they come after. */
  private readonly marking = new Set<Promise<void>>()
  private migrated: Promise<void> | undefined
  private closed = false
  private shutdown: Promise<void> | undefined

  /**
   * @param source a `pg.Pool` to borrow (the store never ends it), or a
   * connection string or pool config for a pool of its own (ended by `close()`).
   */
  constructor(
    source: PostgresSource,
    {
      schema = 'public',
      notifications = true,
      pollIntervalMs = 250,
      pageSize = 500,
      settleTimeoutMs = 5000,
      onError = warn,
      readOnly = false,
      correlationIndex = true,
    }: PostgresEventStoreOptions = {},
  ) {
    if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new RangeError(`pageSize must be a positive integer, got ${pageSize}`)
    if (!(pollIntervalMs > 0)) throw new RangeError(`pollIntervalMs must be positive, got ${pollIntervalMs}`)
    if (schema.length === 0) throw new RangeError('schema must not be empty')
    if (typeof correlationIndex !== 'boolean') throw new TypeError(`correlationIndex must be true or false, got ${String(correlationIndex)}`)
    const { pool, owned } = resolvePool(source, onError, { readOnly })
    this.pool = pool
    this.ownsPool = owned
    this.schema = schema
    this.sql = new EventSql(quoteIdent(schema))
    this.pollIntervalMs = pollIntervalMs
    this.pageSize = pageSize
    this.settleTimeoutMs = settleTimeoutMs
    this.readOnly = readOnly
    this.correlationIndex = correlationIndex
    this.channel = notifications ? channelOf(schema) : undefined
    const client = notifications ? clientConfigOf(pool) : undefined
    this.listener =
      this.channel && client ? new AppendListener({ client, channel: this.channel, signal: this.signal, onError }) : undefined
  }

  [inspect.custom](): string {
    return inspectStore('PostgresEventStore', this.schema)
  }

  async appendToStream(
    streamId: string,
    events: readonly EventData[],
    { expectedRevision = 'any' }: AppendOptions = {},
  ): Promise<AppendResult> {
    this.assertOpen()
    if (this.readOnly) throw new PostgresReadOnlyError('PostgresEventStore', this.schema, 'appendToStream')
    const prepared = serializeEvents(streamId, events)
    const ids = prepared.map((e) => e.eventId)
    assertDistinctEventIds(ids)
    if (prepared.length > MAX_EVENTS_PER_APPEND) {
      throw new ValidationError(`An append holds at most ${MAX_EVENTS_PER_APPEND} events, got ${prepared.length}: split it`)
    }
    await this.ready()
    if (this.marking.size > 0) await Promise.all(this.marking)
    if (prepared.length === 0) return this.appendNothing(streamId, expectedRevision)
    const json = appendElements(prepared)
    for (let attempt = 1; ; attempt++) {
      let failure: unknown
      try {
        const [row] = await this.rows<AppendRow>(this.sql.append(streamId, expectedRevision, json, this.channel))
        if (row && row.appended > 0n) {
          this.signal.notify()
          return { nextRevision: row.revision!, position: row.position! }
        }
      } catch (error) {
        if (!isAppendConflict(error)) throw translateAppendError(error)
        failure = error
      }
      // Refused: a retry of an append that succeeded, a stale expected
      // revision, ids stored elsewhere, or a race lost that the expected
      // revision allows. The facts are read after the refusal.
      const stored = await this.storedEvents(ids)
      const retried = findIdempotentAppend(streamId, expectedRevision, ids, (id) => stored.get(id))
      if (retried) return retried
      const actual = await this.revisionOf(streamId)
      const outcome = translateAppendError(failure, { streamId, expected: expectedRevision, actual, storedIds: [...stored.keys()] })
      if (outcome !== RETRY_APPEND) throw outcome
      if (attempt === MAX_APPEND_ATTEMPTS) throw new ConcurrencyError(streamId, expectedRevision, actual, { cause: failure })
    }
  }

  /**
   * Reads one stream, a page per query: the repository folds it a page at a
   * time, one await per page instead of one per event.
   */
  readStream(streamId: string, options: ReadStreamOptions = {}): EventRead {
    return eventRead(() => this.streamPages(streamId, options))
  }

  private async *streamPages(streamId: string, options: ReadStreamOptions): AsyncGenerator<readonly RecordedEvent[]> {
    this.assertOpen()
    assertName(streamId, 'streamId')
    await this.ready()
    const { direction = 'forwards', maxCount = Number.POSITIVE_INFINITY, readMetadata = true } = options
    const forwards = direction === 'forwards'
    const start = options.fromRevision ?? (forwards ? 'start' : 'end')
    let from: bigint
    if (start === 'start') from = 0n
    else if (start === 'end') {
      const head = (await this.rows<{ revision: bigint }>(this.sql.streamHead(streamId)))[0]
      if (!head) return
      from = head.revision
    } else from = start
    const pages = readPages(
      async (limit) => {
        const query = forwards
          ? this.sql.streamForwards(streamId, from, limit, readMetadata)
          : this.sql.streamBackwards(streamId, from, limit, readMetadata)
        // Rows as arrays: the driver builds no object per row.
        return (await this.pool.query<StreamRow>({ ...query, rowMode: 'array' })).rows
      },
      (last) => (from = forwards ? last[STREAM_ROW_REVISION] + 1n : last[STREAM_ROW_REVISION] - 1n),
      { pageSize: this.pageSize, maxCount, beforePage: () => this.assertOpen() },
    )
    const toEvent = readMetadata ? streamRowToEvent : versionOnlyRowToEvent
    for await (const rows of pages) yield rows.map((row) => toEvent(streamId, row))
  }

  /**
   * Reads the log in global order. It first waits (up to `settleTimeoutMs`)
   * for the appends in flight when it was called, so it returns everything
   * committed before the call, then reads only below the safe bound: what
   * it returns is never followed later by an event at a lower position.
   */
  readAll(options: ReadAllOptions = {}): EventRead {
    return eventRead(() => this.logPages(options))
  }

  private async *logPages(options: ReadAllOptions): AsyncGenerator<readonly RecordedEvent[]> {
    this.assertOpen()
    await this.ready()
    const { direction = 'forwards', maxCount = Number.POSITIVE_INFINITY, filter } = options
    const forwards = direction === 'forwards'
    const start = options.fromPosition ?? (forwards ? 'start' : 'end')
    const bound = await this.settle()
    // 'start' and 'end' are the first and the last event, inclusive, whichever the direction.
    let from: bigint | undefined
    if (start === 'end') from = await this.positionOf(this.sql.lastBelow(bound))
    else if (start === 'start') from = forwards ? 0n : await this.positionOf(this.sql.firstBelow(bound))
    else from = start
    if (from === undefined) return
    if (forwards) {
      let after = from - 1n
      const pages = readPages(
        async (limit) => (await this.pageAfter(after, limit, filter)).events,
        (last) => (after = last.position),
        { pageSize: this.pageSize, maxCount, beforePage: () => this.assertOpen() },
      )
      yield* pages
      return
    }
    let before = from
    const pages = readPages(
      (limit) => this.rows<EventRow>(this.sql.pageBackwards(before, bound, limit, filter)),
      (last) => (before = last.position - 1n),
      { pageSize: this.pageSize, maxCount, beforePage: () => this.assertOpen() },
    )
    for await (const rows of pages) yield rows.map(toRecordedEvent)
  }

  /**
   * The events of one correlation id, in log order, through the index on
   * `metadata ->> 'correlationId'`; `undefined` when the schema has no such
   * index (written by older code and only read by read-only stores since).
   */
  async readCorrelated(correlationId: string): Promise<EventRead | undefined> {
    this.assertOpen()
    await this.ready()
    const [index] = await this.rows<{ present: boolean }>(this.sql.correlationIndex(quoteIdent(this.schema)))
    if (!index?.present) return undefined
    return eventRead(() => this.correlatedPages(correlationId))
  }

  private async *correlatedPages(correlationId: string): AsyncGenerator<readonly RecordedEvent[]> {
    let after = -1n
    const pages = readPages(
      (limit) => this.rows<EventRow>(this.sql.correlatedAfter(correlationId, after, limit)),
      (last) => (after = last.position),
      { pageSize: this.pageSize, maxCount: Number.POSITIVE_INFINITY, beforePage: () => this.assertOpen() },
    )
    for await (const rows of pages) yield rows.map(toRecordedEvent)
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    this.assertOpen()
    this.listener?.start()
    const subscription = pollingSubscription(
      postgresPollingSource({
        signal: this.signal,
        startsAtEnd: options.fromPosition === 'end',
        readPage: async (after, limit, filter) => {
          await this.ready()
          return this.pageAfter(after ?? -1n, limit, filter)
        },
        safeHead: async () => {
          await this.ready()
          return this.positionOf(this.sql.safeHead())
        },
        settledHead: () => this.settledHead(true),
      }),
      {
        ...options,
        pollIntervalMs: this.pollIntervalMs,
        batchSize: this.pageSize,
        onEnd: () => this.subscriptions.delete(subscription),
      },
    )
    this.subscriptions.add(subscription)
    return subscription
  }

  async streamRevision(streamId: string): Promise<bigint | undefined> {
    this.assertOpen()
    assertName(streamId, 'streamId')
    await this.ready()
    return this.revisionOf(streamId)
  }

  /**
   * The last event of the log as of the call: it waits (up to
   * `settleTimeoutMs`) for the appends in flight when it was called, so
   * every append committed before the call is at or below it, and no event
   * can appear below it later.
   */
  async headPosition(): Promise<bigint | undefined> {
    this.assertOpen()
    return this.settledHead(false)
  }

  /**
   * Creates the schema and the event table when they are missing (read-only:
   * checks they are there). Every other method does it on first use; call it
   * to fail fast at startup.
   * @throws {@link PostgresSchemaMissingError} read-only, when the event table is missing or at another version.
   * @throws Error when the log holds positions from transaction ids this
   * server has not given out yet: a log restored into another cluster (see README).
   */
  async ready(): Promise<void> {
    this.migrated ??= this.migrate().catch((error: unknown) => {
      this.migrated = undefined
      throw error
    })
    return this.migrated
  }

  /** Ends the subscriptions, stops listening, and ends the pool when the store opened it. Harmless twice. */
  async close(): Promise<void> {
    this.closed = true
    this.shutdown ??= (async () => {
      await Promise.all([...this.subscriptions].map((s) => s.close()))
      await this.listener?.stop()
      if (this.ownsPool) await this.pool.end()
    })()
    return this.shutdown
  }

  private async migrate(): Promise<void> {
    if (this.readOnly) await checkSchema(this.pool, this.schema, EVENT_SCHEMA)
    else {
      await migrate(this.pool, this.schema, EVENT_SCHEMA)
      await this.setCorrelationIndex()
    }
    const [check] = await this.rows<{ last: string | null; next: string }>(this.sql.transactionCheck())
    if (check?.last != null && BigInt(check.last) >= BigInt(check.next)) {
      throw new Error(
        `The event log in schema '${this.schema}' holds positions of transaction ${check.last}, but this server gives out ` +
          `transaction ids from ${check.next}: the log was restored into another cluster. New events would get lower ` +
          'positions than stored ones and subscribers would skip them. Advance the transaction id (pg_resetwal -x) past ' +
          `${check.last} before appending.`,
      )
    }
  }

  /** Creates or drops the correlation index; the catalog is read first, as both statements lock the table. */
  private async setCorrelationIndex(): Promise<void> {
    const present = async (): Promise<boolean> =>
      (await this.rows<{ present: boolean }>(this.sql.correlationIndex(quoteIdent(this.schema))))[0]?.present === true
    if (!this.correlationIndex) {
      if (await present()) await this.pool.query(`DROP INDEX IF EXISTS ${quoteIdent(this.schema)}.${CORRELATION_INDEX}`)
      return
    }
    // A module of its own: read-only stores on schemas that older code wrote still open, and scan for correlation ids.
    await migrate(this.pool, this.schema, CORRELATION_SCHEMA)
    // The module is recorded once; a schema whose index was dropped since gets it back from the same statement.
    if (await present()) return
    for (const step of CORRELATION_SCHEMA.steps) {
      // Two stores starting at once may both create it: the loser's catalog insert fails, and the index is there.
      await this.pool.query(step(quoteIdent(this.schema))).catch((error: unknown) => {
        if (!isCreateRace(error)) throw error
      })
    }
  }

  private async appendNothing(streamId: string, expected: ExpectedRevision): Promise<AppendResult> {
    const [head] = await this.rows<{ revision: bigint; position: bigint }>(this.sql.streamHead(streamId))
    assertExpectedRevision(streamId, expected, head?.revision)
    if (!head) throw new ValidationError(`Cannot append no events to the missing stream '${streamId}'`)
    return { nextRevision: head.revision, position: head.position }
  }

  private async storedEvents(ids: readonly string[]): Promise<Map<string, StoredEventRef>> {
    const rows = await this.rows<{ event_id: string; stream_id: string; revision: bigint; position: bigint }>(this.sql.byEventIds(ids))
    return new Map(rows.map((r) => [r.event_id, { streamId: r.stream_id, revision: r.revision, position: r.position }]))
  }

  private async revisionOf(streamId: string): Promise<bigint | undefined> {
    return (await this.rows<{ revision: bigint }>(this.sql.streamHead(streamId)))[0]?.revision
  }

  private async pageAfter(after: bigint, limit: number, filter: EventFilter | undefined): Promise<SubscriptionPage> {
    const rows = await this.rows<ForwardPageRow>(this.sql.pageAfter(after, limit, filter))
    const events = rows.filter((r) => r.position != null).map((r) => toRecordedEvent(r as EventRow))
    return { events, held: rows[0]?.held ?? false }
  }

  /** {@link settledBound} of this store; `track` makes appends of this store wait until its first snapshot is taken. */
  private async settledHead(track: boolean): Promise<bigint | undefined> {
    let marked!: () => void
    const taken = new Promise<void>((resolve) => (marked = resolve))
    if (track) {
      this.marking.add(taken)
      void taken.then(() => this.marking.delete(taken))
    }
    try {
      await this.ready()
      const bound = await this.settle(marked)
      return await this.positionOf(this.sql.lastBelow(bound))
    } finally {
      marked()
    }
  }

  private settle(onMarked?: () => void): Promise<bigint> {
    return settledBound({
      readMarks: async () => (await this.rows<SnapshotMarks>(this.sql.snapshot()))[0]!,
      timeoutMs: this.settleTimeoutMs,
      cancelled: () => this.closed,
      ...(onMarked ? { onMarked } : {}),
    })
  }

  private async positionOf(query: pg.QueryConfig): Promise<bigint | undefined> {
    return (await this.rows<{ position: bigint | null }>(query))[0]?.position ?? undefined
  }

  private async rows<Row extends object>(query: pg.QueryConfig): Promise<Row[]> {
    return (await this.pool.query<Row>(query)).rows
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError('PostgresEventStore')
  }
}

/**
 * The NOTIFY channel of the event table in `schema`. Channel names are
 * identifiers, at most 63 bytes: a long schema name is replaced by its hash.
 */
export const channelOf = (schema: string): string => {
  const channel = `eventfold_events:${schema}`
  if (Buffer.byteLength(channel) <= MAX_IDENTIFIER_BYTES) return channel
  return `eventfold_events:${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`
}

/** A concurrent `CREATE INDEX IF NOT EXISTS` that lost to another on the catalog. */
const isCreateRace = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code
  return code === '23505' || code === '42P07'
}
