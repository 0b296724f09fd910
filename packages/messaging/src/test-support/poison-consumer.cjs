'use strict'
// The consumer of the poison-message acceptance test, in a module so that
// the test and the `eventfold` CLI (through its config file) load the same
// one: it records each order in `orders`, and fails for the order numbers
// listed in EF_POISON_ORDERS (read at each call, so a later retry can pass).
const { defineConsumer } = require('@eventfold/messaging')

exports.poisonConsumer = (group, topic) =>
  defineConsumer(group, {
    topics: [topic],
    collection: 'orders',
    handlers: {
      'OrderPlaced.v1': (e, { documents }) => {
        const poison = (process.env.EF_POISON_ORDERS || '').split(',')
        if (poison.includes(String(e.data.n))) throw new Error(`cannot take order ${e.data.n}`)
        documents.upsert(String(e.data.n), { $inc: { taken: 1 }, $set: { key: e.streamId } })
      },
    },
  })
