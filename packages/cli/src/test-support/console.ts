import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI_INDEX, CLI_ROOT, ensureBuilt, REPO_ROOT } from './build'
import { spawnCli, type RunningCli } from './run-cli'

let consoleBuilt = false

/** Builds the CLI and the console's front end (as `npm run build` does). */
export const ensureConsoleBuilt = (): void => {
  ensureBuilt()
  if (consoleBuilt) return
  execFileSync(process.execPath, [join(CLI_ROOT, 'console/build.js')], { cwd: REPO_ROOT, stdio: 'pipe' })
  consoleBuilt = true
}

/** A running `eventfold serve`, with the URL and token it printed. */
export interface RunningConsole {
  readonly url: string
  readonly token: string
  readonly cli: RunningCli
  /** SIGTERM, and waits for the process to exit. */
  stop(): Promise<void>
}

/** Starts `eventfold serve --port 0 …args` in `cwd` and waits for the lines that give its URL and token. */
export const startConsole = async (cwd: string, args: readonly string[] = [], env: Record<string, string> = {}): Promise<RunningConsole> => {
  const cli = spawnCli(['serve', '--port', '0', ...args], { cwd, env, timeoutMs: 600_000 })
  await cli.waitFor(({ stdout }) => /^open \S+ to use it/m.test(stdout))
  const url = /^eventfold console on (\S+)$/m.exec(cli.stdout())![1]!
  const token = /shown only now: (\S+)$/m.exec(cli.stdout())![1]!
  return {
    url,
    token,
    cli,
    stop: async () => {
      cli.child.kill('SIGTERM')
      await cli.exited
    },
  }
}

/** sha256 of an SQLite database as stored: the file and its write-ahead log. */
export const databaseDigest = (db: string): string => {
  const hash = createHash('sha256')
  for (const file of [db, `${db}-wal`]) hash.update(existsSync(file) ? readFileSync(file) : Buffer.alloc(0)).update('\0')
  return hash.digest('hex')
}

/** What a PostgreSQL schema digest needs of a pool (the test files load `pg` through the sample, untyped). */
export interface QueryPool {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>
}

/** sha256 of every row of every table of a PostgreSQL schema, table by table: equal before and after means nothing was written. */
export const schemaDigest = async (admin: QueryPool, schema: string): Promise<string> => {
  const hash = createHash('sha256')
  const tables = await admin.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [schema])
  for (const { table_name: table } of tables.rows) {
    const rows = await admin.query(`SELECT * FROM "${schema}"."${String(table)}" ORDER BY 1`)
    hash.update(`${String(table)}\n${JSON.stringify(rows.rows)}\n`)
  }
  return hash.digest('hex')
}

/**
 * The bank sample in a temp directory: `bank.db` written by the sample's
 * demo (its seed: two accounts, their read models projected), and an
 * `eventfold.config.js` whose `account-balances` projection cannot apply
 * the event named by `BANK_POISON=<stream>@<revision>` in the environment
 * of the process that runs it (a worker started so parks it), and skips the
 * event named by `BANK_SKIP=<stream>@<revision>` (a changed handler, for a
 * rebuild preview to find).
 */
export const seededBank = (): { dir: string; db: string } => {
  execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'samples/bank-account'], { cwd: REPO_ROOT, stdio: 'pipe' })
  const dir = mkdtempSync(join(tmpdir(), 'eventfold-console-'))
  const db = join(dir, 'bank.db')
  execFileSync(process.execPath, [join(REPO_ROOT, 'samples/bank-account/dist/main.js')], { cwd: dir, env: { ...process.env, EVENTFOLD_DB: db }, stdio: 'pipe' })
  writeFileSync(
    join(dir, 'eventfold.config.js'),
    `
const { defineConfig, connectSqlite } = require(${JSON.stringify(CLI_INDEX)})
const { projectionFromInstance } = require(${JSON.stringify(join(REPO_ROOT, 'packages/projections/dist'))})
const { Account } = require(${JSON.stringify(join(REPO_ROOT, 'samples/bank-account/dist'))})
const { bankProjections } = require(${JSON.stringify(join(REPO_ROOT, 'samples/bank-account/dist/projections'))})

const poison = process.env.BANK_POISON
const guarded = (definition) =>
  definition.name !== 'account-balances' ? definition : {
    ...definition,
    handle: (event, view) => {
      if (\`\${event.streamId}@\${event.revision}\` === poison) throw new Error(\`poisoned event \${poison}\`)
      if (\`\${event.streamId}@\${event.revision}\` === process.env.BANK_SKIP) return
      return definition.handle(event, view)
    },
  }

module.exports = defineConfig({
  connect: () => connectSqlite('bank.db'),
  projections: [...bankProjections.map((P) => guarded(projectionFromInstance(new P())))],
  aggregates: [Account],
})
`,
  )
  return { dir, db }
}
