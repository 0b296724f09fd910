import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const DEMO = resolve(__dirname, '..', '..', 'dist', 'demo', 'main.js')
const EVENTFOLD = resolve(__dirname, '..', '..', '..', '..', 'packages', 'cli', 'bin', 'eventfold.js')

describe.each(['choreography', 'saga'])('the demo command, --flow %s', (flow) => {
  it('runs the scenario on the embedded default and reports every rule holding', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shop-demo-'))
    const child = spawn(process.execPath, [DEMO, '--embedded', '--exit', '--flow', flow], {
      env: { ...process.env, SHOP_DATA_DIR: dir, SHOP_GATEWAY_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()))
    const code = await new Promise<number | null>((done) => child.once('exit', done))
    const trace = spawnSync(process.execPath, [EVENTFOLD, 'trace', 'mallory-3', '--config', join(dir, 'eventfold.config.json')], { encoding: 'utf8' })
    rmSync(dir, { recursive: true, force: true })
    expect({ code, out }).toMatchObject({ code: 0 })
    // The order id is the flow's correlation id: the trace follows the order through three services' logs.
    expect(trace.stdout).toMatch(/FraudSuspected +\[payment\]/)
    expect(trace.stdout).toMatch(/ReservationReleased +\[inventory\]/)
    expect(out).toMatch(/bob-1 +→ cancelled \(out-of-stock\)/)
    expect(out).toMatch(/mallory-3 +→ cancelled \(fraud-suspected\)/)
    expect(out).toMatch(/bot-4 .*→ 429 Retry-After: \d+ s/)
    expect(out).toContain(`Embedded shop (${flow})`)
    expect(out).toContain('Every rule holds')
  })
})
