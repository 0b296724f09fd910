import { configFromEnv } from './config'

describe('the shop configuration', () => {
  it('defaults to Kafka and SQLite', () => {
    expect(configFromEnv({})).toMatchObject({ transport: 'kafka', store: 'sqlite', flow: 'choreography', rateLimit: { capacity: 20, refillPerSecond: 10 } })
  })
  it('reads the initial stock', () => {
    expect(configFromEnv({ SHOP_STOCK: '{"ipad-air-11":3}' }).stock).toEqual({ 'ipad-air-11': 3 })
  })
  it('reads the flow', () => {
    expect(configFromEnv({ SHOP_FLOW: 'saga' }).flow).toBe('saga')
  })
  it.each([
    ['SHOP_TRANSPORT', 'rabbit'],
    ['EVENTFOLD_STORE', 'oracle'],
    ['SHOP_RATE_CAPACITY', '0'],
    ['SHOP_RATE_REFILL', '-1'],
    ['SHOP_BODY_LIMIT', 'lots'],
    ['SHOP_STOCK', '{"ipad":-1}'],
    ['SHOP_STOCK', 'ipad=3'],
    ['SHOP_FLOW', 'orchestra'],
  ])('refuses %s=%s with a ShopConfigError naming the variable', (variable, value) => {
    expect(() => configFromEnv({ [variable]: value })).toThrow(expect.objectContaining({ type: 'ShopConfigError', variable, value }))
  })
})
