import { Aggregate, AggregateId, AggregateRoot, Command, CommandHandler, Event, EventSourcingHandler } from '@eventfold/core'
import type { Address } from '../contracts/messages'

@Event('ParcelShipped')
export class ParcelShipped {
  constructor(
    readonly orderId: string,
    readonly trackingId: string,
    readonly sku: string,
    readonly quantity: number,
    readonly address: Address,
  ) {}
}

@Command('ShipParcel')
export class ShipParcel {
  @AggregateId() readonly orderId: string
  constructor(
    orderId: string,
    readonly sku: string,
    readonly quantity: number,
    readonly address: Address,
  ) {
    this.orderId = orderId
  }
}

/** The parcel of one order: shipped once, to the address the order service holds at the time. */
@Aggregate('Shipment')
export class Shipment extends AggregateRoot {
  trackingId = ''

  @CommandHandler(ShipParcel, { creates: true })
  ship({ orderId, sku, quantity, address }: ShipParcel): void {
    this.apply(new ParcelShipped(orderId, `TRK-${orderId}`, sku, quantity, address))
  }

  @EventSourcingHandler(ParcelShipped)
  onShipped(e: ParcelShipped): void {
    this.trackingId = e.trackingId
  }
}
