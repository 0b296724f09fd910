import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { buildPackages } from '@eventfold/core/testing'
import { deadlineWorkerSuite } from '@eventfold/sagas/testing'
import { describeMongo, type MongoTestContext } from '../testing/connect'
import { MongoDeadlineStore } from './mongo-deadline-store'

const PACKAGE_DIR = join(__dirname, '..', '..')

/** Builds the package (and what it depends on) so the child processes run the current code. */
const buildPackage = (): void => buildPackages(PACKAGE_DIR)

let mongo: () => MongoTestContext

// The worker processes share a database with the test; each test has a database of its own.
deadlineWorkerSuite({
  name: 'MongoDB',
  workerScript: join(__dirname, '..', 'testing', 'deadline-worker.js'),
  build: buildPackage,
  describe: (name, body) =>
    describeMongo(name, (context) => {
      mongo = context
      body()
    }),
  open: async () => {
    const { client, server } = mongo()
    // The workers inherit the environment: the URL reaches them there, not on their command line.
    process.env.MONGODB_URL = server.url
    const dbName = `ef_deadlines_${randomBytes(5).toString('hex')}`
    const effects = client.db(dbName).collection('deadline_effects')
    return {
      deadlines: new MongoDeadlineStore(client, dbName),
      effects: (scope) => effects.countDocuments({ scope }),
      workerArgs: [dbName],
      dispose: async () => {
        await client.db(dbName).dropDatabase()
      },
    }
  },
})
