import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { configFromEnv } from '../runtime/config'
import { startEmbeddedShop, type EmbeddedShop } from '../runtime/shop'
import { gatewayClient, type GatewayClient } from './client'
import { FINAL, orderOf } from './orders'
import { waitFor } from './wait'

describe('the shop on the embedded default (in-memory transport, SQLite per service)', () => {
  let dir: string
  let shop: EmbeddedShop
  let client: GatewayClient

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shop-'))
    shop = await startEmbeddedShop(configFromEnv({ SHOP_TRANSPORT: 'memory', SHOP_DATA_DIR: dir }))
    client = gatewayClient(await shop.gateway.listen({ host: '127.0.0.1', port: 0 }))
  })
  afterAll(async () => {
    await shop?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  const finalStatus = (orderId: string) =>
    waitFor(`${orderId} final`, async () => {
      const { status, body } = await client.order(orderId)
      return status === 200 && FINAL.has(body.status as string) ? body : undefined
    })

  it('ships an iPad: placed, reserved, paid, ready, shipped', async () => {
    expect((await client.place(orderOf('o-ship', 1))).status).toBe(202)
    const final = await finalStatus('o-ship')
    expect(final).toMatchObject({ status: 'shipped', trackingId: 'TRK-o-ship' })
    expect((final.history as { status: string }[]).map((h) => h.status)).toEqual(['placed', 'reserved', 'paid', 'ready', 'shipped'])
  })
})
