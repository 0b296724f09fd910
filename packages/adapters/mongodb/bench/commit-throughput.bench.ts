/**
 * Commit throughput of MongoDocumentStore, 1000 documents per commit, against
 * the server at MONGODB_URL. Not part of `npm test`; run it with
 *
 *   npx jest --testMatch '**\/mongodb/bench/*.bench.ts' --testTimeout 600000
 */
import { expect, it } from '@jest/globals'
import type { Document } from '@eventfold/projections'
import type { DocumentWrite } from '@eventfold/projections/spi'
import { batchWrites, type BatchEvent } from '@eventfold/projections/testing'
import { MongoDocumentStore } from '../src/documents/mongo-document-store'
import { describeMongo } from '../src/testing/connect'

const SIZE = 1000
const COMMITS = Number(process.env.BENCH_COMMITS ?? 20)

const report = (label: string, docs: number, ms: number) =>
  process.stdout.write(`${label.padEnd(58)} ${String(Math.round((docs / ms) * 1000)).padStart(7)} documents/s  (${docs} in ${Math.round(ms)} ms)\n`)

const doc = (i: number, round: number): Document => ({
  _id: `acc-${String(i).padStart(6, '0')}`,
  owner: `owner ${i}`,
  balance: i * round,
  status: i % 3 ? 'open' : 'closed',
  history: [{ kind: 'deposit', amount: i }, { kind: 'withdrawal', amount: round }],
})

describeMongo('commit throughput', (mongo) => {
  it(`commits ${COMMITS} × ${SIZE} documents`, async () => {
    const store = new MongoDocumentStore(mongo().client, mongo().dbName)
    const server = await store.ready()
    process.stdout.write(`\n${server.product} ${server.version}, transactions: ${store.capabilities.transactions}\n`)

    // Creates: each commit inserts 1000 new documents (expected revision 0).
    let start = performance.now()
    for (let c = 0; c < COMMITS; c++) {
      const writes: DocumentWrite[] = Array.from({ length: SIZE }, (_, i) => ({
        kind: 'put', collection: `create_${c}`, doc: doc(i, 1), meta: { revision: 1, positions: { '0/1': String(c) } }, expectedRevision: 0,
      }))
      await store.commit({ writes, checkpoint: { name: 'bench:create', position: BigInt(c) } })
    }
    report(`create: ${SIZE} new documents per commit`, COMMITS * SIZE, performance.now() - start)

    // Replaces: each commit replaces the same 1000 documents at their current revision.
    start = performance.now()
    for (let c = 0; c < COMMITS; c++) {
      const writes: DocumentWrite[] = Array.from({ length: SIZE }, (_, i) => ({
        kind: 'put', collection: 'create_0', doc: doc(i, c + 2), meta: { revision: c + 2, positions: { '0/1': String(c + 100) } }, expectedRevision: c + 1,
      }))
      await store.commit({ writes, checkpoint: { name: 'bench:replace', position: BigInt(c) } })
    }
    report(`replace: ${SIZE} documents per commit (compare-and-set)`, COMMITS * SIZE, performance.now() - start)

    // As a worker does: one getMany, the operations applied in memory, one commit.
    start = performance.now()
    let position = 1000n
    for (let c = 0; c < COMMITS; c++) {
      const events = Array.from({ length: SIZE }, (_, i): BatchEvent => [
        ++position,
        (documents) => documents.update(doc(i, 0)._id, { $inc: { balance: 1 }, $set: { status: 'open' } }),
      ])
      const writes = await batchWrites(store, 'create_1', events)
      expect(writes).toHaveLength(SIZE)
      await store.commit({ writes, checkpoint: { name: 'bench:batch', position } })
    }
    report(`worker batch: getMany + ${SIZE} updates + commit`, COMMITS * SIZE, performance.now() - start)

    for (let c = 0; c < COMMITS; c++) await store.dropCollection(`create_${c}`)
    await store.deleteCheckpoints(['bench:create', 'bench:replace', 'bench:batch'])
  })
})
