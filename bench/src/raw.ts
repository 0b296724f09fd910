import { randomUUID } from 'node:crypto'
import Database from 'better-sqlite3'
import {
  assertNextSeq,
  entryData,
  eventTypeOf,
  evolveLedger,
  initialLedger,
  OPENED,
  RECORDED,
  ledgerId,
  streamIdOf,
  type EntryFields,
  type LedgerState,
} from './domain'
import {
  BenchCheckError,
  eventsOf,
  observeSettings,
  type ObservedSettings,
  type Prepared,
  type Side,
  type Size,
  type Synchronous,
  type WorkloadId,
} from './workload'

/**
 * The limit: the same workloads written directly against better-sqlite3, as a
 * careful hand-written event store would do them. Prepared statements, rows
 * as arrays, one transaction per append, and the same bytes stored as
 * eventfold stores (data and metadata as JSON text, a v4 event id, the
 * correlation and causation ids of a command, an ISO timestamp).
 */

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position  INTEGER PRIMARY KEY AUTOINCREMENT,
  stream_id TEXT    NOT NULL,
  revision  INTEGER NOT NULL,
  type      TEXT    NOT NULL,
  data      TEXT    NOT NULL,
  metadata  TEXT    NOT NULL,
  UNIQUE (stream_id, revision)
)`

/**
 * The two indexes eventfold's log keeps and the limit does not: event ids are
 * unique (idempotent retries), and events are found by correlation id
 * (`eventfold trace`), the same expression index as the SQLite store's.
 */
const LOG_INDEXES = `
ALTER TABLE events ADD COLUMN event_id TEXT;
CREATE UNIQUE INDEX IF NOT EXISTS events_event_id ON events (event_id);
CREATE INDEX IF NOT EXISTS events_correlation
  ON events ((CASE WHEN json_valid(metadata) THEN json_extract(metadata, '$.correlationId') END))
  WHERE (CASE WHEN json_valid(metadata) THEN json_extract(metadata, '$.correlationId') END) IS NOT NULL`

const observed = new Map<Synchronous, ObservedSettings>()

/** Opens a connection with the same durability settings as the eventfold side. */
const openRaw = (file: string, synchronous: Synchronous, logIndexes = false): Database.Database => {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${synchronous}`)
  db.exec(SCHEMA)
  if (logIndexes && !db.prepare('SELECT 1 FROM pragma_table_info(?) WHERE name = ?').get('events', 'event_id')) db.exec(LOG_INDEXES)
  observed.set(synchronous, observeSettings(db))
  return db
}

// Time-ordered ids, as eventfold's are, so that the unique index grows at its right edge.
let idCounter = 0
export const orderedId = (): string => `${(Date.now() * 4096 + (idCounter++ % 4096)).toString(16).padStart(14, '0')}-${randomUUID().slice(15)}`

const NO_STREAM = -1
/** Rows per query when reading the log: the adapter's default page size. */
const PAGE_SIZE = 500

class ConflictError extends Error {}

interface Row {
  readonly eventId: string
  readonly type: string
  readonly data: string
  readonly metadata: string
}

/** The write path: one transaction that checks the stream's head, then inserts (the event id too, with the log's indexes). */
const appender = (db: Database.Database, logIndexes: boolean) => {
  const head = db.prepare<[string], number | null>('SELECT max(revision) FROM events WHERE stream_id = ?').pluck()
  const insert = logIndexes
    ? db.prepare('INSERT INTO events (stream_id, revision, type, data, metadata, event_id) VALUES (?, ?, ?, ?, ?, ?)')
    : db.prepare('INSERT INTO events (stream_id, revision, type, data, metadata) VALUES (?, ?, ?, ?, ?)')
  return db.transaction((streamId: string, expected: number, rows: readonly Row[]): number => {
    const actual = head.get(streamId) ?? NO_STREAM
    if (actual !== expected) throw new ConflictError(`${streamId}: expected ${expected}, at ${actual}`)
    let revision = expected
    if (logIndexes) for (const r of rows) insert.run(streamId, ++revision, r.type, r.data, r.metadata, r.eventId)
    else for (const r of rows) insert.run(streamId, ++revision, r.type, r.data, r.metadata)
    return revision
  }).immediate
}

/** Reads one stream and folds it: what a load does. Returns the state and the head revision. */
const loader = (db: Database.Database) => {
  const select = db.prepare<[string], [number, string]>('SELECT revision, data FROM events WHERE stream_id = ? ORDER BY revision').raw()
  return (streamId: string): { state: LedgerState; revision: number } => {
    const state = initialLedger()
    let revision = NO_STREAM
    for (const [rev, data] of select.all(streamId)) {
      evolveLedger(state, JSON.parse(data) as EntryFields)
      revision = rev
    }
    return { state, revision }
  }
}

/**
 * {@link loader} as a store with more than one event type must fold: the type
 * read beside the data and each event dispatched on it. The limit's own
 * loader skips both, since every ledger event evolves the state alike.
 */
const typedLoader = (db: Database.Database, workload: WorkloadId) => {
  const select = db.prepare<[string], [number, string, string]>('SELECT revision, type, data FROM events WHERE stream_id = ? ORDER BY revision').raw()
  return (streamId: string): { state: LedgerState; revision: number } => {
    const state = initialLedger()
    let revision = NO_STREAM
    for (const [rev, type, data] of select.all(streamId)) {
      if (type !== OPENED && type !== RECORDED) throw new BenchCheckError('raw', workload, `${streamId}: unknown event type ${type}`)
      evolveLedger(state, JSON.parse(data) as EntryFields)
      revision = rev
    }
    return { state, revision }
  }
}

/** W3 on a raw connection: every ledger loaded with `loadWith`'s loader, its entries checked. */
const rehydration = (file: string, size: Size, synchronous: Synchronous, loadWith: typeof typedLoader): Prepared => {
  const db = openRaw(file, synchronous)
  const load = loadWith(db, 'W3')
  return {
    close: closer(db),
    async run(progress) {
      let done = 0
      for (let s = 0; s < size.streams; s++) {
        const { state } = load(streamIdOf(ledgerId(s)))
        if (state.entries !== size.eventsPerStream) throw new BenchCheckError('raw', 'W3', `${ledgerId(s)} has ${state.entries} entries`)
        progress((done += state.entries))
      }
      return done
    },
  }
}

/** W3 on the raw side with {@link typedLoader}: what reading and dispatching on the event type costs the limit. */
export const rawTypedRehydrate = async (file: string, size: Size, synchronous: Synchronous): Promise<Prepared> =>
  rehydration(file, size, synchronous, typedLoader)

const closer = (db: Database.Database) => async (): Promise<void> => {
  db.close()
}

/** What the limit does beyond its bare work, to match the log's. */
export interface RawSideOptions {
  /** Keeps the two indexes of eventfold's log (see {@link LOG_INDEXES}). */
  readonly logIndexes: boolean
  /** Loads read the event type and dispatch on it ({@link typedLoader}), as a log with several types must. */
  readonly typedLoads: boolean
}

/** The limit, bare or with what {@link RawSideOptions} adds. */
export const makeRawSide = ({ logIndexes, typedLoads }: RawSideOptions): Side => ({
  name: 'raw',
  observed,

  async commands(file: string, size: Size, synchronous: Synchronous): Promise<Prepared> {
    const db = openRaw(file, synchronous, logIndexes)
    const append = appender(db, logIndexes)
    const load = (typedLoads ? typedLoader : loader)(db, 'W1')
    return {
      close: closer(db),
      async run(progress) {
        let done = 0
        // Round robin over the streams, as many independent clients would.
        for (let seq = 0; seq < size.eventsPerStream; seq++) {
          for (let s = 0; s < size.streams; s++) {
            const id = ledgerId(s)
            const streamId = streamIdOf(id)
            const command = entryData(id, seq)
            const commandId = randomUUID()
            const { state, revision } = load(streamId)
            if ((seq === 0) !== (revision === NO_STREAM)) throw new BenchCheckError('raw', 'W1', `${streamId} at ${revision} before ${seq}`)
            assertNextSeq(state, command.seq)
            const metadata = {
              correlationId: commandId,
              causationId: commandId,
              schemaVersion: 1,
              eventId: logIndexes ? orderedId() : randomUUID(),
              occurredAt: new Date().toISOString(),
            }
            append(streamId, revision, [{ eventId: metadata.eventId, type: eventTypeOf(seq), data: JSON.stringify(command), metadata: JSON.stringify(metadata) }])
            progress(++done)
          }
        }
        return done
      },
    }
  },

  async batches(file: string, size: Size, synchronous: Synchronous): Promise<Prepared> {
    const db = openRaw(file, synchronous, logIndexes)
    const append = appender(db, logIndexes)
    return {
      close: closer(db),
      async run(progress) {
        let done = 0
        for (let s = 0; s < size.streams; s++) {
          const id = ledgerId(s)
          const occurredAt = new Date().toISOString()
          const rows: Row[] = []
          for (let seq = 0; seq < size.eventsPerStream; seq++) {
            const eventId = logIndexes ? orderedId() : randomUUID()
            rows.push({
              type: eventTypeOf(seq),
              data: JSON.stringify(entryData(id, seq)),
              eventId,
              metadata: JSON.stringify({ eventId, occurredAt, schemaVersion: 1 }),
            })
          }
          append(streamIdOf(id), NO_STREAM, rows)
          progress((done += rows.length))
        }
        return done
      },
    }
  },

  async rehydrate(file: string, size: Size, synchronous: Synchronous): Promise<Prepared> {
    return rehydration(file, size, synchronous, typedLoads ? typedLoader : loader)
  },

  async readAll(file: string, size: Size, synchronous: Synchronous): Promise<Prepared> {
    const db = openRaw(file, synchronous)
    // Keyset pages fetched with all(): measured ~12% faster here than iterate(), which crosses into
    // the driver once per row (and pages keep a writer unblocked between two pages, as a real reader must).
    const page = db
      .prepare<[number, number], [number, string, number, string, string, string]>(
        'SELECT position, stream_id, revision, type, data, metadata FROM events WHERE position > ? ORDER BY position LIMIT ?',
      )
      .raw()
    return {
      close: closer(db),
      async run(progress) {
        let done = 0
        let last = 0
        for (;;) {
          const rows = page.all(last, PAGE_SIZE)
          for (const [position, streamId, revision, type, data, metadata] of rows) {
            // What a reader of the log gets: every field, payloads parsed.
            const event = { position, streamId, revision, type, data: JSON.parse(data) as unknown, metadata: JSON.parse(metadata) as unknown }
            if (event.position <= last) throw new BenchCheckError('raw', 'W4', `position ${event.position} after ${last}`)
            last = event.position
            progress(++done)
          }
          if (rows.length < PAGE_SIZE) break
        }
        if (done !== eventsOf(size)) throw new BenchCheckError('raw', 'W4', `read ${done} events`)
        return done
      },
    }
  },
})

/** The limit: what the workloads cost written directly against the driver. */
export const rawSide: Side = makeRawSide({ logIndexes: false, typedLoads: false })

/** The limit with the log's two indexes: what eventfold costs beyond the work its storage guarantees need. */
export const rawSideWithLogIndexes: Side = makeRawSide({ logIndexes: true, typedLoads: false })
