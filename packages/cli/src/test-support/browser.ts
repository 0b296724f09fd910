import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { REPO_ROOT } from './build'

/** Debian's chromium, which `scripts/services start` installs; never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium'

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Where browser tests save their screenshots (gitignored). */
export const ARTIFACTS = join(REPO_ROOT, 'artifacts', 'console')

/** A headless chromium on a fresh profile, with one page. */
export interface TestBrowser {
  readonly page: Page
  /** Saves a full-page screenshot as `artifacts/console/<name>.png`. */
  screenshot(name: string): Promise<void>
  close(): Promise<void>
}

export const launchBrowser = async (): Promise<TestBrowser> => {
  const profile = mkdtempSync(join(tmpdir(), 'eventfold-chromium-'))
  const context: BrowserContext = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS })
  const page = context.pages()[0] ?? (await context.newPage())
  // Below jest's own timeout, so that a wait that never ends names what it waited for.
  page.setDefaultTimeout(15_000)
  mkdirSync(ARTIFACTS, { recursive: true })
  return {
    page,
    screenshot: async (name) => {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })
    },
    close: async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}
