'use strict'
// A worker process of deadlines/deadline-worker.int.test.ts (deadlineWorkerSuite
// of @eventfold/sagas/testing), on the built packages (dist): claims deadlines
// in the database the test shares with the other workers, and records each
// effect as a document whose _id is the deadline's id (a duplicate is a
// redelivery, deduped).
//
//   MONGODB_URL=<url> node deadline-worker.js <json options> <database>
//
// The URL comes by environment: a command line is visible to every user in /proc/<pid>/cmdline.
const { MongoClient } = require('mongodb')
const { runDeadlineWorkerProcess } = require('@eventfold/sagas/testing/deadline-worker-process')
const { MongoDeadlineStore } = require('@eventfold/mongodb')

runDeadlineWorkerProcess(async ([dbName]) => {
  const client = await MongoClient.connect(process.env.MONGODB_URL, { serverSelectionTimeoutMS: 5000 })
  const effects = client.db(dbName).collection('deadline_effects')
  return {
    deadlines: new MongoDeadlineStore(client, dbName),
    effect: async (delivery) => {
      try {
        await effects.insertOne({ _id: delivery.id, scope: delivery.scope })
      } catch (error) {
        if (error.code !== 11000) throw error
      }
    },
    close: () => client.close(),
  }
})
