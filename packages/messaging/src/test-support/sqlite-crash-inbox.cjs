'use strict'
// The consumer's store of the consumer crash tests: an SQLite file in `dir`
// with its log and read models, through the built package.
const { join } = require('node:path')
const { openSqlite, sqliteInbox } = require('@eventfold/sqlite')

exports.openInbox = async (dir) => {
  const connection = openSqlite(join(dir, 'consumer.db'))
  return Object.assign(sqliteInbox(connection), { close: () => connection.close() })
}
