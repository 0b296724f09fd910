import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EventData } from '@eventfold/core'
import { connectSqlite } from '../config/sqlite'
import type { EventfoldConnection } from '../config/define-config'
import { CLI_INDEX, FIXTURE_APP } from './build'
import { runCli, spawnCli, type CliResult, type RunningCli, type RunOptions } from './run-cli'

/**
 * The fixture application in a temp directory: an `eventfold.config.js`
 * that loads the built fixture app and connects to `app.db` beside it.
 */
export interface FixtureApp {
  readonly dir: string
  readonly db: string
  /** Runs the CLI in the app's directory (so it finds the config there). */
  run(args: readonly string[], options?: Partial<RunOptions>): Promise<CliResult>
  spawn(args: readonly string[], options?: Partial<RunOptions>): RunningCli
  /** Opens the app's stores in the test process. */
  connect(): Promise<EventfoldConnection>
  /** Opens the stores, runs `work`, closes them. */
  withStores<T>(work: (stores: EventfoldConnection) => Promise<T>): Promise<T>
  /** Everything in the file that a command could change: head, documents of every collection, checkpoints. */
  fingerprint(): Promise<unknown>
  remove(): void
}

/**
 * The text of an `eventfold.config.js` for the fixture app on `db`.
 * @param preamble code before the config (e.g. a container)
 * @param properties more config properties, as source text
 */
export const fixtureConfigJs = (db: string, { preamble = '', properties = '' }: { preamble?: string; properties?: string } = {}): string => `
const { defineConfig, connectSqlite } = require(${JSON.stringify(CLI_INDEX)})
const app = require(${JSON.stringify(FIXTURE_APP)})
${preamble}
module.exports = defineConfig({
  connect: () => connectSqlite(${JSON.stringify(db)}),
  projections: app.projections,
  aggregates: app.aggregates,
  ${properties}
})
`

export const createFixtureApp = ({ config }: { config?: (db: string) => Record<string, string> } = {}): FixtureApp => {
  const dir = mkdtempSync(join(tmpdir(), 'eventfold-cli-'))
  const db = join(dir, 'app.db')
  const files = config ? config(db) : { 'eventfold.config.js': fixtureConfigJs(db) }
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  const connect = (): Promise<EventfoldConnection> => connectSqlite(db)
  const withStores = async <T>(work: (stores: EventfoldConnection) => Promise<T>): Promise<T> => {
    const stores = await connect()
    try {
      return await work(stores)
    } finally {
      await stores.close()
    }
  }
  return {
    dir,
    db,
    run: (args, options = {}) => runCli(args, { cwd: dir, ...options }),
    spawn: (args, options = {}) => spawnCli(args, { cwd: dir, ...options }),
    connect,
    withStores,
    fingerprint: () =>
      withStores(async ({ eventStore, documents }) => {
        const collections: Record<string, unknown> = {}
        for (const c of await documents.listCollections('')) collections[c] = await documents.find(c, {}, { sort: { _id: 1 } })
        return { head: await eventStore.headPosition(), collections, checkpoints: await documents.listCheckpoints('') }
      }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/** Appends `Tally-<id>` streams: an opening, then increments by 1, 2, … (so a stream's total is known). */
export const seedTallies = async (
  stores: EventfoldConnection,
  { streams, perStream, prefix = 't', occurredAt }: { streams: number; perStream: number; prefix?: string; occurredAt?: (revision: number) => string },
): Promise<void> => {
  for (let s = 0; s < streams; s++) {
    const id = `${prefix}${s}`
    const events: EventData[] = []
    for (let r = 0; r < perStream; r++) {
      const metadata = occurredAt ? { occurredAt: occurredAt(r) } : {}
      events.push(
        r === 0
          ? { type: 'TallyOpened', data: { tallyId: id, label: `label ${id}` }, metadata }
          : { type: 'TallyIncremented', data: { tallyId: id, by: r }, metadata },
      )
    }
    await stores.eventStore.appendToStream(`Tally-${id}`, events)
  }
}

/** Sum of the increments of a seeded stream of `perStream` events: 1 + 2 + … + (perStream - 1). */
export const seededTotal = (perStream: number): number => ((perStream - 1) * perStream) / 2
