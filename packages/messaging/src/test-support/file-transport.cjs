'use strict'
// A transport for the relay crash test when no broker is given: each publish
// appends its messages as JSON lines to the file named by
// EVENTFOLD_RELAY_CRASH_FILE, synchronously, so a message is on disk once
// publish resolves (the durability a broker's acknowledgement gives) and
// SIGKILL loses nothing that was acknowledged.
const { appendFileSync } = require('node:fs')

const file = () => {
  const f = process.env.EVENTFOLD_RELAY_CRASH_FILE
  if (!f) throw new Error('EVENTFOLD_RELAY_CRASH_FILE is not set')
  return f
}

module.exports = () => ({
  name: 'file',
  declare: async () => {},
  publish: async (topic, messages) => {
    appendFileSync(file(), messages.map((m) => JSON.stringify({ topic, id: m.id, key: m.key }) + '\n').join(''))
  },
  subscribe: async () => {
    throw new Error('the file transport only publishes; read the file')
  },
  lag: async () => [],
  close: async () => {},
})

