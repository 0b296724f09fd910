'use strict'
// The RabbitMQ transport the acceptance tests' child processes open (relay and
// consumer crash tests), on the broker at RABBITMQ_URL, from the built package.
const { RabbitMQTransport } = require('@eventfold/rabbitmq')

exports.openTransport = async () => new RabbitMQTransport(process.env.RABBITMQ_URL || 'amqp://eventfold:eventfold@127.0.0.1:5672')
