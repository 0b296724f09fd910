import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ProjectionStates, ReadModels } from '@eventfold/projections'
import { connectSqlite } from '../config/sqlite'
import { launchBrowser, type TestBrowser } from '../test-support/browser'
import { databaseDigest, ensureConsoleBuilt, seededBank, startConsole, type RunningConsole } from '../test-support/console'
import { scanningTraceApp } from '../test-support/scanning-trace'

describe('the trace and the rebuild preview in a browser, on the bank sample', () => {
  let bank: { dir: string; db: string }
  let server: RunningConsole
  let browser: TestBrowser
  /** The flow of Ann's first deposit (the command's id, which its event carries as correlation id). */
  let flow: string

  /** What readers of account-balances see, and the generation they read. */
  const live = async () => {
    const stores = await connectSqlite(bank.db)
    try {
      const documents = await new ReadModels(stores.documents).collection('account_balances').find({}, { sort: { _id: 1 } })
      const state = await new ProjectionStates(stores.documents).get('account-balances')
      return { documents, generation: state?.generation, rebuilding: state?.rebuilding }
    } finally {
      await stores.close()
    }
  }

  beforeAll(async () => {
    ensureConsoleBuilt()
    bank = seededBank()
    const stores = await connectSqlite(bank.db)
    try {
      for await (const e of stores.eventStore.readStream('Account-ann', { fromRevision: 1n, maxCount: 1 })) flow = String(e.metadata.correlationId)
    } finally {
      await stores.close()
    }
    // The console's account-balances skips Ann's first deposit: a changed handler, which a preview shows and a rebuild would apply.
    server = await startConsole(bank.dir, [], { BANK_SKIP: 'Account-ann@1' })
    browser = await launchBrowser()
    await browser.page.goto(`${server.url}#token=${server.token}`)
    await browser.page.locator('#streams').waitFor()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    rmSync(bank.dir, { recursive: true, force: true })
  })

  it('traces the flow of a command, shows its tree, and opens one of its events', async () => {
    const { page } = browser
    await page.click('nav a[data-route="trace"]')
    await page.fill('input[name=correlation-id]', flow)
    await page.click('#trace-form button[type=submit]')
    await page.locator('#trace-summary', { hasText: '1 event(s) in 1 service(s) (default)' }).waitFor()
    // The command, and under it the event it caused, with its stream, revision, service and type.
    const command = page.locator('ul.trace-tree > li', { has: page.locator('.trace-command', { hasText: flow }) })
    await command.locator('ul.trace-tree .trace-event', { hasText: 'MoneyDeposited' }).waitFor()
    expect(await command.locator('.trace-event').textContent()).toMatch(/^MoneyDeposited \[default\] Account-ann@1 position \d+ · \d{4}-\d\d-\d\dT/)
    expect(await page.textContent('#trace-services')).toContain('correlation index')
    await browser.screenshot('trace-1-flow')
    await page.locator('a.trace-event-link', { hasText: 'Account-ann@1' }).click()
    await page.locator('#event-data', { hasText: '"amount": 10000' }).waitFor()
    expect(await page.textContent('h1')).toContain('MoneyDeposited')
    expect(await page.textContent('#event-metadata')).toContain(`"correlationId": "${flow}"`)
  })

  it('refuses a preview without the token, and the database does not change', async () => {
    const { page } = browser
    const before = databaseDigest(bank.db)
    await page.fill('#token', '')
    await page.dispatchEvent('#token', 'change')
    await page.goto(`${server.url}#/projections`)
    await page.locator('tr[data-projection="account-balances"] button.preview').click()
    await page.locator('#notice.error', { hasText: 'paste it in the token field above' }).waitFor()
    expect(await page.locator('#preview').count()).toBe(0)
    expect(databaseDigest(bank.db)).toBe(before)
  })

  it('previews a rebuild with the token: exactly the differing document, and the live read model unchanged', async () => {
    const { page } = browser
    const before = await live()
    await page.fill('#token', server.token)
    await page.dispatchEvent('#token', 'change')
    await page.locator('tr[data-projection="account-balances"] button.preview').click()
    await page.locator('#preview-counts').waitFor()
    expect(await page.textContent('#preview-counts')).toBe(`added 0, removed 0, changed 1, unchanged ${before.documents.length - 1}`)
    const rows = await page.$$eval('#preview-differences tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)))
    // Without the deposit of 10000: one movement fewer, 10000 less.
    const ann = before.documents.find((d) => d._id === 'ann') as unknown as { balance: number; movements: number }
    expect(rows).toEqual([
      ['changed', 'account_balances', 'ann', 'balance', String(ann.balance), String(ann.balance - 10000)],
      ['changed', 'account_balances', 'ann', 'movements', String(ann.movements), String(ann.movements - 1)],
    ])
    expect(await page.textContent('#preview')).toContain(`compared with the live generation ${before.generation}, which was not changed`)
    await browser.screenshot('trace-2-rebuild-preview')
    expect(await live()).toEqual(before)
    expect(before.rebuilding).toBeUndefined()
  })
})

describe('the trace page in a browser, while a log without a correlation index is scanned', () => {
  const flow = 'scanned-flow'
  let dir: string
  let server: RunningConsole
  let browser: TestBrowser

  beforeAll(async () => {
    ensureConsoleBuilt()
    dir = await scanningTraceApp(flow)
    server = await startConsole(dir)
    browser = await launchBrowser()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it("shows the scan's progress, then the tree across both logs, linking only the console's own events", async () => {
    const { page } = browser
    await page.goto(`${server.url}#/trace/${flow}`)
    await page.locator('#trace-progress', { hasText: /^scanning the log of 'archive' \(no correlation index\): position \d+ of \d+ \(\d+(\.\d)?%\)$/ }).waitFor()
    await browser.screenshot('trace-3-scan-progress')
    writeFileSync(join(dir, 'go'), '')
    await page.locator('#trace-summary', { hasText: '5 event(s) in 2 service(s) (order, archive)' }).waitFor()
    // OrderPaid (order) was caused by an archive event: the tree crosses the logs.
    const archived = page.locator('li', { has: page.locator(':scope > .trace-event', { hasText: 'Archive-1@1100' }) })
    await archived.locator('.trace-event', { hasText: 'OrderPaid' }).waitFor()
    expect(await page.locator('a.trace-event-link').allTextContents()).toEqual(['Order-1@0', 'Order-1@1', 'Order-1@2'])
    expect(await page.locator('.trace-event', { hasText: '[archive]' }).locator('a').count()).toBe(0)
    expect(await page.textContent('#trace-services')).toContain('whole log scanned (no index)')
    await browser.screenshot('trace-4-across-services')
  })
})
