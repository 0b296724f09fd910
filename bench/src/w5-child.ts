import { readFileSync } from 'node:fs'
import type { EventStore } from '@eventfold/core'
import { projectionFromInstance, rebuildProjection, type DocumentStore } from '@eventfold/projections'
import { physicalCollection } from '@eventfold/projections/spi'
import { AccountBalances } from '@eventfold/sample-bank-account'
import { openSqlite, SqliteDocumentStore, SqliteEventStore } from '@eventfold/sqlite'
import type { BankSummary } from './bank-log'

/**
 * One W5 run in a process of its own, so that its peak RSS is the rebuild's:
 * `node bench/dist/w5-child.js '<json config>'` prints one JSON result line.
 * Only the `rebuildProjection` call is timed.
 */

export type W5Target = 'embedded' | 'mongodb' | 'postgresql'

export interface W5ChildConfig {
  readonly target: W5Target
  readonly summary: BankSummary
  /** SQLite file of the log (embedded: the documents go into it too; mongodb: the log only). */
  readonly logFile?: string
  readonly synchronous?: 'full' | 'normal'
  readonly mongoUrl?: string
  readonly mongoDb?: string
  readonly pgUrl?: string
  readonly logSchema?: string
  readonly docSchema?: string
  /** After the timed rebuild, read the log again to count the distinct documents each batch touched. */
  readonly countDistinct: boolean
  /** @default rebuildProjection's (100,000) */
  readonly batchSize?: number
  /** Run with the OpenTelemetry SDK registered (see telemetry-sdk.ts). @default false */
  readonly telemetry?: boolean
}

/** Per batch: documents written against distinct documents touched (accounts in the batch's range of the log). */
export interface BatchStats {
  readonly batches: number
  readonly writes: number
  readonly distinct: number
  /** Batches whose writes exceed the distinct documents touched (must be 0). */
  readonly violations: number
  readonly maxWritesPerBatch: number
  readonly maxDistinctPerBatch: number
  readonly minDistinctMinusWrites: number
}

export interface W5ChildResult {
  readonly target: W5Target
  readonly events: number
  readonly seconds: number
  readonly rate: number
  /** `process.resourceUsage().maxRSS`, MiB. */
  readonly maxRssMiB: number
  /** VmHWM of /proc/self/status, MiB (the same figure from the kernel). */
  readonly vmHwmMiB: number | undefined
  readonly batches: number
  readonly writes: number
  readonly transactions: boolean
  readonly batchStats: BatchStats | undefined
}

const vmHwmMiB = (): number | undefined => {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))
    return m ? Number(m[1]) / 1024 : undefined
  } catch {
    return undefined
  }
}

interface Opened {
  readonly eventStore: EventStore
  readonly documents: DocumentStore
  close(): Promise<void>
}

const open = async (c: W5ChildConfig): Promise<Opened> => {
  switch (c.target) {
    case 'embedded': {
      const sqlite = openSqlite(c.logFile!, { synchronous: c.synchronous ?? 'full' })
      return { eventStore: new SqliteEventStore(sqlite), documents: new SqliteDocumentStore(sqlite), close: () => sqlite.close() }
    }
    case 'mongodb': {
      // Loaded only for their own target, so that a run never depends on another adapter's build.
      const { MongoClient } = require('mongodb') as typeof import('mongodb')
      const { MongoDocumentStore } = require('@eventfold/mongodb') as typeof import('@eventfold/mongodb')
      const sqlite = openSqlite(c.logFile!, { synchronous: c.synchronous ?? 'full' })
      const client = await MongoClient.connect(c.mongoUrl!, { serverSelectionTimeoutMS: 10_000 })
      const documents = new MongoDocumentStore(client, c.mongoDb!)
      await documents.ready()
      return {
        eventStore: new SqliteEventStore(sqlite),
        documents,
        close: async () => {
          await client.db(c.mongoDb!).dropDatabase()
          await client.close()
          await sqlite.close()
        },
      }
    }
    case 'postgresql': {
      const { PostgresDocumentStore, PostgresEventStore } = require('@eventfold/postgresql') as typeof import('@eventfold/postgresql')
      const eventStore = new PostgresEventStore(c.pgUrl!, { schema: c.logSchema! })
      const documents = new PostgresDocumentStore(c.pgUrl!, { schema: c.docSchema! })
      return {
        eventStore,
        documents,
        close: async () => {
          await documents.close()
          await eventStore.close()
        },
      }
    }
  }
}

const run = async (c: W5ChildConfig): Promise<W5ChildResult> => {
  const opened = await open(c)
  try {
    const { eventStore, documents } = opened
    const projection = projectionFromInstance(new AccountBalances())
    const boundaries: { position: bigint; writes: number }[] = []
    let lastWrites = 0
    const t0 = process.hrtime.bigint()
    const result = await rebuildProjection({
      eventStore,
      documents,
      projection,
      ...(c.batchSize ? { batchSize: c.batchSize } : {}),
      onProgress: (p) => {
        boundaries.push({ position: p.position!, writes: p.writes - lastWrites })
        lastWrites = p.writes
      },
    })
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9
    const maxRssMiB = process.resourceUsage().maxRSS / 1024
    const hwm = vmHwmMiB()
    if (!result.completed) throw new Error('the rebuild did not complete')
    if (result.eventsRead !== c.summary.events) throw new Error(`the rebuild read ${result.eventsRead} events, not ${c.summary.events}`)

    // Untimed: the read model must be exactly what the log adds up to.
    const docs = await documents.find(physicalCollection('account_balances', result.generation))
    const sum = (f: string) => docs.reduce((s, d) => s + (d[f] as number), 0)
    const closed = docs.filter((d) => d.status === 'closed').length
    const s = c.summary
    if (docs.length !== s.opened || sum('balance') !== s.totalBalance || sum('movements') !== s.movements || closed !== s.closed) {
      throw new Error(
        `wrong read model: ${docs.length} accounts (expected ${s.opened}), balance ${sum('balance')} (${s.totalBalance}), ` +
          `movements ${sum('movements')} (${s.movements}), closed ${closed} (${s.closed})`,
      )
    }

    let batchStats: BatchStats | undefined
    if (c.countDistinct) {
      let b = 0
      let touched = new Set<string>()
      let violations = 0
      let distinct = 0
      let maxW = 0
      let maxD = 0
      let minGap = Number.POSITIVE_INFINITY
      const close = (): void => {
        const w = boundaries[b]!.writes
        if (w > touched.size) violations++
        distinct += touched.size
        maxW = Math.max(maxW, w)
        maxD = Math.max(maxD, touched.size)
        minGap = Math.min(minGap, touched.size - w)
        touched = new Set()
        b++
      }
      for await (const e of eventStore.readAll({ filter: { eventTypes: projection.eventTypes } })) {
        while (b < boundaries.length && e.position > boundaries[b]!.position) close()
        touched.add((e.data as { accountId: string }).accountId)
      }
      while (b < boundaries.length) close()
      batchStats = {
        batches: boundaries.length,
        writes: result.writes,
        distinct,
        violations,
        maxWritesPerBatch: maxW,
        maxDistinctPerBatch: maxD,
        minDistinctMinusWrites: minGap,
      }
    }
    return {
      target: c.target,
      events: result.eventsRead,
      seconds,
      rate: result.eventsRead / seconds,
      maxRssMiB,
      vmHwmMiB: hwm,
      batches: boundaries.length,
      writes: result.writes,
      transactions: documents.capabilities.transactions,
      batchStats,
    }
  } finally {
    await opened.close()
  }
}

if (require.main === module) {
  const config = JSON.parse(process.argv[2]!) as W5ChildConfig
  const stopTelemetry = config.telemetry ? (require('./telemetry-sdk') as typeof import('./telemetry-sdk')).startTelemetry() : undefined
  run(config).finally(() => stopTelemetry?.()).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`)
    },
    (error: unknown) => {
      process.stderr.write(`w5 child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
      process.exitCode = 1
    },
  )
}
