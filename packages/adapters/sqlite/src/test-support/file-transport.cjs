'use strict'
// A Transport over one SQLite file, for tests that need a consumer group
// shared across processes when no broker is at hand (the consumer crash
// test): topics as tables of rows, a group's committed offsets as rows.
// One member per group at a time; a test double, not a broker.
//
//   EF_FILE_BROKER=<file> — the file every process opens.
const Database = require('better-sqlite3')
const { partitionOfKey } = require('@eventfold/projections/spi')

const open = (file) => {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('busy_timeout = 5000')
  db.exec(`
    CREATE TABLE IF NOT EXISTS topics (name TEXT PRIMARY KEY, partitions INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS messages (topic TEXT, partition INTEGER, offset INTEGER, id TEXT, key TEXT, headers TEXT, value BLOB,
      PRIMARY KEY (topic, partition, offset));
    CREATE TABLE IF NOT EXISTS offsets (grp TEXT, topic TEXT, partition INTEGER, committed INTEGER, delivered INTEGER,
      PRIMARY KEY (grp, topic, partition));`)
  return db
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

exports.openTransport = async () => {
  const db = open(process.env.EF_FILE_BROKER)
  const partitionsOf = (topic) => {
    const row = db.prepare('SELECT partitions FROM topics WHERE name = ?').get(topic)
    if (!row) throw new Error(`topic '${topic}' was never declared`)
    return row.partitions
  }
  const endOf = (topic, partition) =>
    BigInt(db.prepare('SELECT coalesce(max(offset) + 1, 0) AS e FROM messages WHERE topic = ? AND partition = ?').get(topic, partition).e)
  const insert = db.prepare('INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?)')
  const publish = db.transaction((topic, messages) => {
    const count = partitionsOf(topic)
    for (const m of messages) {
      const p = partitionOfKey(m.key, count)
      insert.run(topic, p, endOf(topic, p), m.id, m.key, JSON.stringify(m.headers), m.value === null ? null : Buffer.from(m.value))
    }
  })
  const transport = {
    name: 'sqlite-file (test)',
    async declare({ name, partitions = 1 }) {
      db.prepare('INSERT OR IGNORE INTO topics VALUES (?, ?)').run(name, partitions)
    },
    async publish(topic, messages) {
      publish(topic, messages)
    },
    async subscribe({ group, topics }) {
      const slots = topics.flatMap((topic) => Array.from({ length: partitionsOf(topic) }, (_, partition) => ({ topic, partition })))
      const offset = (s) => db.prepare('SELECT committed, delivered FROM offsets WHERE grp = ? AND topic = ? AND partition = ?').get(group, s.topic, s.partition)
      for (const s of slots) s.next = BigInt(offset(s)?.committed ?? 0)
      const acked = new Map(slots.map((s) => [`${s.topic}/${s.partition}`, new Set()]))
      let closed = false
      const take = (max) => {
        const out = []
        for (const s of slots) {
          if (out.length >= max) break
          const rows = db.prepare('SELECT * FROM messages WHERE topic = ? AND partition = ? AND offset >= ? ORDER BY offset LIMIT ?').all(s.topic, s.partition, s.next, max - out.length)
          const before = BigInt(offset(s)?.delivered ?? -1)
          for (const r of rows) {
            const o = BigInt(r.offset)
            out.push({ id: r.id, key: r.key, headers: JSON.parse(r.headers), value: r.value === null ? null : new Uint8Array(r.value), topic: s.topic, partition: s.partition, offset: o, redelivered: o <= before })
            s.next = o + 1n
          }
          if (rows.length > 0) {
            db.prepare('INSERT INTO offsets VALUES (?, ?, ?, 0, ?) ON CONFLICT DO UPDATE SET delivered = max(delivered, excluded.delivered)').run(group, s.topic, s.partition, s.next - 1n)
          }
        }
        return out
      }
      const commit = (deliveries) => {
        for (const d of deliveries) acked.get(`${d.topic}/${d.partition}`).add(d.offset)
        for (const s of slots) {
          const set = acked.get(`${s.topic}/${s.partition}`)
          let committed = BigInt(offset(s)?.committed ?? 0)
          while (set.has(committed)) set.delete(committed++)
          db.prepare('INSERT INTO offsets VALUES (?, ?, ?, ?, -1) ON CONFLICT DO UPDATE SET committed = excluded.committed').run(group, s.topic, s.partition, committed)
        }
      }
      return {
        get finished() {
          return closed
        },
        async read(maxCount, maxWaitMs, wake) {
          let woken = false
          wake.then(() => (woken = true))
          let out = []
          while (!closed && out.length === 0 && !woken) {
            out = take(maxCount)
            if (out.length === 0) await Promise.race([sleep(10), wake])
          }
          if (out.length > 0 && out.length < maxCount && maxWaitMs > 0) {
            await Promise.race([sleep(maxWaitMs), wake])
            out.push(...take(maxCount - out.length))
          }
          return out
        },
        async acknowledge(deliveries) {
          commit(deliveries)
        },
        async deadLetter(delivery, reason) {
          const dead = `${group}.${delivery.topic}.dead-letter`
          await transport.declare({ name: dead, partitions: 1 })
          publish(dead, [{ ...delivery, headers: { ...delivery.headers, 'ef-dead-letter-reason': reason } }])
          commit([delivery])
        },
        async close() {
          closed = true
        },
      }
    },
    async lag(group, topics) {
      return topics.flatMap((topic) =>
        Array.from({ length: partitionsOf(topic) }, (_, partition) => {
          const row = db.prepare('SELECT committed FROM offsets WHERE grp = ? AND topic = ? AND partition = ?').get(group, topic, partition)
          const committed = row === undefined ? undefined : BigInt(row.committed)
          const end = endOf(topic, partition)
          return { topic, partition, committed, end, lag: end - (committed ?? 0n) }
        }),
      )
    },
    async close() {
      db.close()
    },
  }
  return transport
}
