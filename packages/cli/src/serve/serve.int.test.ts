import { rmSync } from 'node:fs'
import { request } from 'node:http'
import { ReadModels } from '@eventfold/projections'
import { openSqlite, SqliteEventStore } from '@eventfold/sqlite'
import type { EventfoldConnection } from '../config/define-config'
import { connectSqlite } from '../config/sqlite'
import { createFixtureApp, seedTallies, type FixtureApp } from '../test-support/fixture-app'
import { databaseDigest, ensureConsoleBuilt, seededBank, startConsole, type RunningConsole } from '../test-support/console'
import { runCli } from '../test-support/run-cli'

interface Answer {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly json: unknown
}

/** One HTTP request, with whatever headers the test gives (fetch would refuse a foreign Host). */
const call = (url: string, { method = 'GET', headers = {}, body }: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (d: string) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, json: text && res.headers['content-type']?.startsWith('application/json') ? JSON.parse(text) : text }))
    })
    req.on('error', reject)
    req.end(body)
  })

const ACTIONS = [
  '/api/projections/account-balances/rebuild',
  '/api/projections/account-balances/reset',
  '/api/dead-letters/account-balances@1:3/retry',
  '/api/dead-letters/account-balances@1:3/discard',
]

describe('eventfold serve: the JSON API and its security', () => {
  let bank: { dir: string; db: string }
  let server: RunningConsole

  beforeAll(async () => {
    ensureConsoleBuilt()
    bank = seededBank()
    // A dead letter: eve's deposit, which account-balances cannot apply in the worker nor in this console (both poisoned).
    const stores = await connectSqlite(bank.db)
    try {
      await stores.eventStore.appendToStream('Account-eve', [
        { type: 'AccountOpened', data: { accountId: 'eve', owner: 'Eve' } },
        { type: 'MoneyDeposited', data: { accountId: 'eve', amount: 700 } },
      ])
    } finally {
      await stores.close()
    }
    expect((await runCli(['projections', 'run', '--catch-up'], { cwd: bank.dir, env: { BANK_POISON: 'Account-eve@1' } })).code).toBe(0)
    server = await startConsole(bank.dir, [], { BANK_POISON: 'Account-eve@1' })
  }, 120_000)
  afterAll(async () => {
    await server?.stop()
    rmSync(bank.dir, { recursive: true, force: true })
  })

  it('listens on 127.0.0.1 and prints the token once', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(server.cli.stdout().split(server.token).length - 1).toBe(2) // the token line, and the URL that carries it
  })

  it.each(ACTIONS)('refuses %s without a token or with a wrong one (401), and the database does not change', async (path) => {
    const before = databaseDigest(bank.db)
    for (const headers of [{}, { authorization: `Bearer ${server.token}x` }, { authorization: server.token }, { authorization: `Basic ${server.token}` }, { cookie: `token=${server.token}` }] as Record<string, string>[]) {
      const answer = await call(server.url + path.slice(1), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' })
      expect(answer).toMatchObject({ status: 401, headers: { 'www-authenticate': 'Bearer' }, json: { error: { type: 'console-request' } } })
    }
    expect(databaseDigest(bank.db)).toBe(before)
  })

  it('reads every page without writing to the database', async () => {
    const before = databaseDigest(bank.db)
    for (const path of [
      'api/info',
      'api/streams',
      'api/streams?category=Account',
      'api/streams?prefix=Account-a&offset=0&limit=1',
      'api/streams/Account-ann/events?from=1&limit=2',
      'api/streams/Account-ann/events/1',
      'api/streams/Account-ann/replay?revision=1',
      'api/projections',
      'api/dead-letters',
      'api/deadlines',
      '',
    ]) {
      expect({ path, status: (await call(server.url + path)).status }).toEqual({ path, status: 200 })
    }
    expect(databaseDigest(bank.db)).toBe(before)
  })

  it('answers reads as the CLI does: streams by prefix with paging, one event, an aggregate at a revision', async () => {
    expect((await call(`${server.url}api/streams?category=Account&limit=1&offset=1`)).json).toEqual({
      total: 3,
      offset: 1,
      limit: 1,
      streams: [{ streamId: 'Account-bob', lastRevision: '3', lastPosition: expect.any(String), events: 4 }],
    })
    expect((await call(`${server.url}api/streams/Account-ann/events/1`)).json).toMatchObject({
      lastRevision: '4',
      event: { streamId: 'Account-ann', revision: '1', type: 'MoneyDeposited', data: { accountId: 'ann', amount: 10000 }, metadata: { correlationId: expect.any(String) } },
    })
    const replay = await call(`${server.url}api/streams/Account-ann/replay?revision=1`)
    const cli = await runCli(['replay', 'Account-ann', '--to-revision', '1', '--json'], { cwd: bank.dir })
    expect(replay.json).toEqual(JSON.parse(cli.stdout))
  })

  it.each([
    ['GET', 'api/streams?prefix=a&category=b', 'give prefix or category, not both'],
    ['GET', 'api/streams?limit=0', 'limit: Expected a whole number from 1 to 1000.'],
    ['GET', 'api/streams?offset=-1', 'offset: Expected a whole number, like 1.'],
    ['GET', 'api/streams/Account-ann/events?from=1e3', 'from: Expected a revision'],
    ['GET', 'api/streams/Account-zed/events', "stream 'Account-zed' does not exist"],
    ['GET', 'api/streams/Account-ann/events/99', 'has no event at revision 99'],
    ['GET', 'api/streams/Account-ann/replay?revision=9', 'ends at revision 4'],
    ['GET', 'api/streams/Account-ann/replay?until=2024-02-30', 'until: Expected an ISO-8601 time'],
    ['GET', 'api/streams/%E0%A4%A/events', 'not valid percent-encoding'],
    ['GET', 'api/dead-letters?projection=nope', "Unknown projection 'nope' (known: account-balances, owner-summaries, daily-totals)"],
    ['GET', 'api/deadlines?due=maybe', 'due must be true or false'],
    ['POST', 'api/projections/nope/rebuild', "Unknown projection 'nope' (known: account-balances, owner-summaries, daily-totals)"],
    ['POST', 'api/projections/account-balances/rebuild', 'partitions must be a whole number from 1 to 1024', '{"partitions":"2"}'],
    ['POST', 'api/projections/account-balances/reset', "unknown field 'force'", '{"force":true}'],
    ['POST', 'api/projections/account-balances/reset', 'the request body is not JSON', '{'],
    ['POST', 'api/dead-letters/account-balances@1:3/retry', "no dead letter with id 'account-balances@1:3'"],
    ['POST', 'api/dead-letters/account-balances@1:3/discard', "no dead letter with id 'account-balances@1:3'"],
  ])('answers %s /%s with 400 and a clear message, and changes nothing', async (method, path, message, body = '{}') => {
    const before = databaseDigest(bank.db)
    const answer = await call(server.url + path, { method, headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }, body: method === 'POST' ? body : undefined })
    expect(answer.status).toBe(400)
    expect((answer.json as { error: { message: string } }).error.message).toContain(message)
    expect(databaseDigest(bank.db)).toBe(before)
  })

  it('refuses a Host header other than its own (a rebound DNS name), unknown paths and wrong methods', async () => {
    expect(await call(`${server.url}api/streams`, { headers: { host: 'attacker.example:80' } })).toMatchObject({ status: 403 })
    expect(await call(`${server.url}api/nope`)).toMatchObject({ status: 404 })
    expect(await call(`${server.url}../etc/passwd`)).toMatchObject({ status: 404 })
    expect(await call(`${server.url}api/streams`, { method: 'POST', headers: { authorization: `Bearer ${server.token}` } })).toMatchObject({ status: 405 })
    expect(await call(`${server.url}api/projections/account-balances/reset`)).toMatchObject({ status: 405 })
  })

  it('sends a content security policy that allows only its own script', async () => {
    const page = await call(server.url)
    expect(page.headers['content-security-policy']).toContain("script-src 'self'")
    expect(page.headers['x-content-type-options']).toBe('nosniff')
  })

  it('answers a retry whose handler fails again with 409 and the error; the letter stays, with one attempt more', async () => {
    const [letter] = (await call(`${server.url}api/dead-letters`)).json as { id: string; attempts: number }[]
    expect(letter).toMatchObject({ attempts: 3, event: { streamId: 'Account-eve', revision: '1' } })
    const answer = await call(`${server.url}api/dead-letters/${encodeURIComponent(letter!.id)}/retry`, { method: 'POST', headers: { authorization: `Bearer ${server.token}` } })
    expect(answer).toMatchObject({
      status: 409,
      json: { error: { type: 'dead-letter-retry-failed', message: `retrying dead letter '${letter!.id}' failed again, it stays parked (attempts 4): poisoned event Account-eve@1` } },
    })
    expect((await call(`${server.url}api/dead-letters`)).json).toEqual([expect.objectContaining({ id: letter!.id, attempts: 4 })])
  })

  it('discards the dead letter with the token, without applying it', async () => {
    const [letter] = (await call(`${server.url}api/dead-letters`)).json as { id: string }[]
    const answer = await call(`${server.url}api/dead-letters/${encodeURIComponent(letter!.id)}/discard`, { method: 'POST', headers: { authorization: `Bearer ${server.token}` } })
    expect(answer).toMatchObject({ status: 200, json: { id: letter!.id, projection: 'account-balances', discarded: true } })
    expect((await call(`${server.url}api/dead-letters`)).json).toEqual([])
    const stores = await connectSqlite(bank.db, { readOnly: true })
    try {
      expect(await new ReadModels(stores.documents).collection('account_balances').find({ _id: 'eve' })).toEqual([expect.objectContaining({ balance: 0 })])
    } finally {
      await stores.close()
    }
  })

  it('rebuilds a projection into a new generation, showing its progress on the projections endpoint', async () => {
    const started = await call(`${server.url}api/projections/daily-totals/rebuild`, { method: 'POST', headers: { authorization: `Bearer ${server.token}` }, body: '{"partitions":2}' })
    expect(started).toMatchObject({ status: 202, json: { projection: 'daily-totals', started: true } })
    type Status = { name: string; active: { generation: number; partitions: unknown[] }; live: { state: string; result: { completed: boolean } | null } | null }
    const dailyTotals = async (): Promise<Status> => ((await call(`${server.url}api/projections`)).json as Status[]).find((p) => p.name === 'daily-totals')!
    // The rebuild runs in the console's process; its end is the event this waits for.
    let status = await dailyTotals()
    while (status.live?.state === 'running') status = await dailyTotals()
    expect(status).toMatchObject({ active: { generation: 2, partitions: [{}, {}] }, live: { state: 'done', result: { completed: true } } })
  })

  it('changes the database with the token: the actions are the CLI\'s (a reset of account-balances)', async () => {
    const before = databaseDigest(bank.db)
    const answer = await call(`${server.url}api/projections/account-balances/reset`, { method: 'POST', headers: { authorization: `Bearer ${server.token}` } })
    expect(answer).toMatchObject({ status: 200, json: { projection: 'account-balances', reset: true, droppedGeneration: 1, nextGeneration: 2 } })
    expect(databaseDigest(bank.db)).not.toBe(before)
    const stores = await connectSqlite(bank.db, { readOnly: true })
    try {
      expect(await new ReadModels(stores.documents).collection('account_balances').find({})).toEqual([])
    } finally {
      await stores.close()
    }
  })
})

describe('eventfold serve on a log whose projections never ran', () => {
  let app: FixtureApp
  let server: RunningConsole

  beforeAll(async () => {
    ensureConsoleBuilt()
    app = createFixtureApp()
    // Only the event store has written to the file: the read models' tables do not exist yet.
    const sqlite = openSqlite(app.db)
    try {
      await seedTallies({ eventStore: new SqliteEventStore(sqlite) } as unknown as EventfoldConnection, { streams: 2, perStream: 3 })
    } finally {
      sqlite.close()
    }
    server = await startConsole(app.dir)
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
    app.remove()
  })

  it('shows the read models a worker builds after it started', async () => {
    const states = async (): Promise<unknown> =>
      ((await call(`${server.url}api/projections`)).json as { name: string; state: string; active: { lag: number } | null }[]).filter((p) => p.name === 'tallies').map((p) => [p.name, p.state, p.active?.lag ?? null])
    expect(await states()).toEqual([['tallies', 'new', null]])
    expect((await app.run(['projections', 'run', 'tallies', '--catch-up'])).code).toBe(0)
    expect(await states()).toEqual([['tallies', 'caught-up', 0]])
  })
})

describe('eventfold serve: where it listens', () => {
  beforeAll(() => ensureConsoleBuilt())

  it.each([['0.0.0.0'], ['192.0.2.1'], ['::']])('refuses --host %s without --allow-remote (exit 2) and listens nowhere', async (host) => {
    const r = await runCli(['serve', '--host', host, '--port', '0'], { cwd: '/' })
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(`eventfold: error: --host ${host} is not a loopback address: anyone who can reach it could read the event log; add --allow-remote to mean it\n`)
    expect(r.stdout).toBe('')
  })
})
