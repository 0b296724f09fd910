'use strict'
// The child relay process of relay-crash.ts, on the built packages (dist):
// follows the SQLite log the test appends to and publishes its `Crashed`
// events through the transport a module makes, printing a line per
// checkpoint so the test knows it is publishing. The test SIGKILLs it.
// With RELAY_CRASH_HOLD_AFTER_PUBLISH=k, the k-th publish never returns once
// the broker has its messages: the process prints `held` and waits to be
// killed between that publish and its checkpoint.
//
//   node relay-crash-child.cjs <sqlite file> <transport module> <topic> <partitions> <lease ms>
const { definePublications, publish, Relay } = require('@eventfold/messaging')
const { openSqlite, SqliteDocumentStore, SqliteEventStore } = require('@eventfold/sqlite')

const [file, transportModule, topic, partitions, leaseTtlMs] = process.argv.slice(2)

const main = async () => {
  const sqlite = openSqlite(file, { synchronous: 'normal' })
  const eventStore = new SqliteEventStore(sqlite, { pollIntervalMs: 20 })
  const documents = new SqliteDocumentStore(sqlite)
  const transport = await require(transportModule).openTransport()
  const holdAfter = Number(process.env.RELAY_CRASH_HOLD_AFTER_PUBLISH || 0)
  let publishes = 0
  const relayed = {
    name: transport.name,
    declare: (spec) => transport.declare(spec),
    publish: async (topic, messages) => {
      await transport.publish(topic, messages)
      if (++publishes === holdAfter) {
        process.stdout.write('held\n')
        await new Promise(() => {})
      }
    },
    subscribe: (options) => transport.subscribe(options),
    lag: (group, topics) => transport.lag(group, topics),
    close: () => transport.close(),
  }
  const publications = definePublications({
    source: 'crash-test',
    publications: [publish('Crashed', { type: 'Crashed.v1', topic, map: (e) => ({ n: e.data.n }) })],
    topics: [{ name: topic, partitions: Number(partitions) }],
  })
  const relay = new Relay({
    eventStore,
    documents,
    transport: relayed,
    publications,
    name: 'crash',
    partitions: Number(partitions),
    leaseTtlMs: Number(leaseTtlMs),
    batchSize: 500,
    onProgress: (p) => process.stdout.write(`checkpoint ${p.partition} ${p.checkpoint} ${p.published}\n`),
  })
  process.on('SIGTERM', () => void relay.stop())
  process.stdout.write('started\n')
  await relay.run()
  await transport.close()
  await sqlite.close()
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`relay child: ${(error && error.stack) || error}\n`)
    process.exit(1)
  },
)
