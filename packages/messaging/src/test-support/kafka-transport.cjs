'use strict'
// The Kafka transport the acceptance tests' child processes open (relay and
// consumer crash tests), on the broker at KAFKA_BROKERS, from the built package.
const { KafkaTransport } = require('@eventfold/kafka')

exports.openTransport = async () =>
  new KafkaTransport((process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',').map((b) => b.trim()), {
    // A killed member's partitions go to the next one within seconds rather than the default ten.
    sessionTimeoutMs: 6000,
    heartbeatIntervalMs: 500,
  })

/** Deletes what a test made on the shared broker: the topic (its groups' offsets go with it). */
exports.dropTopic = async (topic) => {
  const { Admin } = require('@platformatic/kafka')
  const admin = new Admin({ clientId: 'eventfold-test', bootstrapBrokers: (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',').map((b) => b.trim()) })
  try {
    await admin.deleteTopics({ topics: [topic] })
  } finally {
    await admin.close()
  }
}
