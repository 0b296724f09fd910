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
