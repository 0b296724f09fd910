import { Deadlines } from '@eventfold/sagas'
import Database from 'better-sqlite3'
import { ensureBuilt } from './test-support/build'
import { createFixtureApp, fixtureConfigJs, type FixtureApp } from './test-support/fixture-app'
import { parseJson } from './test-support/run-cli'

const tables = (db: string): string[] => {
  const file = new Database(db, { readonly: true })
  try {
    return (file.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name)
  } finally {
    file.close()
  }
}

describe('eventfold deadlines list', () => {
  let app: FixtureApp

  beforeAll(() => ensureBuilt())
  beforeEach(() => {
    app = createFixtureApp()
  })
  afterEach(() => app.remove())

  it('prints no deadlines on a file without any, and adds no table to it', async () => {
    await app.withStores(async ({ eventStore }) => {
      await eventStore.appendToStream('Tally-t0', [{ type: 'TallyOpened', data: {} }])
    })
    const before = tables(app.db)
    expect(await app.run(['deadlines', 'list'])).toMatchObject({ code: 0, stdout: 'no deadlines\n' })
    expect(parseJson(await app.run(['deadlines', 'list', '--due', '--json']))).toEqual([])
    expect(tables(app.db)).toEqual(before)
    expect(before).not.toContain('eventfold_deadlines')
  })

  it('lists pending, fired and parked deadlines, and only those due with --due', async () => {
    const now = Date.now()
    await app.withStores(async ({ deadlines }) => {
      const scheduled = new Deadlines(deadlines!)
      await scheduled.scope('Order-1').schedule('payment-timeout', { at: now - 60_000 }, { orderId: '1' })
      await scheduled.scope('Order-2').schedule('payment-timeout', { at: now + 3_600_000 }, { orderId: '2' })
      await scheduled.scope('Order-3').schedule('reminder', { at: now - 120_000 })
      const [claim] = await deadlines!.claimDue(now, { owner: 'w1', leaseMs: 1000, limit: 1, names: ['reminder'] })
      await deadlines!.settle(claim!, { state: 'parked', at: now, error: 'Error: mail server down' })
      await scheduled.scope('Order-4').schedule('reminder', { at: now - 30_000 })
      const [fired] = await deadlines!.claimDue(now, { owner: 'w1', leaseMs: 1000, limit: 1, names: ['reminder'] })
      await deadlines!.settle(fired!, { state: 'fired', at: now })
    })
    const all = parseJson<{ scope: string; state: string; dueAt: string; payload: unknown; error: string | null }[]>(await app.run(['deadlines', 'list', '--json']))
    expect(all).toEqual([
      expect.objectContaining({ scope: 'Order-3', name: 'reminder', state: 'parked', error: 'Error: mail server down', dueAt: new Date(now - 120_000).toISOString() }),
      expect.objectContaining({ scope: 'Order-1', name: 'payment-timeout', state: 'pending', payload: { orderId: '1' } }),
      expect.objectContaining({ scope: 'Order-4', state: 'fired', settledAt: new Date(now).toISOString() }),
      expect.objectContaining({ scope: 'Order-2', state: 'pending' }),
    ])
    const due = parseJson<{ scope: string }[]>(await app.run(['deadlines', 'list', '--due', '--json']))
    expect(due.map((d) => d.scope)).toEqual(['Order-1'])
    const human = await app.run(['deadlines', 'list'])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/^SCOPE\s+NAME\s+DUE AT\s+STATE\s+OWNER\s+SETTLED AT\s+ERROR$/m)
    expect(human.stdout).toMatch(/^Order-3\s+reminder\s+\S+\s+parked\s+\S+\s+Error: mail server down$/m)
    expect(await app.run(['deadlines', 'list', '--limit', '1', '--json']).then((r) => parseJson<unknown[]>(r))).toHaveLength(1)
  })

  it('fails with a usage error when the config connects no deadline store', async () => {
    app.remove()
    app = createFixtureApp({
      config: (db) => ({
        'eventfold.config.js': fixtureConfigJs(db).replace(
          /connect: \(\) => connectSqlite\((.*)\),/,
          'connect: async (o) => { const s = await connectSqlite($1); return { eventStore: s.eventStore, documents: s.documents, close: () => s.close() } },',
        ),
      }),
    })
    await app.withStores(async () => {})
    const r = await app.run(['deadlines', 'list'])
    expect(r).toMatchObject({ code: 2, stdout: '' })
    expect(r.stderr).toContain("the config's connect() returns no deadline store")
  })

  it('rejects a bad --limit as a usage error', async () => {
    expect(await app.run(['deadlines', 'list', '--limit', '0'])).toMatchObject({ code: 2 })
  })
})
