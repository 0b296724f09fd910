'use strict'
// A member of a consumer group in a process of its own, for the crash test of
// rabbitmq-transport.int.test.ts, on the built package (dist): joins the group,
// reads `count` deliveries without acknowledging them, reports their ids on
// stdout and waits to be killed.
//
//   RABBITMQ_URL=<url> node crash-member.js <group> <topic> <count>
//
// The URL comes by environment: a command line is visible to every user in /proc/<pid>/cmdline.
const { RabbitMQTransport } = require('@eventfold/rabbitmq')

const [group, topic, count] = process.argv.slice(2)

const main = async () => {
  // It holds its deliveries unacknowledged on purpose: it must not try to hand a partition over.
  const transport = new RabbitMQTransport(process.env.RABBITMQ_URL, { rebalanceIntervalMs: 600_000 })
  const member = await transport.subscribe({ group, topics: [topic] })
  process.stdout.write('joined\n')
  const got = []
  const never = new Promise(() => {})
  while (got.length < Number(count)) got.push(...(await member.read(100, 20, never)))
  process.stdout.write(`read ${JSON.stringify(got.map((delivery) => delivery.id))}\n`)
  // Stays connected, holding the deliveries unacknowledged, until the test kills it.
  setInterval(() => undefined, 60_000)
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`)
  process.exit(1)
})
