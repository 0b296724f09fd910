'use strict'
// A worker process of scale-out.int.test.ts: runs a ProjectionHost of the
// built packages (dist), exactly as an application would, over the
// PostgreSQL schema the test shares with the other workers, and prints one
// JSON line per thing it does:
//   { t: 'ready', owner }
//   { t: 'lease', kind: 'acquired' | 'lost' | 'released', partition, owner }
//   { t: 'progress', partition, checkpoint, read }   one per committed batch (read: events in it)
//   { t: 'conflict', collection, id }                a commit lost a compare-and-set
//   { t: 'stopped', owner }                          after SIGTERM, before exiting 0
//
//   node scale-out-worker.js <postgres url> <schema> <label> <json options>
//
// Required by the test too (under jest, '@eventfold/projections' is the
// source), for the projection to rebuild and compare with.
const { defineProjection, DocumentConflictError, ProjectionHost } = require('@eventfold/projections')

/**
 * Per stream: how many events were applied, their sum and revisions in
 * order (any event applied twice or out of order shows). Shared by every
 * partition: the totals and four buckets, so commits race on them.
 */
const scaleOutProjection = defineProjection({
  name: 'scale-out',
  collections: ['streams', 'totals'],
  handlers: {
    Counted: (event, view) => {
      const { seq, n } = event.data
      view.upsert(event.streamId, { $inc: { applied: 1, sum: n }, $push: { revisions: Number(event.revision) } })
      const totals = view.collection('totals')
      totals.upsert('all', { $inc: { applied: 1, sum: n }, $max: { maxSeq: seq } })
      totals.upsert(`bucket-${seq % 4}`, { $inc: { applied: 1, sum: n } })
    },
  },
})

const print = (line) => {
  // Writes to a pipe are synchronous on Linux: a printed line is out before the next statement.
  process.stdout.write(JSON.stringify(line) + '\n')
}

const main = () => {
  const pg = require('pg')
  const { PostgresDocumentStore, PostgresEventStore } = require('@eventfold/postgresql')
  const [url, schema, label, json] = process.argv.slice(2)
  const options = JSON.parse(json)
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  pool.on('error', (error) => process.stderr.write(`idle client: ${error.message}\n`))
  const eventStore = new PostgresEventStore(pool, { schema, pollIntervalMs: options.pollIntervalMs })
  const documents = new PostgresDocumentStore(pool, { schema })
  const owner = `${label}:${process.pid}`
  // Reports each compare-and-set a commit lost (the worker then recomputes the batch).
  const commit = documents.commit.bind(documents)
  documents.commit = async (request) => {
    try {
      return await commit(request)
    } catch (error) {
      if (error instanceof DocumentConflictError) print({ t: 'conflict', collection: error.collection, id: error.id })
      throw error
    }
  }
  // Events read per partition by the worker that runs it now (reset when a worker starts).
  const read = new Map()
  const host = new ProjectionHost({
    eventStore,
    documents,
    projections: [scaleOutProjection],
    partitions: options.partitions,
    owner,
    leaseTtlMs: options.leaseTtlMs,
    tickMs: options.tickMs,
    batchSize: options.batchSize,
    onLease: ({ kind, partition }) => {
      if (kind === 'acquired') read.set(partition, 0)
      print({ t: 'lease', kind, partition, owner })
    },
    onProgress: (p) => {
      const before = read.get(p.partition) ?? 0
      read.set(p.partition, p.eventsRead)
      print({ t: 'progress', partition: p.partition, checkpoint: String(p.checkpoint), read: p.eventsRead - before })
    },
  })
  let stopping
  process.on('SIGTERM', () => {
    stopping ??= (async () => {
      await host.stop()
      print({ t: 'stopped', owner })
      await eventStore.close()
      await documents.close()
      await pool.end()
      process.exit(0)
    })().catch((error) => {
      process.stderr.write(`${error && error.stack ? error.stack : error}\n`)
      process.exit(1)
    })
  })
  host.start()
  print({ t: 'ready', owner })
}

if (require.main === module) {
  try {
    main()
  } catch (error) {
    process.stderr.write(`${error && error.stack ? error.stack : error}\n`)
    process.exit(1)
  }
}

module.exports = { scaleOutProjection }
