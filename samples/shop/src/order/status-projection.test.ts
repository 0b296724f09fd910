import { ProjectionSpec, SPEC_OCCURRED_AT } from '@eventfold/projections/testing'
import { addressOf } from '../scenario/orders'
import { OrderCancelled, OrderPaid, OrderPlaced, OrderReadyToShip, OrderShipped, OrderStockReserved } from './events'
import { OrderStatusProjection } from './status-projection'

describe('order-status projection', () => {
  const placed = (id: string) => ({ streamId: `Order-${id}`, event: new OrderPlaced(id, 'c1', 'ipad-air-11', 1, 69_900, '4000000000000001', addressOf(1)) })
  const at = (iso: string) => ({ occurredAt: iso })

  it('follows an order to shipped, with its history and tracking id', async () => {
    await ProjectionSpec.for(new OrderStatusProjection())
      .given([
        placed('o1'),
        { streamId: 'Order-o1', event: new OrderStockReserved('o1', 'c1', '4000000000000001', 69_900), metadata: at('2026-12-03T10:00:01.000Z') },
        { streamId: 'Order-o1', event: new OrderPaid('o1', 'ipad-air-11', 69_900), metadata: at('2026-12-03T10:00:02.000Z') },
        { streamId: 'Order-o1', event: new OrderReadyToShip('o1'), metadata: at('2026-12-03T10:00:03.000Z') },
        { streamId: 'Order-o1', event: new OrderShipped('o1', 'ipad-air-11', 'TRK-o1'), metadata: at('2026-12-03T10:00:04.000Z') },
      ])
      .thenCollection('order_status', [
        {
          _id: 'o1',
          customerId: 'c1',
          sku: 'ipad-air-11',
          quantity: 1,
          amount: 69_900,
          status: 'shipped',
          trackingId: 'TRK-o1',
          placedAt: SPEC_OCCURRED_AT,
          updatedAt: '2026-12-03T10:00:04.000Z',
          history: [
            { status: 'placed', at: SPEC_OCCURRED_AT },
            { status: 'reserved', at: '2026-12-03T10:00:01.000Z' },
            { status: 'paid', at: '2026-12-03T10:00:02.000Z' },
            { status: 'ready', at: '2026-12-03T10:00:03.000Z' },
            { status: 'shipped', at: '2026-12-03T10:00:04.000Z' },
          ],
        },
      ])
  })

  it('records why an order was cancelled', async () => {
    await ProjectionSpec.for(new OrderStatusProjection())
      .given([placed('o2'), { streamId: 'Order-o2', event: new OrderCancelled('o2', 'ipad-air-11', 'out-of-stock') }])
      .thenCollection('order_status', [
        {
          _id: 'o2',
          customerId: 'c1',
          sku: 'ipad-air-11',
          quantity: 1,
          amount: 69_900,
          status: 'cancelled',
          reason: 'out-of-stock',
          placedAt: SPEC_OCCURRED_AT,
          updatedAt: SPEC_OCCURRED_AT,
          history: [
            { status: 'placed', at: SPEC_OCCURRED_AT },
            { status: 'cancelled', at: SPEC_OCCURRED_AT },
          ],
        },
      ])
  })
})
