'use strict'
// A worker process of scale-out.int.test.ts (scaleOutSuite of
// @eventfold/projections/testing), on the built packages (dist): opens the
// SQLite file the test shares with the other workers, and runs the suite's
// worker there.
//
//   node scale-out-worker.cjs <label> <json options> <file>
const { runScaleOutWorker } = require('@eventfold/projections/testing/scale-out-worker')
const { openSqlite, SqliteDocumentStore, SqliteEventStore } = require('@eventfold/sqlite')

runScaleOutWorker(([file], { pollIntervalMs }) => {
  const sqlite = openSqlite(file, { synchronous: 'normal' })
  return {
    eventStore: new SqliteEventStore(sqlite, { pollIntervalMs }),
    documents: new SqliteDocumentStore(sqlite),
    close: () => sqlite.close(),
  }
})
