import { accessSync, constants, copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { PermanentStoreError, StoreClosedError } from '@eventfold/core'
import { permanentSqliteError, SqliteSchemaMissingError } from './sqlite-errors'

/**
 * SQLite's `synchronous` setting: how hard each commit is pushed to disk.
 * In WAL mode, `'normal'` commits survive a process crash but the last ones
 * may be lost on power loss; `'full'` (and `'extra'`) survive both. See the
 * package README for the details.
 */
export type SqliteSynchronous = 'full' | 'normal' | 'extra'

/** Options of {@link openSqlite}. */
export interface OpenSqliteOptions {
  /**
   * Durability of a commit: `'full'` syncs the WAL on every commit, so an
   * acknowledged append survives power loss; `'normal'` only survives a crash
   * of the process (faster on slow disks).
   * @default 'full'
   */
  readonly synchronous?: SqliteSynchronous
  /**
   * How long a write waits for another connection (usually another process)
   * to release the write lock before it fails with `SQLITE_BUSY`. The driver
   * is synchronous: the wait blocks the event loop.
   * @default 5000
   */
  readonly busyTimeoutMs?: number
  /**
   * Open an existing eventfold file for reading only: nothing is created or
   * migrated, and a missing file, or one that is not an eventfold database,
   * is a {@link PermanentStoreError}. A read-only file (or directory) works.
   * @default false
   */
  readonly readOnly?: boolean
}

/** Options of {@link SqliteConnection.migrate}. */
export interface MigrateOptions {
  /**
   * The fewest steps a file opened read-only may have run for the caller to
   * read it (it cannot be migrated); the caller reads older files in their shape.
   * @default steps.length
   */
  readonly readableFrom?: number
}

/**
 * One open SQLite file, shared by every eventfold store that keeps its data
 * there (event store, snapshot store, and from other packages document store
 * and checkpoints), so that they can commit together.
 *
 * Whoever opens a connection closes it: `close()` first closes the stores
 * that use it (ending their subscriptions), then the file.
 */
export interface SqliteConnection {
  /** The better-sqlite3 handle, for stores built on this connection. */
  readonly db: Database.Database
  /** The file name given to {@link openSqlite}. */
  readonly path: string
  /** False once `close()` has started. */
  readonly isOpen: boolean
  /** True when opened with `readOnly`. */
  readonly readOnly: boolean
  /**
   * Runs `work` in a `BEGIN IMMEDIATE` transaction: the write lock is taken up
   * front, so what `work` reads cannot change before it writes. Commits when
   * `work` returns, rolls back when it throws; nested calls are savepoints.
   * `work` must be synchronous (better-sqlite3 statements): the transaction
   * ends when it returns, so an awaited promise would run outside it. It is
   * meant for store implementations, not for wrapping the stores' async methods.
   */
  immediate<T>(work: () => T): T
  /**
   * Brings the schema of `module` (e.g. `'eventfold.events'`) up to date by
   * running the `steps` it has not run yet, in order, in one transaction.
   * Steps are append-only: never edit a released one, add a new one.
   * On a read-only connection it only checks that the schema is there, at
   * `readableFrom` steps or more. Returns the number of steps the file's
   * schema has run: `steps.length`, or less on a read-only connection.
   * @throws {@link SqliteSchemaMissingError} on a read-only connection to a file without the module.
   * @throws {@link PermanentStoreError} on a read-only connection to a file whose schema is older than `readableFrom`.
   */
  migrate(module: string, steps: readonly string[], options?: MigrateOptions): number
  /**
   * Registers work to run when the connection closes, before the file is
   * closed. Returns a function that unregisters it.
   */
  onClose(hook: () => Promise<void> | void): () => void
  /** @throws {@link StoreClosedError} naming `user` when the connection is closed. */
  assertOpen(user: string): void
  /** Runs the close hooks, then closes the file. Calling it again is harmless. */
  close(): Promise<void>
}

/**
 * Opens (creating it if needed) an SQLite file for eventfold: WAL journal, so
 * that readers never block the writer; `busy_timeout` so that writers from
 * several processes queue instead of failing; `synchronous` as asked.
 * @example
 * ```ts
 * const sqlite = openSqlite('bank.db')
 * const eventStore = new SqliteEventStore(sqlite)
 * const snapshots = new SqliteSnapshotStore(sqlite)
 * // …
 * await sqlite.close()
 * ```
 */
export const openSqlite = (path: string, options: OpenSqliteOptions = {}): SqliteConnection =>
  new Connection(path, options)

const SYNCHRONOUS: Readonly<Record<SqliteSynchronous, string>> = { full: 'FULL', normal: 'NORMAL', extra: 'EXTRA' }

class Connection implements SqliteConnection {
  readonly db: Database.Database
  private readonly hooks = new Set<() => Promise<void> | void>()
  private closing: Promise<void> | undefined
  /** Runs once the file is closed (removes a temporary copy). */
  private afterClose: (() => void) | undefined
  readonly readOnly: boolean

  constructor(
    readonly path: string,
    { synchronous = 'full', busyTimeoutMs = 5000, readOnly = false }: OpenSqliteOptions,
  ) {
    const level = SYNCHRONOUS[synchronous]
    if (!level) throw new RangeError(`Unknown synchronous setting '${String(synchronous)}'`)
    this.readOnly = readOnly
    if (readOnly) {
      const { db, cleanup } = openReadOnly(path, busyTimeoutMs)
      this.db = db
      this.afterClose = cleanup
      return
    }
    if (path !== '' && path !== ':memory:' && !existsSync(dirname(resolve(path)))) {
      throw new PermanentStoreError('SQLite', path, `cannot be created: the directory ${dirname(resolve(path))} does not exist`)
    }
    this.db = translateOpen(path, () => new Database(path, { timeout: busyTimeoutMs }))
    try {
      const mode = this.db.pragma('journal_mode = WAL', { simple: true })
      // An in-memory database cannot use WAL and needs no durability anyway.
      if (mode !== 'wal' && !this.db.memory) throw new Error(`SQLite refused WAL mode for '${path}' (got '${String(mode)}')`)
      this.db.pragma(`synchronous = ${level}`)
      this.db.exec('CREATE TABLE IF NOT EXISTS eventfold_schema (module TEXT PRIMARY KEY, version INTEGER NOT NULL) STRICT')
    } catch (error) {
      this.db.close()
      throw permanentSqliteError(error, path) ?? error
    }
  }

  get isOpen(): boolean {
    return this.closing === undefined && this.db.open
  }

  immediate<T>(work: () => T): T {
    return this.db.transaction(work).immediate()
  }

  migrate(module: string, steps: readonly string[], { readableFrom = steps.length }: MigrateOptions = {}): number {
    this.assertOpen(`SQLite schema '${module}'`)
    if (this.readOnly) return this.checkSchema(module, steps, readableFrom)
    try {
      this.migrateNow(module, steps)
      return steps.length
    } catch (error) {
      // The first write a store makes: a file it cannot write (or whose -wal it cannot) fails here.
      throw permanentSqliteError(error, this.path) ?? error
    }
  }

  private migrateNow(module: string, steps: readonly string[]): void {
    this.immediate(() => {
      const row = this.db.prepare('SELECT version FROM eventfold_schema WHERE module = ?').get(module) as
        | { version: number }
        | undefined
      const current = row?.version ?? 0
      if (current > steps.length) {
        throw new Error(`'${this.path}' has schema '${module}' version ${current}, newer than this code (${steps.length})`)
      }
      for (const step of steps.slice(current)) this.db.exec(step)
      if (current < steps.length) {
        this.db
          .prepare('INSERT INTO eventfold_schema (module, version) VALUES (?, ?) ON CONFLICT (module) DO UPDATE SET version = excluded.version')
          .run(module, steps.length)
      }
    })
  }

  private checkSchema(module: string, steps: readonly string[], readableFrom: number): number {
    const row = this.db.prepare('SELECT version FROM eventfold_schema WHERE module = ?').get(module) as { version: number } | undefined
    if (!row) throw new SqliteSchemaMissingError(this.path, module)
    if (row.version > steps.length) {
      throw new PermanentStoreError('SQLite', this.path, `has schema '${module}' version ${row.version}, newer than this code (${steps.length})`)
    }
    if (row.version < readableFrom) {
      throw new PermanentStoreError(
        'SQLite',
        this.path,
        `has schema '${module}' version ${row.version}, older than this code (${steps.length}); open it for writing once to upgrade it`,
      )
    }
    return row.version
  }

  onClose(hook: () => Promise<void> | void): () => void {
    this.hooks.add(hook)
    return () => {
      this.hooks.delete(hook)
    }
  }

  assertOpen(user: string): void {
    if (!this.isOpen) throw new StoreClosedError(user)
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await Promise.all([...this.hooks].map((hook) => hook()))
      } finally {
        this.hooks.clear()
        this.db.close()
        this.afterClose?.()
      }
    })()
    return this.closing
  }
}

/** Opens with `open`, turning a driver error that no retry fixes into a {@link PermanentStoreError} naming the file. */
const translateOpen = (path: string, open: () => Database.Database): Database.Database => {
  try {
    return open()
  } catch (error) {
    throw permanentSqliteError(error, path) ?? error
  }
}

/**
 * Opens an existing eventfold file read-only, without writing a byte of it.
 * A WAL-mode file needs its `-shm` index: when that cannot be created (the
 * directory is read-only), SQLite refuses, and the file is read from a
 * temporary copy instead (nothing can be writing to it then: a writer would
 * need the same `-shm`). So is a file of another user whose `-wal` or `-shm`
 * is missing (no writer has it open), so that none is left behind.
 */
const openReadOnly = (path: string, timeout: number): { db: Database.Database; cleanup?: () => void } => {
  if (path === '' || path === ':memory:') throw new RangeError('a read-only SQLite connection needs a file, not an in-memory database')
  const file = resolve(path)
  if (!existsSync(file)) throw new PermanentStoreError('SQLite', path, 'does not exist')
  const stat = statSync(file)
  if (!stat.isFile()) throw new PermanentStoreError('SQLite', path, 'is not a file')
  if (stat.size === 0) throw new PermanentStoreError('SQLite', path, 'is empty, not an eventfold database')
  try {
    accessSync(file, constants.R_OK)
  } catch (error) {
    throw new PermanentStoreError('SQLite', path, 'may not be read by this user', (error as NodeJS.ErrnoException).code, { cause: error })
  }
  // SQLite creates a missing -wal or -shm as the user who opens the file
  // (root's are handed to the file's owner): another user's would stay
  // behind, and the owner could not write through them.
  const uid = process.getuid?.()
  const foreign = uid !== undefined && uid !== 0 && uid !== stat.uid
  if (!foreign || (existsSync(`${file}-wal`) && existsSync(`${file}-shm`))) {
    try {
      return { db: checked(path, translateOpen(path, () => new Database(file, { readonly: true, fileMustExist: true, timeout }))) }
    } catch (error) {
      const code = (error as PermanentStoreError).code
      if (code !== 'SQLITE_READONLY_DIRECTORY' && code !== 'SQLITE_CANTOPEN') throw error
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'eventfold-readonly-'))
  const remove = (): void => rmSync(dir, { recursive: true, force: true })
  try {
    const copy = join(dir, basename(file))
    copyFileSync(file, copy)
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`)
    const db = checked(path, translateOpen(path, () => new Database(copy, { readonly: true, fileMustExist: true, timeout })))
    return { db, cleanup: remove }
  } catch (error) {
    remove()
    throw error
  }
}

/** Fails unless `db` is an SQLite file with eventfold's schema table; closes it then. */
const checked = (path: string, db: Database.Database): Database.Database => {
  try {
    const found = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'eventfold_schema'").get()
    if (found === undefined) throw new PermanentStoreError('SQLite', path, 'is not an eventfold database (it has no eventfold_schema table)')
    return db
  } catch (error) {
    db.close()
    throw permanentSqliteError(error, path) ?? error
  }
}
