import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const DEMO = resolve(__dirname, '..', '..', 'dist', 'demo', 'main.js')

describe('the demo command', () => {
  it('runs the scenario on the embedded default and reports every rule holding', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shop-demo-'))
    const child = spawn(process.execPath, [DEMO, '--embedded', '--exit'], {
      env: { ...process.env, SHOP_DATA_DIR: dir, SHOP_GATEWAY_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()))
    const code = await new Promise<number | null>((done) => child.once('exit', done))
    rmSync(dir, { recursive: true, force: true })
    expect({ code, out }).toMatchObject({ code: 0 })
    expect(out).toMatch(/bob-1 +→ cancelled \(out-of-stock\)/)
    expect(out).toMatch(/mallory-3 +→ cancelled \(fraud-suspected\)/)
    expect(out).toMatch(/bot-4 .*→ 429 Retry-After: \d+ s/)
    expect(out).toContain('Every rule holds')
  })
})
