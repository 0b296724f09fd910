'use strict'
// A worker process of deadlines/deadline-worker.int.test.ts (deadlineWorkerSuite
// of @eventfold/sagas/testing), on the built packages (dist): opens the SQLite
// file the test shares with the other workers, and runs the suite's worker there.
//
//   node deadline-worker.cjs <json options> <file>
const { appendDeadlineEffect, runDeadlineWorkerProcess } = require('@eventfold/sagas/testing/deadline-worker-process')
const { openSqlite, SqliteDeadlineStore, SqliteEventStore } = require('@eventfold/sqlite')

runDeadlineWorkerProcess(([file]) => {
  const sqlite = openSqlite(file, { synchronous: 'normal' })
  const eventStore = new SqliteEventStore(sqlite)
  return {
    deadlines: new SqliteDeadlineStore(sqlite),
    effect: (delivery) => appendDeadlineEffect(eventStore, delivery),
    close: () => sqlite.close(),
  }
})
