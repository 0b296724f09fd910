import { launchBrowser, type TestBrowser } from '../test-support/browser'
import { ensureConsoleBuilt, startConsole, type RunningConsole } from '../test-support/console'
import { createFixtureApp, fixtureConfigJs, type FixtureApp } from '../test-support/fixture-app'
import { billingConfig, consumeOrders, order } from '../test-support/parked'

// Whoever publishes a message chooses its data: this one tries to run a script in the console.
const HOSTILE_NOTE = '<script>document.title = "pwned"</script><img src=x onerror="document.title = \'pwned\'">'

describe('the console in a browser: consumer groups and parked messages', () => {
  let app: FixtureApp
  let server: RunningConsole
  let browser: TestBrowser
  const bill = (orderId: string) => app.withStores((s) => s.documents.get('bills', orderId))

  /** Starts the console, with the billing handler still failing on `poison` in its process, and opens it with the token it printed. */
  const serve = async (poison: string): Promise<void> => {
    await server?.stop()
    server = await startConsole(app.dir, [], { EVENTFOLD_FIXTURE_POISON_ORDER: poison })
    await browser.page.goto(`${server.url}#token=${server.token}`)
    await browser.page.locator('#streams').waitFor()
  }

  beforeAll(async () => {
    ensureConsoleBuilt()
    app = createFixtureApp({ config: (db) => ({ 'eventfold.config.js': fixtureConfigJs(db, billingConfig) }) })
    // billing parks o-2 (its handler fails on it), and o-9, whose data holds markup.
    await app.withStores(async (stores) => {
      await consumeOrders(stores.inbox!, [order('o-1', 1), order('o-2', 2), order('o-3', 3)], 'o-2')
      await consumeOrders(stores.inbox!, [order('o-9', 9, { note: HOSTILE_NOTE })], 'o-9')
    })
    browser = await launchBrowser()
    await serve('o-2')
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    app?.remove()
  })

  it("shows each consumer group's lag from the transport and its parked messages", async () => {
    const { page } = browser
    await page.click('nav a[data-route="consumers"]')
    const row = page.locator('#consumers tr[data-consumer="billing"]')
    await row.locator('.lag', { hasText: /^3$/ }).waitFor()
    expect(await row.locator('.parked').textContent()).toBe('2')
    expect(await page.locator('#consumer-partitions tbody tr').count()).toBe(2)
    await page.locator('#no-relay').waitFor()
    await browser.screenshot('consumers-1-groups')
  })

  it('shows a parked message whose data holds <script> as text, and runs none of it', async () => {
    const { page } = browser
    await page.locator('#consumers a.parked').click()
    await page.locator('#parked tbody tr', { hasText: 'order-placed-o-9' }).locator('a.parked-link').click()
    await page.locator('#parked-data', { hasText: `"note": ${JSON.stringify(HOSTILE_NOTE)}` }).waitFor()
    expect(JSON.parse((await page.textContent('#parked-envelope'))!)).toMatchObject({ id: 'order-placed-o-9', type: 'OrderPlaced.v1', streamId: 'Order-o-9' })
    expect(JSON.parse((await page.textContent('#parked-error'))!)).toEqual({ message: 'cannot bill order o-9' })
    // The only script is the console's own; no element came from the data, and none of it ran.
    expect(await page.$$eval('script', (s) => s.map((e) => e.getAttribute('src')))).toEqual(['/console.js'])
    expect(await page.$$eval('main img', (i) => i.length)).toBe(0)
    expect(await page.title()).toBe('eventfold console')
    await browser.screenshot('consumers-2-parked-script-as-text')
  })

  it('keeps a message parked when its retry fails again, and says why', async () => {
    const { page } = browser
    await page.goto(`${server.url}#/parked?consumer=billing`)
    const row = page.locator('#parked tbody tr', { hasText: 'order-placed-o-2' })
    await row.locator('button.retry').click()
    await page.locator('#notice.error', { hasText: "retrying message 'order-placed-o-2' of consumer 'billing' failed again: cannot bill order o-2" }).waitFor()
    await row.waitFor()
    expect(await bill('o-2')).toBeUndefined()
    await browser.screenshot('consumers-3-retry-failed')
  })

  it('retries the message once the handler is fixed: it leaves the list and is applied once', async () => {
    // The fixed code: a console whose billing handler no longer fails on o-2.
    await serve('none')
    const { page } = browser
    await page.goto(`${server.url}#/parked`)
    const row = page.locator('#parked tbody tr', { hasText: 'order-placed-o-2' })
    await row.locator('button.retry').click()
    await page.locator('#notice', { hasText: /^applied OrderPlaced\.v1 Order-o-2 with 'billing'; parked message 'order-placed-o-2' removed$/ }).waitFor()
    await row.waitFor({ state: 'detached' })
    expect(await page.locator('#parked tbody tr').count()).toBe(1)
    expect(await bill('o-2')).toEqual({ _id: 'o-2', billed: 2 })
    await browser.screenshot('consumers-4-retried')
  })

  it('discards a message from its own page without applying it, and the list is empty', async () => {
    const { page } = browser
    await page.locator('#parked a.parked-link', { hasText: 'order-placed-o-9' }).click()
    await page.locator('#parked-data').waitFor()
    page.once('dialog', (dialog) => void dialog.accept())
    await page.locator('button.discard').click()
    await page.locator('#notice', { hasText: "discarded parked message 'order-placed-o-9' of 'billing'" }).waitFor()
    await page.locator('#no-parked').waitFor()
    expect(await bill('o-9')).toBeUndefined()
    expect(await bill('o-2')).toEqual({ _id: 'o-2', billed: 2 })
    await page.click('nav a[data-route="consumers"]')
    await page.locator('#consumers tr[data-consumer="billing"] .parked', { hasText: /^0$/ }).waitFor()
    await browser.screenshot('consumers-5-discarded')
  })
})
