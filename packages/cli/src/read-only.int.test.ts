import { chmodSync, chownSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { ensureBuilt } from './test-support/build'
import { createFixtureApp, fixtureConfigJs, seedTallies, type FixtureApp } from './test-support/fixture-app'
import { parseJson } from './test-support/run-cli'

/** Commands that only read, each of which must leave a file it cannot use untouched. */
const READ_COMMANDS: readonly (readonly string[])[] = [
  ['streams', 'list'],
  ['streams', 'read', 'Tally-t0'],
  ['replay', 'Tally-t0'],
  ['projections', 'status'],
  ['dlq', 'list'],
]

/** Root ignores file modes: a read-only file is only read-only to another user. */
const otherUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined

/** The fixture app with its config pointing at `db` (relative to the app's directory). */
const appOn = (db: string): FixtureApp => createFixtureApp({ config: () => ({ 'eventfold.config.js': fixtureConfigJs(db) }) })

const tablesOf = (file: string): string[] => {
  const db = new Database(file, { readonly: true })
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name)
  } finally {
    db.close()
  }
}

describe('read commands open the database read-only', () => {
  beforeAll(() => ensureBuilt())

  it.each(READ_COMMANDS)('%s %s on a path that does not exist fails naming it, and creates nothing', async (...args) => {
    const app = appOn('mistyped.db')
    try {
      const r = await app.run(args)
      expect(r).toMatchObject({ code: 1, stdout: '' })
      expect(r.stderr).toBe(`eventfold: error: SQLite file ${join(app.dir, 'mistyped.db')} does not exist\n`)
      expect(readdirSync(app.dir)).toEqual(['eventfold.config.js'])
    } finally {
      app.remove()
    }
  })

  it.each(READ_COMMANDS)('%s %s on a zero-byte file fails naming it, and leaves it empty', async (...args) => {
    const app = appOn('empty.db')
    try {
      writeFileSync(join(app.dir, 'empty.db'), '')
      const r = await app.run(args)
      expect(r).toMatchObject({ code: 1, stdout: '' })
      expect(r.stderr).toMatch(/^eventfold: error: SQLite file \S+empty\.db is empty, not an eventfold database\n$/)
      expect(statSync(join(app.dir, 'empty.db')).size).toBe(0)
    } finally {
      app.remove()
    }
  })

  it.each(READ_COMMANDS)("%s %s on another application's SQLite file fails naming it, and adds no table", async (...args) => {
    const app = appOn('other.db')
    try {
      const file = join(app.dir, 'other.db')
      const other = new Database(file)
      other.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)')
      other.close()
      const before = readFileSync(file)
      const r = await app.run(args)
      expect(r).toMatchObject({ code: 1, stdout: '' })
      expect(r.stderr).toBe(`eventfold: error: SQLite file ${file} is not an eventfold database (it has no eventfold_schema table)\n`)
      expect(tablesOf(file)).toEqual(['customers'])
      expect(readFileSync(file).equals(before)).toBe(true)
    } finally {
      app.remove()
    }
  })

  it('a file that is not SQLite at all fails naming it', async () => {
    const app = appOn('notes.txt')
    try {
      writeFileSync(join(app.dir, 'notes.txt'), 'shopping list: milk, eggs, and a much longer line so that it is not mistaken for a header\n'.repeat(10))
      const r = await app.run(['streams', 'list'])
      expect(r).toMatchObject({ code: 1, stdout: '' })
      expect(r.stderr).toMatch(new RegExp(`^eventfold: error: SQLite file ${join(app.dir, 'notes.txt')} is not an SQLite database \\(SQLITE_NOTADB\\)`))
    } finally {
      app.remove()
    }
  })

  it('a file the user may not read fails naming it', async () => {
    const app = createFixtureApp()
    try {
      await app.withStores(async () => undefined)
      chmodSync(app.db, otherUser ? 0o600 : 0o000)
      chmodSync(app.dir, 0o755)
      const r = await app.run(['streams', 'list'], { user: otherUser })
      expect(r).toMatchObject({ code: 1, stdout: '', stderr: `eventfold: error: SQLite file ${app.db} may not be read by this user (EACCES)\n` })
    } finally {
      app.remove()
    }
  })

  it('a log whose projections never ran reads as having no read models and no dead letters', async () => {
    const app = createFixtureApp()
    try {
      const { openSqlite, SqliteEventStore } = await import('@eventfold/sqlite')
      const sqlite = openSqlite(app.db)
      await new SqliteEventStore(sqlite).appendToStream('Tally-t0', [{ type: 'TallyOpened', data: { tallyId: 't0', label: 'x' } }])
      await sqlite.close()
      expect(await app.run(['dlq', 'list'])).toMatchObject({ code: 0, stdout: 'no dead letters\n' })
      const status = await app.run(['projections', 'status', 'tallies', '--json'])
      expect(status.code).toBe(0)
      expect(parseJson<{ state: string }[]>(status)[0]!.state).toBe('new')
      expect(tablesOf(app.db)).not.toContain('eventfold_documents')
    } finally {
      app.remove()
    }
  })

  describe('on a file the user may only read', () => {
    let app: FixtureApp
    beforeEach(async () => {
      app = createFixtureApp()
      await app.withStores((stores) => seedTallies(stores, { streams: 2, perStream: 3 }))
      // The projections ran once, so a later run's first write is a batch commit.
      // One event parked, for dlq retry.
      expect(await app.run(['projections', 'run', '--catch-up'], { env: { EVENTFOLD_FIXTURE_POISON: 'Tally-t0@1' } })).toMatchObject({ code: 0 })
      await app.withStores((stores) => seedTallies(stores, { streams: 1, perStream: 2, prefix: 'late' }))
      chmodSync(app.db, 0o444)
    })
    afterEach(() => {
      chmodSync(app.dir, 0o700)
      app.remove()
    })

    it.each([
      ['in a writable directory', 0o1777],
      ['in a read-only directory', 0o555],
    ])('read commands work %s, and write nothing', async (_where, dirMode) => {
      chmodSync(app.dir, dirMode)
      const before = readFileSync(app.db)
      const list = await app.run(['streams', 'list', '--json'], { user: otherUser })
      expect(list.stderr).toBe('')
      expect(parseJson<{ streamId: string }[]>(list).map((s) => s.streamId)).toEqual(['Tally-late0', 'Tally-t0', 'Tally-t1'])
      const read = await app.run(['streams', 'read', 'Tally-t1'], { user: otherUser })
      expect(read).toMatchObject({ code: 0, stderr: '' })
      expect(read.stdout.trimEnd().split('\n')).toHaveLength(4)
      expect(await app.run(['projections', 'status'], { user: otherUser })).toMatchObject({ code: 0, stderr: '' })
      expect(parseJson<unknown[]>(await app.run(['dlq', 'list', '--json'], { user: otherUser }))).toHaveLength(1)
      expect(readFileSync(app.db).equals(before)).toBe(true)
    })

    it.each([
      ['in a writable directory', 0o1777],
      ['in a read-only directory', 0o555],
    ])('projections run --catch-up %s stops with exit 1 and one line naming the file', async (_where, dirMode) => {
      chmodSync(app.dir, dirMode)
      const r = await app.run(['projections', 'run', '--catch-up'], { user: otherUser, timeoutMs: 20000 })
      expect(r.signal).toBeNull()
      expect(r.code).toBe(1)
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('eventfold: error:'))
      expect(errors).toEqual([expect.stringMatching(new RegExp(`^eventfold: error: SQLite file ${app.db} is read-only \\(SQLITE_READONLY`))])
      expect(r.stderr).not.toMatch(/retrying/)
    })

    it('dlq retry says the file is read-only, not that the event failed again', async () => {
      const [letter] = parseJson<{ id: string }[]>(await app.run(['dlq', 'list', '--json']))
      chmodSync(app.dir, 0o1777)
      const r = await app.run(['dlq', 'retry', letter!.id], { user: otherUser })
      expect(r).toMatchObject({ code: 1, stdout: '' })
      expect(r.stderr).toMatch(new RegExp(`^eventfold: error: SQLite file ${app.db} is read-only \\(SQLITE_READONLY[^\n]*\n$`))
    })
  })

  it("a read by another user leaves the owner able to write the file", async () => {
    // SQLite creates a WAL file's -wal and -shm as whoever opens it first; the owner could not write through a reader's.
    const owner = otherUser ? { uid: 65533, gid: 65533 } : undefined
    const app = createFixtureApp()
    try {
      await app.withStores((stores) => seedTallies(stores, { streams: 1, perStream: 3 }))
      chmodSync(app.dir, 0o1777)
      if (owner) chownSync(app.db, owner.uid, owner.gid)
      for (const args of READ_COMMANDS) expect(await app.run(args, { user: otherUser })).toMatchObject({ code: 0, stderr: '' })
      const run = await app.run(['projections', 'run', '--catch-up'], { user: owner })
      expect(run.stderr.split('\n').filter((l) => l.startsWith('eventfold: error:'))).toEqual([])
      expect(run.code).toBe(0)
    } finally {
      app.remove()
    }
  })

  it("a write command on a file whose -wal and -shm the user may not write fails naming the file", async () => {
    const app = createFixtureApp()
    try {
      await app.withStores((stores) => seedTallies(stores, { streams: 1, perStream: 3 }))
      chmodSync(app.dir, 0o1777)
      for (const suffix of ['-wal', '-shm']) {
        writeFileSync(app.db + suffix, '', { mode: 0o444 })
        if (otherUser) chownSync(app.db + suffix, 65533, 65533)
      }
      if (otherUser) chownSync(app.db, otherUser.uid, otherUser.gid)
      else chmodSync(app.db, 0o444)
      const r = await app.run(['projections', 'run', '--catch-up'], { user: otherUser })
      expect(r).toMatchObject({ code: 1, stdout: '' })
      expect(r.stderr).toMatch(new RegExp(`^eventfold: error: SQLite file ${app.db} is read-only \\(SQLITE_READONLY[^\n]*\n$`))
    } finally {
      app.remove()
    }
  })

  it('a write command still creates a missing file', async () => {
    const app = appOn('fresh.db')
    try {
      // One event parked, for dlq retry.
      expect(await app.run(['projections', 'run', '--catch-up'], { env: { EVENTFOLD_FIXTURE_POISON: 'Tally-t0@1' } })).toMatchObject({ code: 0 })
      expect(existsSync(join(app.dir, 'fresh.db'))).toBe(true)
    } finally {
      app.remove()
    }
  })
})
