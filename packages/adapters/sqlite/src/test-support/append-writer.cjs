'use strict'
// The child process of child-process.int.test.ts. It appends through the
// built package (dist), exactly as an application would, and prints one JSON
// line per acknowledged append: { stream, nextRevision, position, eventIds }.
//
//   node append-writer.cjs <file> random <streams> <seed> [<holdAfter>]
//     appends batches of 1..8 events to random streams, each checked against
//     the revision it last saw, until it is killed. With <holdAfter>, the
//     append after that many acknowledged ones stops inside its transaction,
//     after its first insert and before its commit: it prints
//     { held: { stream, eventIds } } and blocks until it is killed;
//   node append-writer.cjs <file> sequence <streamId> <count>
//     appends <count> single events to one stream, then closes and exits.
const { randomUUID } = require('node:crypto')
const { writeSync } = require('node:fs')
const { openSqlite, SqliteEventStore } = require('@eventfold/sqlite')

const [file, mode, ...args] = process.argv.slice(2)

/** mulberry32: a seeded generator, so that a failing run can be replayed. */
const random = (seed) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

let acknowledged = 0
let onAppend = () => {}

const acknowledge = (stream, result, events) => {
  acknowledged++
  // Writes to a pipe are synchronous on Linux: a printed line was acknowledged.
  process.stdout.write(
    JSON.stringify({
      stream,
      nextRevision: String(result.nextRevision),
      position: String(result.position),
      eventIds: events.map((e) => e.metadata.eventId),
    }) + '\n',
  )
}

const batch = (size) =>
  Array.from({ length: size }, (_, i) => ({ type: 'Appended', data: { i, of: size }, metadata: { eventId: randomUUID() } }))

/**
 * Calls `onInsert(args)` after each insert of an event, inside the append's
 * transaction: it wraps the insert statement the store prepares on `db`.
 */
const watchInserts = (db, onInsert) => {
  const prepare = db.prepare.bind(db)
  db.prepare = (sql) => {
    const statement = prepare(sql)
    if (/^\s*INSERT INTO eventfold_events\b/.test(sql)) {
      const run = statement.run.bind(statement)
      statement.run = (...args) => {
        const result = run(...args)
        onInsert(args)
        return result
      }
    }
    return statement
  }
}

const appendRandomly = async (store, streams, seed) => {
  const next = random(seed)
  const revisions = new Map()
  for (let s = 0; s < streams; s++) revisions.set(`Crash-${s}`, await store.streamRevision(`Crash-${s}`))
  for (;;) {
    const stream = `Crash-${Math.floor(next() * streams)}`
    const events = batch(1 + Math.floor(next() * 8))
    const known = revisions.get(stream)
    onAppend(stream, events)
    const result = await store.appendToStream(stream, events, { expectedRevision: known === undefined ? 'no_stream' : known })
    revisions.set(stream, result.nextRevision)
    acknowledge(stream, result, events)
    // Let the event loop breathe, as a real application's would.
    await new Promise((resolve) => setImmediate(resolve))
  }
}

const appendSequence = async (store, stream, count) => {
  for (let i = 0; i < count; i++) {
    const events = batch(1)
    acknowledge(stream, await store.appendToStream(stream, events), events)
  }
}

const main = async () => {
  const connection = openSqlite(file)
  const holdAfter = mode === 'random' && args[2] !== undefined ? Number(args[2]) : undefined
  if (holdAfter !== undefined) {
    let pending
    watchInserts(connection.db, () => {
      if (acknowledged < holdAfter) return
      writeSync(1, JSON.stringify({ held: pending }) + '\n')
      // Blocks this thread, inside the open transaction, until the process is killed.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
    })
    onAppend = (stream, events) => (pending = { stream, eventIds: events.map((e) => e.metadata.eventId) })
  }
  const store = new SqliteEventStore(connection)
  try {
    if (mode === 'random') await appendRandomly(store, Number(args[0]), Number(args[1]))
    else if (mode === 'sequence') await appendSequence(store, args[0], Number(args[1]))
    else throw new Error(`unknown mode '${mode}'`)
  } finally {
    await store.close()
    await connection.close()
  }
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`)
  process.exit(1)
})
