import { inspect } from 'node:util'
import { describe, expect, it } from '@jest/globals'
import pg from 'pg'
import { PostgresDocumentStore } from '../documents/postgres-document-store'
import { PostgresEventStore } from '../events/postgres-event-store'
import { clientConfigOf } from './pool'

const PASSWORD = 'hunter2-secret'

describe('the password of a store', () => {
  it.each([
    ['a borrowed pg.Pool', () => new pg.Pool({ host: '127.0.0.1', port: 1, user: 'app', password: PASSWORD })],
    ['a connection string', () => `postgres://app:${PASSWORD}@127.0.0.1:1/app`],
    ['a pool config', () => ({ host: '127.0.0.1', port: 1, user: 'app', password: PASSWORD })],
  ])('is not shown by util.inspect of the stores on %s', async (_, source) => {
    const events = new PostgresEventStore(source())
    const documents = new PostgresDocumentStore(source())
    try {
      expect(inspect(events, { depth: Infinity })).not.toContain(PASSWORD)
      expect(inspect(documents, { depth: Infinity })).not.toContain(PASSWORD)
    } finally {
      await events.close()
      await documents.close()
    }
  })

  it('still reaches the listening connection, hidden from inspection', () => {
    const config = clientConfigOf(new pg.Pool({ user: 'app', password: PASSWORD }))!
    expect(config.password).toBe(PASSWORD)
    expect(inspect(config)).not.toContain(PASSWORD)
    expect(Object.keys(config)).not.toContain('password')
  })
})
