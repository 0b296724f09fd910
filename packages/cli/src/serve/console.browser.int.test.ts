import { rmSync } from 'node:fs'
import { ReadModels } from '@eventfold/projections'
import { connectSqlite } from '../config/sqlite'
import { launchBrowser, type TestBrowser } from '../test-support/browser'
import { ensureConsoleBuilt, seededBank, startConsole, type RunningConsole } from '../test-support/console'
import { spawnCli, type RunningCli } from '../test-support/run-cli'

// Whoever appends an event chooses its data: this one tries to run a script in the console.
const HOSTILE_OWNER = '<script>document.title = "pwned"</script><img src=x onerror="document.title = \'pwned\'">Eve'

describe('the console in a browser, on the bank sample', () => {
  let bank: { dir: string; db: string }
  let server: RunningConsole
  let browser: TestBrowser
  let worker: RunningCli | undefined

  beforeAll(async () => {
    ensureConsoleBuilt()
    bank = seededBank()
    // Two events no worker has projected yet: account-balances lags by 2.
    const stores = await connectSqlite(bank.db)
    try {
      await stores.eventStore.appendToStream('Account-eve', [
        { type: 'AccountOpened', data: { accountId: 'eve', owner: HOSTILE_OWNER } },
        { type: 'MoneyDeposited', data: { accountId: 'eve', amount: 700 } },
      ])
    } finally {
      await stores.close()
    }
    server = await startConsole(bank.dir)
    browser = await launchBrowser()
    // The URL eventfold serve prints: the token travels in the fragment, which no request carries.
    await browser.page.goto(`${server.url}#token=${server.token}`)
    await browser.page.locator('#streams').waitFor()
  }, 120_000)

  afterAll(async () => {
    if (worker && worker.child.exitCode === null) {
      worker.child.kill('SIGTERM')
      await worker.exited
    }
    await browser?.close()
    await server?.stop()
    rmSync(bank.dir, { recursive: true, force: true })
  })

  it('finds a stream by id prefix and opens an event with its data and metadata', async () => {
    const { page } = browser
    await page.fill('input[name=search]', 'Account-a')
    await page.click('button[type=submit]')
    await page.locator('#streams a.stream-link', { hasText: 'Account-ann' }).click()
    await page.locator('#events a.event-link', { hasText: /^1$/ }).click()
    await page.locator('#event-data', { hasText: '"amount": 10000' }).waitFor()
    expect(await page.textContent('#event-metadata')).toContain('"correlationId"')
    expect(await page.textContent('h1')).toContain('MoneyDeposited')
    await browser.screenshot('1-event')
  })

  it('steps the aggregate back to revision 1', async () => {
    const { page } = browser
    await page.goto(`${server.url}#/replay/Account-ann`)
    await page.locator('#replay-at', { hasText: /^at revision 4 of 4$/ }).waitFor()
    for (const revision of [3, 2, 1]) {
      await page.click('#replay-previous')
      await page.locator('#replay-at', { hasText: new RegExp(`^at revision ${revision} of 4$`) }).waitFor()
    }
    expect(JSON.parse((await page.textContent('#replay-state'))!)).toEqual({ owner: 'Ann', balance: 10000, closed: false })
    await browser.screenshot('2-replay-revision-1')
  })

  it('shows an event whose data holds <script> as text, and runs none of it', async () => {
    const { page } = browser
    await page.goto(`${server.url}#/stream/Account-eve`)
    await page.locator('#events td.data', { hasText: '<script>' }).first().waitFor()
    await page.goto(`${server.url}#/event/Account-eve/0`)
    await page.locator('#event-data', { hasText: '"owner": "<script>document.title = \\"pwned\\"</script>' }).waitFor()
    await page.goto(`${server.url}#/replay/Account-eve?revision=0`)
    await page.locator('#replay-state', { hasText: '<img src=x onerror=' }).waitFor()
    // The only script is the console's own; no element came from the data, and none of it ran.
    expect(await page.$$eval('script', (s) => s.map((e) => e.getAttribute('src')))).toEqual(['/console.js'])
    expect(await page.$$eval('main img', (i) => i.length)).toBe(0)
    expect(await page.title()).toBe('eventfold console')
    await browser.screenshot('3-script-as-text')
  })

  it("shows a projection's lag fall to 0 while a worker runs", async () => {
    const { page } = browser
    await page.goto(`${server.url}#/projections`)
    const lag = page.locator('tr[data-projection="account-balances"] .lag')
    await lag.filter({ hasText: /^2$/ }).waitFor()
    await browser.screenshot('4-projections-behind')
    // This worker cannot apply eve's deposit: it parks it, and goes on.
    worker = spawnCli(['projections', 'run', 'account-balances'], { cwd: bank.dir, env: { BANK_POISON: 'Account-eve@1' }, timeoutMs: 120_000 })
    await lag.filter({ hasText: /^0$/ }).waitFor({ timeout: 60_000 })
    await page.locator('tr[data-projection="account-balances"] .state', { hasText: 'caught-up' }).waitFor()
    await browser.screenshot('5-projections-caught-up')
    worker.child.kill('SIGTERM')
    expect((await worker.exited).code).toBe(0)
  }, 90_000)

  it('rebuilds a projection by clicking, and shows it done', async () => {
    const { page } = browser
    const row = page.locator('tr[data-projection="daily-totals"]')
    await row.locator('button', { hasText: /^Rebuild$/ }).click()
    await page.locator('#notice', { hasText: "rebuild of 'daily-totals' started" }).waitFor()
    await row.locator('.rebuild', { hasText: /^rebuilt$/ }).waitFor()
    await row.locator('.state', { hasText: 'caught-up' }).waitFor()
    await browser.screenshot('6-projection-rebuilt')
  })

  it('retries the dead letter by clicking, and it is applied', async () => {
    const { page } = browser
    await page.goto(`${server.url}#/dead-letters`)
    const row = page.locator('#dead-letters tbody tr', { hasText: 'MoneyDeposited Account-eve@1' })
    await row.waitFor()
    await browser.screenshot('7-dead-letter')
    await row.locator('button.retry').click()
    await page.locator('#notice', { hasText: /^applied MoneyDeposited Account-eve@1 to 'account-balances'; dead letter '.+' removed$/ }).waitFor()
    await page.locator('#no-dead-letters').waitFor()
    await browser.screenshot('8-dead-letter-retried')
    const stores = await connectSqlite(bank.db, { readOnly: true })
    try {
      expect(await new ReadModels(stores.documents).collection('account_balances').find({ _id: 'eve' })).toEqual([expect.objectContaining({ _id: 'eve', balance: 700 })])
    } finally {
      await stores.close()
    }
  })
})
