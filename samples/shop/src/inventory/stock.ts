import { Aggregate, AggregateRoot, CommandHandler, DomainError, EventSourcingHandler } from '@eventfold/core'
import { AllocateStock, ExpireReservation, ReleaseReservation, ReserveStock, SeedStock, ShipStock } from './commands'
import { ReservationExpired, ReservationReleased, StockAllocated, StockRejected, StockReserved, StockSeeded, StockShipped } from './events'

/** What became of one order's stock. `held` and `allocated` count as reserved. */
export type ReservationState = 'held' | 'allocated' | 'expired' | 'released' | 'shipped' | 'rejected'

/** One order's units and what became of them. */
export interface Reservation {
  readonly quantity: number
  readonly state: ReservationState
}

/**
 * Stock of one SKU. Whatever happens, `onHand + reserved + shipped` stays the
 * seeded quantity. Commands are decided against each order's reservation, so
 * a repeated or late one appends nothing.
 */
@Aggregate('Stock')
export class Stock extends AggregateRoot {
  onHand = 0
  shipped = 0
  reservations: Record<string, Reservation> = {}

  /** Units held or allocated for orders. */
  get reserved(): number {
    return Object.values(this.reservations).reduce((n, r) => (r.state === 'held' || r.state === 'allocated' ? n + r.quantity : n), 0)
  }

  @CommandHandler(SeedStock, { creates: true })
  seed({ sku, quantity }: SeedStock): void {
    if (!Number.isSafeInteger(quantity) || quantity < 0) throw new DomainError(`stock must be a whole number ≥ 0, got ${quantity}`, 'invalid-quantity')
    this.apply(new StockSeeded(sku, quantity))
  }

  @CommandHandler(ReserveStock)
  reserve({ sku, orderId, quantity, expiresAt }: ReserveStock): void {
    if (this.reservations[orderId]) return
    if (quantity <= this.onHand) this.apply(new StockReserved(sku, orderId, quantity, expiresAt))
    else this.apply(new StockRejected(sku, orderId, quantity, this.onHand))
  }

  @CommandHandler(ExpireReservation)
  expire({ sku, orderId }: ExpireReservation): void {
    if (this.reservations[orderId]?.state === 'held') this.apply(new ReservationExpired(sku, orderId))
  }

  @CommandHandler(AllocateStock)
  allocate({ sku, orderId }: AllocateStock): void {
    const r = this.reservations[orderId]
    if (!r) return
    if (r.state === 'held') this.apply(new StockAllocated(sku, orderId, r.quantity, false))
    else if (r.state === 'expired') {
      if (r.quantity <= this.onHand) this.apply(new StockAllocated(sku, orderId, r.quantity, true))
      else this.apply(new StockRejected(sku, orderId, r.quantity, this.onHand))
    }
  }

  @CommandHandler(ReleaseReservation)
  release({ sku, orderId }: ReleaseReservation): void {
    const state = this.reservations[orderId]?.state
    if (state === 'held' || state === 'allocated') this.apply(new ReservationReleased(sku, orderId))
  }

  @CommandHandler(ShipStock)
  ship({ sku, orderId }: ShipStock): void {
    if (this.reservations[orderId]?.state === 'allocated') this.apply(new StockShipped(sku, orderId))
  }

  @EventSourcingHandler(StockSeeded)
  onSeeded(e: StockSeeded): void {
    this.onHand = e.quantity
  }
  @EventSourcingHandler(StockReserved)
  onReserved(e: StockReserved): void {
    this.onHand -= e.quantity
    this.set(e.orderId, e.quantity, 'held')
  }
  @EventSourcingHandler(StockRejected)
  onRejected(e: StockRejected): void {
    // A renewal refused after expiry keeps nothing either.
    this.set(e.orderId, e.quantity, 'rejected')
  }
  @EventSourcingHandler(ReservationExpired)
  onExpired(e: ReservationExpired): void {
    this.putBack(e.orderId, 'expired')
  }
  @EventSourcingHandler(StockAllocated)
  onAllocated(e: StockAllocated): void {
    if (e.renewed) this.onHand -= e.quantity
    this.set(e.orderId, e.quantity, 'allocated')
  }
  @EventSourcingHandler(ReservationReleased)
  onReleased(e: ReservationReleased): void {
    this.putBack(e.orderId, 'released')
  }
  @EventSourcingHandler(StockShipped)
  onShipped(e: StockShipped): void {
    const r = this.reservations[e.orderId]!
    this.shipped += r.quantity
    this.set(e.orderId, r.quantity, 'shipped')
  }

  private putBack(orderId: string, state: ReservationState): void {
    const r = this.reservations[orderId]!
    this.onHand += r.quantity
    this.set(orderId, r.quantity, state)
  }

  private set(orderId: string, quantity: number, state: ReservationState): void {
    this.reservations[orderId] = { quantity, state }
  }
}
