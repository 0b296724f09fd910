import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe } from '@jest/globals'
import { redactUrl } from '@eventfold/core/spi'
import { MongoClient, type MongoClientOptions } from 'mongodb'

/** The server the integration tests run against, as found when the test file loaded. */
export interface MongoTestServer {
  readonly url: string
  readonly product: 'MongoDB' | 'FerretDB'
  readonly version: string
  /** A replica set or mongos: the topology where MongoDB runs transactions. */
  readonly replicaSet: boolean
}

/** What a test inside {@link describeMongo} gets. */
export interface MongoTestContext {
  readonly server: MongoTestServer
  /** Connected for the whole describe block. */
  readonly client: MongoClient
  /** A database of this block alone, dropped after it. */
  readonly dbName: string
  /** Another client (closed after the block), e.g. with `monitorCommands`. */
  connect(options?: MongoClientOptions): Promise<MongoClient>
}

const DEFAULT_URL = 'mongodb://127.0.0.1:27017/'

// Runs in a child process, so that the answer is known while jest registers tests (describe callbacks are synchronous).
const PROBE = `
const { MongoClient } = require(process.argv[1])
const client = new MongoClient(process.env.EVENTFOLD_PROBE_URL, { serverSelectionTimeoutMS: 3000, connectTimeoutMS: 3000 })
const report = (r) => process.stdout.write(JSON.stringify(r))
client.connect()
  .then(async () => {
    const admin = client.db('admin')
    const hello = await admin.command({ hello: 1 })
    const build = await admin.command({ buildInfo: 1 }).catch(() => ({}))
    const ferretdb = typeof build.ferretdbVersion === 'string'
    report({ ok: true, product: ferretdb ? 'FerretDB' : 'MongoDB', version: String(ferretdb ? build.ferretdbVersion : build.version),
      replicaSet: typeof hello.setName === 'string' || hello.msg === 'isdbgrid' })
  })
  .catch((e) => report({ ok: false, error: String(e && e.message || e) }))
  .finally(() => client.close())
`

let found: { server: MongoTestServer } | undefined

/**
 * The server at `MONGODB_URL` (default `mongodb://127.0.0.1:27017/`), checked
 * once per test file. When it does not answer, the test file fails with a
 * message saying how to start it; the tests never skip.
 */
export const mongoTestServer = (): MongoTestServer => {
  if (found) return found.server
  const url = process.env.MONGODB_URL || DEFAULT_URL
  // The URL goes by environment: a command line is visible to every user in /proc/<pid>/cmdline.
  const probe = spawnSync(process.execPath, ['-e', PROBE, require.resolve('mongodb')], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, EVENTFOLD_PROBE_URL: url },
  })
  let answer: { ok: boolean; error?: string } & Partial<MongoTestServer>
  try {
    answer = JSON.parse(probe.stdout)
  } catch {
    answer = { ok: false, error: probe.error?.message ?? (probe.stderr.trim() || `probe exited with ${probe.status}`) }
  }
  if (!answer.ok) {
    // The driver's message may quote the URL it was given.
    answer.error = String(answer.error).replaceAll(url, redactUrl(url))
  }
  if (answer.ok) {
    found = { server: { url, product: answer.product!, version: answer.version!, replicaSet: answer.replicaSet! } }
    return found.server
  }
  const problem =
    `No MongoDB-wire server answers at MONGODB_URL=${redactUrl(url)} (${answer.error}). ` +
    'Start one with `scripts/services start mongodb` and `eval "$(scripts/services env)"` (or, with Docker, `docker compose up -d --wait mongodb` ' +
    "and MONGODB_URL='mongodb://127.0.0.1:27017/?replicaSet=rs0')."
  // A database test never skips: without its server it fails, saying how to start one.
  throw new Error(problem)
}

/**
 * A describe block against the test server, with a database of its own that
 * is dropped afterwards. Follows the connection policy of {@link mongoTestServer}.
 * @example
 * ```ts
 * describeMongo('MongoDocumentStore', (mongo) => {
 *   it('connects', async () => expect(await mongo().client.db(mongo().dbName).command({ ping: 1 })).toMatchObject({ ok: 1 }))
 * })
 * ```
 */
export const describeMongo = (name: string, body: (mongo: () => MongoTestContext) => void): void => {
  const server = mongoTestServer()
  describe(name, () => {
    const dbName = `ef_test_${randomBytes(5).toString('hex')}`
    const clients: MongoClient[] = []
    let context: MongoTestContext | undefined
    const connect = async (options: MongoClientOptions = {}): Promise<MongoClient> => {
      const client = await MongoClient.connect(server.url, { serverSelectionTimeoutMS: 5000, ...options })
      clients.push(client)
      return client
    }

    beforeAll(async () => {
      context = { server, client: await connect(), dbName, connect }
    })

    afterAll(async () => {
      try {
        await context?.client.db(dbName).dropDatabase()
      } finally {
        await Promise.all(clients.map((c) => c.close()))
      }
    })

    body(() => {
      if (!context) throw new Error('The MongoDB test context is only available inside tests and hooks')
      return context
    })
  })
}
