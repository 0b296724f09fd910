'use strict'
// A worker process of scale-out.int.test.ts (scaleOutSuite of
// @eventfold/projections/testing), on the built packages (dist): opens the
// PostgreSQL schema the test shares with the other workers, and runs the
// suite's worker there.
//
//   POSTGRES_URL=<url> node scale-out-worker.js <label> <json options> <schema>
//
// The URL comes by environment: a command line is visible to every user in /proc/<pid>/cmdline.
const pg = require('pg')
const { runScaleOutWorker } = require('@eventfold/projections/testing/scale-out-worker')
const { PostgresDocumentStore, PostgresEventStore } = require('@eventfold/postgresql')

runScaleOutWorker(([schema], { pollIntervalMs }) => {
  const pool = new pg.Pool({ connectionString: process.env.POSTGRES_URL, max: 10 })
  pool.on('error', (error) => process.stderr.write(`idle client: ${error.message}\n`))
  const eventStore = new PostgresEventStore(pool, { schema, pollIntervalMs })
  const documents = new PostgresDocumentStore(pool, { schema })
  return {
    eventStore,
    documents,
    close: async () => {
      await eventStore.close()
      await documents.close()
      await pool.end()
    },
  }
})
