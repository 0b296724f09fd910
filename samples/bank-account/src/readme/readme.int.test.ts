import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { appendAndRead, checkOutACart } from './core'
import { specifyTheCart } from './core-spec'
import { relayCarts } from './messaging-relay'
import { projectCarts } from './projections'
import { randomBytes } from 'node:crypto'
import { PostgresReadOnlyError, PostgresSchemaMissingError } from '@eventfold/postgresql'
import pg from 'pg'
import { connect } from './postgresql'
import { bankInOneFile } from './sqlite'

/** Runs the README snippets and checks what they print. */
describe('the package README snippets', () => {
  let log: ReturnType<typeof jest.spyOn>
  const printed = (): unknown[][] => log.mock.calls

  beforeEach(() => {
    log = jest.spyOn(console, 'log').mockImplementation(() => {})
  })
  afterEach(() => log.mockRestore())

  it('@eventfold/core: runs the decider through the command bus', async () => {
    await expect(checkOutACart()).resolves.toEqual({ items: ['book'], checkedOut: true })
    expect(printed()).toEqual([
      ['Cart-c1', 2n],
      [{ items: ['book'], checkedOut: true }, 2n],
    ])
  })

  it('@eventfold/core: appends with an expected revision and reads the stream back', async () => {
    await appendAndRead()
    expect(printed()).toEqual([
      ['Cart-c2', 'no_stream', 0n],
      [0n, 1n, 'CartOpened'],
    ])
  })

  it('@eventfold/core: specifies the decider given/when/then', async () => {
    await expect(specifyTheCart()).resolves.toBeUndefined()
  })

  it('@eventfold/projections: projects, queries and rebuilds a read model', async () => {
    await projectCarts()
    expect(printed()).toEqual([
      [2n, 2],
      [{ _id: 'Cart-c1', items: 1 }],
      [1, 2, 2],
    ])
  })

  it('@eventfold/messaging: publishes the chosen events through the relay', async () => {
    await relayCarts()
    expect(printed()).toEqual([[2, 3n], [0n]])
  })

  it('@eventfold/sqlite: keeps log, snapshots, read models and checkpoints in one file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventfold-readme-'))
    try {
      await bankInOneFile(join(dir, 'bank.db'))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    expect(printed()).toEqual([[expect.objectContaining({ _id: 'ann', owner: 'Ann', balance: 500 })]])
  })
})

/** Runs the PostgreSQL CLI config of the READMEs as the CLI does: read commands pass readOnly: true. */
describe('the PostgreSQL CLI config of the READMEs', () => {
  const url = process.env.POSTGRES_URL || 'postgres://eventfold:eventfold@127.0.0.1:5432/eventfold'
  const env = { url: process.env.POSTGRES_URL, schema: process.env.BANK_SCHEMA }
  const schema = `bank_readme_${randomBytes(5).toString('hex')}`
  let admin: pg.Pool

  beforeAll(() => {
    admin = new pg.Pool({ connectionString: url, max: 1 })
    process.env.POSTGRES_URL = url
    process.env.BANK_SCHEMA = schema
  })
  afterAll(async () => {
    for (const [key, value] of [['POSTGRES_URL', env.url], ['BANK_SCHEMA', env.schema]] as const) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await admin.end()
  })

  const schemaExists = async (): Promise<boolean> =>
    (await admin.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema])).rows.length > 0

  it('reads nothing and creates nothing on a schema that does not exist yet', async () => {
    const stores = await connect({ readOnly: true })
    try {
      await expect(stores.eventStore.streamRevision('Account-ann')).rejects.toBeInstanceOf(PostgresSchemaMissingError)
      await expect(stores.documents.listCollections()).rejects.toMatchObject({ type: 'postgres-schema-missing', schema })
    } finally {
      await stores.close()
    }
    expect(await schemaExists()).toBe(false)
  })

  it('reads what a writing command stored, and refuses to write', async () => {
    const writer = await connect({ readOnly: false })
    await writer.eventStore.appendToStream('Account-ann', [{ type: 'AccountOpened', data: { owner: 'Ann' } }])
    await writer.documents.ready()
    await writer.close()
    const reader = await connect({ readOnly: true })
    try {
      expect(await reader.eventStore.streamRevision('Account-ann')).toBe(0n)
      expect(await reader.documents.listCollections()).toEqual([])
      await expect(reader.eventStore.appendToStream('Account-ann', [{ type: 'Deposited', data: { amount: 5 } }])).rejects.toBeInstanceOf(
        PostgresReadOnlyError,
      )
    } finally {
      await reader.close()
    }
  })
})
