import { launchBrowser, type TestBrowser } from '../test-support/browser'
import { ensureConsoleBuilt, startConsole, type RunningConsole } from '../test-support/console'
import { createFixtureApp, type FixtureApp } from '../test-support/fixture-app'
import { seedSagas, type SeededSagas } from '../test-support/sagas'

describe('the sagas page in a browser', () => {
  let app: FixtureApp
  let server: RunningConsole
  let browser: TestBrowser
  let seeded: SeededSagas

  beforeAll(async () => {
    ensureConsoleBuilt()
    app = createFixtureApp()
    seeded = await app.withStores(({ documents, deadlines }) => seedSagas(documents, deadlines!))
    server = await startConsole(app.dir)
    browser = await launchBrowser()
    await browser.page.goto(`${server.url}#token=${server.token}`)
    await browser.page.locator('#streams').waitFor()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    app?.remove()
  })

  it('lists the active tickets, opens one, and shows its state and its overdue deadline', async () => {
    const { page } = browser
    await page.click('nav a[data-route="sagas"]')
    await page.locator('#sagas tbody tr').first().waitFor()
    expect(await page.locator('#sagas tbody tr').count()).toBe(5)
    await page.fill('input[name=saga]', 'console-ticket')
    await page.selectOption('select[name=state]', 'active')
    await page.click('#saga-filter button[type=submit]')
    await page.locator('#sagas tbody tr', { hasText: seeded.open }).waitFor()
    expect((await page.locator('#sagas a.saga-link').allTextContents()).sort()).toEqual([seeded.hostile, seeded.open].sort())
    await browser.screenshot('sagas-1-active-tickets')
    await page.locator('#sagas a.saga-link', { hasText: seeded.hostile }).click()
    await page.locator('#saga-status', { hasText: 'active (step 1)' }).waitFor()
    expect(JSON.parse((await page.textContent('#saga-state'))!)).toMatchObject({ ticketId: 't1', subject: expect.stringContaining('<script>') })
    const reply = page.locator('#saga-deadlines tr', { hasText: 'reply' })
    expect(await reply.textContent()).toContain('2026-01-01T00:00:00.000Z')
    expect(await reply.locator('.overdue').textContent()).toBe('overdue')
    expect(await page.locator('#saga-deadlines tr', { hasText: 'escalate' }).locator('.overdue').count()).toBe(0)
    await browser.screenshot('sagas-2-instance')
    await reply.locator('a', { hasText: 'due deadlines' }).click()
    // The due deadlines list it, under the instance's scope.
    await page.locator('#deadlines tr', { hasText: `Saga.console-ticket-${seeded.hostile}` }).filter({ hasText: 'reply' }).waitFor()
    expect(page.url()).toMatch(/#\/deadlines\?due=true$/)
  })

  it('shows a saga whose state holds <script> as text, and runs none of it', async () => {
    const { page } = browser
    await page.goto(`${server.url}#/sagas/${seeded.hostile}`)
    await page.locator('#saga-state', { hasText: '"subject": "<script>document.title = \\"pwned\\"</script>' }).waitFor()
    expect(await page.$$eval('script', (s) => s.map((e) => e.getAttribute('src')))).toEqual(['/console.js'])
    expect(await page.$$eval('main img', (i) => i.length)).toBe(0)
    expect(await page.title()).toBe('eventfold console')
  })

  it('finds an instance by association and by flow, and says so when none matches', async () => {
    const { page } = browser
    await page.goto(`${server.url}#/sagas`)
    await page.fill('input[name=association]', 'ticketId=t3')
    await page.click('#saga-filter button[type=submit]')
    // The unfiltered list already shows this instance: wait for the filtered one, which shows nothing else.
    await page.locator('#sagas tbody tr:only-child', { hasText: seeded.closed }).waitFor()
    expect(await page.locator('#sagas .state').allTextContents()).toEqual(['ended'])
    await page.locator('#sagas a.saga-link').click()
    await page.locator('#saga-status', { hasText: 'ended (step 2)' }).waitFor()
    // Both its messages were of one flow; the flow lists the instances that took part in it.
    expect(await page.locator('#saga-history a.flow').allTextContents()).toEqual(['flow-t3', 'flow-t3'])
    expect(await page.getAttribute('a.trace-link', 'href')).toBe('#/trace/flow-t3')
    await page.locator('#saga-flows a.flow').click()
    await page.locator('#sagas tbody tr', { hasText: seeded.closed }).waitFor()
    expect(await page.inputValue('input[name=correlationId]')).toBe('flow-t3')
    await page.fill('input[name=correlationId]', '')
    await page.fill('input[name=association]', 'ticketId=t9')
    await page.click('#saga-filter button[type=submit]')
    await page.locator('#no-sagas', { hasText: 'no saga instances match' }).waitFor()
  })
})
