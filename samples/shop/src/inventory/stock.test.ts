import { AggregateSpec } from '@eventfold/core/testing'
import { AllocateStock, ExpireReservation, ReleaseReservation, ReserveStock, ShipStock } from './commands'
import { ReservationExpired, ReservationReleased, StockAllocated, StockRejected, StockReserved, StockSeeded, StockShipped } from './events'
import { Stock } from './stock'

describe('Stock', () => {
  const stock = AggregateSpec.for<Stock>(Stock)
  const seeded = new StockSeeded('ipad', 2)
  const at = '2026-12-03T10:05:00.000Z'
  const reserved = new StockReserved('ipad', 'o1', 2, at)

  it('reserves what is on hand, once per order', async () => {
    await stock.given([seeded]).when(new ReserveStock('ipad', 'o1', 2, at)).then([reserved])
    await stock.given([seeded, reserved]).when(new ReserveStock('ipad', 'o1', 2, at)).then([])
  })
  it('rejects an order over what is on hand', async () => {
    await stock.given([seeded, reserved]).when(new ReserveStock('ipad', 'o2', 1, at)).then([new StockRejected('ipad', 'o2', 1, 0)])
  })
  it('expires a held reservation, not an allocated one', async () => {
    await stock.given([seeded, reserved]).when(new ExpireReservation('ipad', 'o1')).then([new ReservationExpired('ipad', 'o1')])
    await stock.given([seeded, reserved, new StockAllocated('ipad', 'o1', 2, false)]).when(new ExpireReservation('ipad', 'o1')).then([])
  })
  it('renews an expired reservation when the order is paid and stock is there, and rejects it when not', async () => {
    const expired = new ReservationExpired('ipad', 'o1')
    await stock.given([seeded, reserved, expired]).when(new AllocateStock('ipad', 'o1')).then([new StockAllocated('ipad', 'o1', 2, true)])
    await stock
      .given([seeded, reserved, expired, new StockReserved('ipad', 'o2', 1, at)])
      .when(new AllocateStock('ipad', 'o1'))
      .then([new StockRejected('ipad', 'o1', 2, 1)])
  })
  it('releases and ships only what it holds', async () => {
    await stock.given([seeded, reserved]).when(new ReleaseReservation('ipad', 'o1')).then([new ReservationReleased('ipad', 'o1')])
    await stock.given([seeded, reserved, new ReservationReleased('ipad', 'o1')]).when(new ReleaseReservation('ipad', 'o1')).then([])
    await stock.given([seeded, reserved]).when(new ShipStock('ipad', 'o1')).then([])
    await stock.given([seeded, reserved, new StockAllocated('ipad', 'o1', 2, false)]).when(new ShipStock('ipad', 'o1')).then([new StockShipped('ipad', 'o1')])
  })
})
