'use strict'
// The RabbitMQ transport the acceptance tests' child processes open (relay and
// consumer crash tests), on the broker at RABBITMQ_URL, from the built package.
const { RabbitMQTransport } = require('@eventfold/rabbitmq')

exports.openTransport = async () => new RabbitMQTransport(process.env.RABBITMQ_URL || 'amqp://eventfold:eventfold@127.0.0.1:5672')

/** Deletes what a test made on the shared broker: the topic's exchange and settings queue, and each group's queues. */
exports.dropTopic = async (topic, groups = [], partitions = 1) => {
  const amqp = require('amqplib')
  const connection = await amqp.connect(process.env.RABBITMQ_URL || 'amqp://eventfold:eventfold@127.0.0.1:5672')
  try {
    const channel = await connection.createChannel()
    for (const group of groups) {
      for (let p = 0; p < partitions; p++) await channel.deleteQueue(`${group}.${topic}.${p}`)
      await channel.deleteQueue(`${group}.parked`)
      await channel.deleteQueue(`${group}.members`)
      await channel.deleteExchange(`${group}.dead-letter`)
    }
    await channel.deleteQueue(`eventfold.topic.${topic}`)
    await channel.deleteExchange(topic)
  } finally {
    await connection.close()
  }
}
