import { runE1 } from './e1'

describe('E1 benchmark', () => {
  it('measures a small embedded run: every order shipped, latencies ordered', async () => {
    const result = await runE1({ transport: 'memory', rate: 100, orders: 30 })
    expect(result).toMatchObject({ transport: 'memory', orders: 30, offeredPerSecond: 100 })
    expect(result.completedPerSecond).toBeGreaterThan(0)
    expect(result.p50Ms).toBeGreaterThan(0)
    expect(result.p99Ms).toBeGreaterThanOrEqual(result.p50Ms)
  })
})
