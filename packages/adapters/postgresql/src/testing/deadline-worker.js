'use strict'
// A worker process of deadlines/deadline-worker.int.test.ts (deadlineWorkerSuite
// of @eventfold/sagas/testing), on the built packages (dist): opens the
// PostgreSQL schema the test shares with the other workers, and runs the
// suite's worker there.
//
//   POSTGRES_URL=<url> node deadline-worker.js <json options> <schema>
//
// The URL comes by environment: a command line is visible to every user in /proc/<pid>/cmdline.
const pg = require('pg')
const { appendDeadlineEffect, runDeadlineWorkerProcess } = require('@eventfold/sagas/testing/deadline-worker-process')
const { PostgresDeadlineStore, PostgresEventStore } = require('@eventfold/postgresql')

runDeadlineWorkerProcess(([schema]) => {
  const pool = new pg.Pool({ connectionString: process.env.POSTGRES_URL, max: 4 })
  pool.on('error', (error) => process.stderr.write(`idle client: ${error.message}\n`))
  const eventStore = new PostgresEventStore(pool, { schema })
  const deadlines = new PostgresDeadlineStore(pool, { schema })
  return {
    deadlines,
    effect: (delivery) => appendDeadlineEffect(eventStore, delivery),
    close: async () => {
      await eventStore.close()
      await deadlines.close()
      await pool.end()
    },
  }
})
