import { InMemoryEventStore, type EventData } from '@eventfold/core'
import { InMemoryDocumentStore, ProjectionWorker, projectionFromInstance } from '@eventfold/projections'
import { OrderStatusProjection } from '../order/status-projection'
import { auditShop, type ShopLogs } from './audit'

// The audit is the end-to-end tests' judge: each rule it checks is shown breaking here.
describe('the shop audit', () => {
  const e = (type: string, data: Record<string, unknown>): EventData => ({ type, data })
  const address = { name: 'A', street: 'S', city: 'C', postcode: 'P', country: 'US' }

  /** A shipped order o1 and a cancelled order o2 (fraud), as the four logs hold them; `tamper` changes one log. */
  const shop = async (tamper: Partial<Record<keyof ShopLogs, EventData[]>> = {}, { readModelLag = false } = {}) => {
    const logs = { order: new InMemoryEventStore(), inventory: new InMemoryEventStore(), payment: new InMemoryEventStore(), shipping: new InMemoryEventStore() }
    const placed = (id: string) => e('OrderPlaced', { orderId: id, customerId: 'c1', sku: 'ipad', quantity: 1, amount: 100, card: '4000', address })
    await logs.order.appendToStream('Order-o1', [placed('o1'), e('OrderStockReserved', { orderId: 'o1' }), e('OrderPaid', { orderId: 'o1' }), e('OrderReadyToShip', { orderId: 'o1' }), e('OrderShipped', { orderId: 'o1', sku: 'ipad', trackingId: 'T' })])
    await logs.order.appendToStream('Order-o2', [placed('o2'), e('OrderStockReserved', { orderId: 'o2' }), e('OrderCancelled', { orderId: 'o2', sku: 'ipad', reason: 'fraud-suspected' })])
    await logs.inventory.appendToStream('Stock-ipad', [
      e('StockSeeded', { sku: 'ipad', quantity: 5 }),
      e('StockReserved', { sku: 'ipad', orderId: 'o1', quantity: 1 }),
      e('StockReserved', { sku: 'ipad', orderId: 'o2', quantity: 1 }),
      e('StockAllocated', { sku: 'ipad', orderId: 'o1', quantity: 1, renewed: false }),
      e('StockShipped', { sku: 'ipad', orderId: 'o1' }),
      ...(tamper.inventory ?? [e('ReservationReleased', { sku: 'ipad', orderId: 'o2' })]),
    ])
    await logs.payment.appendToStream('Payment-o1', [e('PaymentAttempted', { orderId: 'o1' }), e('PaymentCaptured', { orderId: 'o1' }), ...(tamper.payment ?? [])])
    await logs.payment.appendToStream('Payment-o2', [e('PaymentAttempted', { orderId: 'o2' }), e('FraudSuspected', { orderId: 'o2', rule: 'card-velocity' })])
    await logs.shipping.appendToStream('Shipment-o1', [e('ParcelShipped', { orderId: 'o1', trackingId: 'T' })])
    if (tamper.order) await logs.order.appendToStream('Order-o3', tamper.order)
    const documents = new InMemoryDocumentStore()
    if (!readModelLag) await new ProjectionWorker({ eventStore: logs.order, documents, projection: projectionFromInstance(new OrderStatusProjection()), stopAtHead: true }).run()
    return auditShop(logs, documents, { ipad: 5 })
  }

  it('finds nothing wrong with a shop that kept every rule', async () => {
    const audit = await shop()
    expect(audit.problems).toEqual([])
    expect(audit.stock.get('ipad')).toEqual({ onHand: 4, reserved: 0, shipped: 1 })
    expect(audit.fraudAlerts).toEqual([{ orderId: 'o2', rule: 'card-velocity' }])
  })

  it('finds a card charged twice', async () => {
    expect((await shop({ payment: [e('PaymentCaptured', { orderId: 'o1' })] })).problems).toContain('order o1: card charged 2 times')
  })

  it('finds a cancelled order whose stock is still held (a compensation not done)', async () => {
    const { problems } = await shop({ inventory: [] })
    expect(problems).toEqual(['stock of ipad: 1 still reserved with every order final', 'order o2 cancelled but its stock is still held'])
  })

  it('finds units shipped for no shipped order', async () => {
    const shippedAfterRelease = [e('ReservationReleased', { sku: 'ipad', orderId: 'o2' }), e('StockShipped', { sku: 'ipad', orderId: 'o2' })]
    expect((await shop({ inventory: shippedAfterRelease })).problems).toEqual([
      'stock of ipad: 2 shipped, the shipped orders hold 1',
      'stock of ipad: -1 still reserved with every order final',
    ])
  })

  it('finds more stock taken than there was', async () => {
    const overbooked = [e('ReservationReleased', { sku: 'ipad', orderId: 'o2' }), e('StockSeeded', { sku: 'ipad', quantity: 0 })]
    expect((await shop({ inventory: overbooked })).problems).toEqual(['stock of ipad: on hand 0 + reserved 0 + shipped 1 ≠ 5'])
  })

  it('finds an order that is not final, and a read model that disagrees with the log', async () => {
    expect((await shop({ order: [e('OrderPlaced', { orderId: 'o3', customerId: 'c1', sku: 'ipad', quantity: 1, amount: 100, card: '4000', address })] })).problems).toContain('order o3 is placed, not final')
    expect((await shop({}, { readModelLag: true })).problems).toContain('order o1: read model says nothing, the log shipped')
  })
})
