import { randomUUID } from 'node:crypto'
import { PostgresEventStore } from '@eventfold/postgresql'
import pg from 'pg'
import {
  assertNextSeq,
  entryData,
  eventTypeOf,
  evolveLedger,
  initialLedger,
  ledgerId,
  streamIdOf,
  type EntryFields,
  type LedgerState,
} from './domain'
import { eventfoldWorkloads, type OpenedStore } from './eventfold-workloads'
import { BenchCheckError, eventsOf, type Prepared, type AggregateStyle, type Size } from './workload'

/**
 * W1-W4 on PostgreSQL: `@eventfold/postgresql`'s `PostgresEventStore`
 * against the limit, the same workloads written by hand on `pg`. Each side
 * works in a schema of its own, created before the timed part and dropped
 * after the workload.
 */

export interface PgSide {
  readonly name: 'eventfold' | 'raw'
  commands(url: string, schema: string, size: Size): Promise<Prepared>
  batches(url: string, schema: string, size: Size): Promise<Prepared>
  rehydrate(url: string, schema: string, size: Size, style: AggregateStyle): Promise<Prepared>
  readAll(url: string, schema: string, size: Size): Promise<Prepared>
}

/** Creates and drops the benchmark's schemas. */
export class PgSchemas {
  private readonly pool: pg.Pool
  private readonly created = new Set<string>()
  private n = 0
  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 1 })
  }
  /** A fresh, unique schema name (`eventfold_bench_<pid>_<n>`); not created (the stores create theirs). */
  fresh(): string {
    const name = `eventfold_bench_${process.pid}_${++this.n}`
    this.created.add(name)
    return name
  }
  async drop(schema: string): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    this.created.delete(schema)
  }
  /** The server's version and the settings that decide what a commit costs. */
  async server(): Promise<{ version: string; settings: Record<string, string> }> {
    const version = String((await this.pool.query('SHOW server_version')).rows[0].server_version)
    const rows = (
      await this.pool.query<{ name: string; setting: string }>(
        `SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'wal_level')`,
      )
    ).rows
    return { version, settings: Object.fromEntries(rows.map((r) => [r.name, r.setting])) }
  }
  /** Drops every schema still there, then ends the pool. */
  async close(): Promise<void> {
    for (const s of [...this.created]) await this.drop(s)
    await this.pool.end()
  }
}

// ── eventfold ────────────────────────────────────────────────────────────────

/** The store as an application opens it, on a pool of its own; the schema is created before timing. */
const openStore = async (url: string, schema: string): Promise<OpenedStore> => {
  const store = new PostgresEventStore(url, { schema })
  await store.ready()
  return { eventStore: store, close: () => store.close() }
}

export const pgEventfoldSide: PgSide = {
  name: 'eventfold',
  commands: (url, schema, size) => eventfoldWorkloads.commands(() => openStore(url, schema), size),
  batches: (url, schema, size) => eventfoldWorkloads.batches(() => openStore(url, schema), size),
  rehydrate: (url, schema, size, style) => eventfoldWorkloads.rehydrate(() => openStore(url, schema), size, style),
  readAll: (url, schema, size) => eventfoldWorkloads.readAll(() => openStore(url, schema), size),
}

// ── raw pg: the limit ────────────────────────────────────────────────────────

/**
 * A careful hand-written event store on `pg`: a bigserial position, the
 * stream index as the optimistic lock, jsonb payloads (the same bytes as
 * eventfold stores, the same JSON metadata fields), named (server-side
 * prepared) statements, and each append one statement, so one round trip and
 * one implicit transaction, with the head check inside it. What it does not
 * do, and eventfold does: the event-id index for idempotent retries, and
 * positions that a reader can never see out of commit order (a bigserial can
 * commit a lower position after a higher one is read).
 */
const rawSchema = (schema: string) => `
CREATE SCHEMA IF NOT EXISTS "${schema}";
CREATE TABLE IF NOT EXISTS "${schema}".events (
  position  bigserial PRIMARY KEY,
  stream_id text COLLATE "C" NOT NULL,
  revision  bigint NOT NULL,
  type      text COLLATE "C" NOT NULL,
  data      jsonb NOT NULL,
  metadata  jsonb NOT NULL,
  UNIQUE (stream_id, revision)
)`

const PAGE_SIZE = 500

class RawPg {
  readonly client: pg.Client
  private constructor(
    client: pg.Client,
    private readonly schema: string,
  ) {
    this.client = client
  }
  static async open(url: string, schema: string): Promise<RawPg> {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    await client.query(rawSchema(schema))
    return new RawPg(client, schema)
  }
  private get t(): string {
    return `"${this.schema}".events`
  }

  /** Appends `events` after `expected` (-1: no stream) in one statement; throws when the stream is elsewhere. */
  async append(streamId: string, expected: number, events: readonly { type: string; data: string; metadata: string }[]): Promise<void> {
    const rows = events.map((e, n) => `{"n":${n},"type":${JSON.stringify(e.type)},"data":${e.data},"metadata":${e.metadata}}`)
    const r = await this.client.query({
      name: `append-${this.schema}`,
      text: `INSERT INTO ${this.t} (stream_id, revision, type, data, metadata)
             SELECT $1, h.r + 1 + e.n, e.type, e.data, e.metadata
             FROM (SELECT coalesce(max(revision), -1) AS r FROM ${this.t} WHERE stream_id = $1) AS h
             CROSS JOIN jsonb_to_recordset($2::jsonb) AS e(n integer, type text, data jsonb, metadata jsonb)
             WHERE h.r = $3`,
      values: [streamId, `[${rows.join(',')}]`, expected],
    })
    if (r.rowCount !== events.length) throw new Error(`${streamId}: not at revision ${expected}`)
  }

  /** One stream's (revision, data), data parsed by pg's jsonb parser, folded. */
  async load(streamId: string): Promise<{ state: LedgerState; revision: number }> {
    const r = await this.client.query<[string, EntryFields]>({
      name: `load-${this.schema}`,
      text: `SELECT revision, data FROM ${this.t} WHERE stream_id = $1 ORDER BY revision`,
      values: [streamId],
      rowMode: 'array',
    })
    const state = initialLedger()
    let revision = -1
    for (const [rev, data] of r.rows) {
      evolveLedger(state, data)
      revision = Number(rev)
    }
    return { state, revision }
  }

  async page(after: string, limit: number): Promise<unknown[][]> {
    const r = await this.client.query({
      name: `page-${this.schema}`,
      text: `SELECT position, stream_id, revision, type, data, metadata FROM ${this.t} WHERE position > $1 ORDER BY position LIMIT $2`,
      values: [after, limit],
      rowMode: 'array',
    })
    return r.rows as unknown[][]
  }
}

export const pgRawSide: PgSide = {
  name: 'raw',

  async commands(url, schema, size) {
    const db = await RawPg.open(url, schema)
    return {
      close: () => db.client.end(),
      async run(progress) {
        let done = 0
        for (let seq = 0; seq < size.eventsPerStream; seq++) {
          for (let s = 0; s < size.streams; s++) {
            const id = ledgerId(s)
            const streamId = streamIdOf(id)
            const command = entryData(id, seq)
            const commandId = randomUUID()
            const { state, revision } = await db.load(streamId)
            if ((seq === 0) !== (revision === -1)) throw new BenchCheckError('raw', 'W1', `${streamId} at ${revision} before ${seq}`)
            assertNextSeq(state, command.seq)
            const metadata = { correlationId: commandId, causationId: commandId, schemaVersion: 1, eventId: randomUUID(), occurredAt: new Date().toISOString() }
            await db.append(streamId, revision, [{ type: eventTypeOf(seq), data: JSON.stringify(command), metadata: JSON.stringify(metadata) }])
            progress(++done)
          }
        }
        return done
      },
    }
  },

  async batches(url, schema, size) {
    const db = await RawPg.open(url, schema)
    return {
      close: () => db.client.end(),
      async run(progress) {
        let done = 0
        for (let s = 0; s < size.streams; s++) {
          const id = ledgerId(s)
          const occurredAt = new Date().toISOString()
          const rows = []
          for (let seq = 0; seq < size.eventsPerStream; seq++) {
            rows.push({
              type: eventTypeOf(seq),
              data: JSON.stringify(entryData(id, seq)),
              metadata: JSON.stringify({ eventId: randomUUID(), occurredAt, schemaVersion: 1 }),
            })
          }
          await db.append(streamIdOf(id), -1, rows)
          progress((done += rows.length))
        }
        return done
      },
    }
  },

  async rehydrate(url, schema, size) {
    const db = await RawPg.open(url, schema)
    return {
      close: () => db.client.end(),
      async run(progress) {
        let done = 0
        for (let s = 0; s < size.streams; s++) {
          const { state } = await db.load(streamIdOf(ledgerId(s)))
          if (state.entries !== size.eventsPerStream) throw new BenchCheckError('raw', 'W3', `${ledgerId(s)} has ${state.entries} entries`)
          progress((done += state.entries))
        }
        return done
      },
    }
  },

  async readAll(url, schema, size) {
    const db = await RawPg.open(url, schema)
    return {
      close: () => db.client.end(),
      async run(progress) {
        let done = 0
        let last = '0'
        let lastN = 0n
        for (;;) {
          const rows = await db.page(last, PAGE_SIZE)
          for (const [position, streamId, revision, type, data, metadata] of rows) {
            // What a reader of the log gets: every field, typed (pg parses the jsonb).
            const event = { position: BigInt(position as string), streamId, revision: BigInt(revision as string), type, data, metadata }
            if (event.position <= lastN) throw new BenchCheckError('raw', 'W4', `position ${event.position} after ${lastN}`)
            lastN = event.position
            last = position as string
            progress(++done)
          }
          if (rows.length < PAGE_SIZE) break
        }
        if (done !== eventsOf(size)) throw new BenchCheckError('raw', 'W4', `read ${done} events`)
        return done
      },
    }
  },
}
