#!/usr/bin/env node
// `npm run demo`: the scripted bank session on a fresh SQLite file.
import { rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { openSqlite, SqliteDocumentStore, SqliteEventStore, SqliteSnapshotStore } from '@eventfold/sqlite'
import { runDemo } from './demo'

const main = async (): Promise<void> => {
  const path = resolve(process.env.EVENTFOLD_DB ?? 'bank-demo.db')
  // The demo tells the same story every run, so it starts from an empty log.
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true })
  const sqlite = openSqlite(path)
  console.log(`eventfold bank demo — event log in ${path} (SQLite, WAL, synchronous=full); read models in the same file\n`)
  try {
    await runDemo({
      eventStore: new SqliteEventStore(sqlite),
      snapshotStore: new SqliteSnapshotStore(sqlite),
      documents: new SqliteDocumentStore(sqlite),
    })
  } finally {
    await sqlite.close()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
