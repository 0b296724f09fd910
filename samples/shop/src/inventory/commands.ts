import { AggregateId, Command } from '@eventfold/core'

abstract class StockCommand {
  @AggregateId() readonly sku: string
  constructor(
    sku: string,
    readonly orderId: string,
  ) {
    this.sku = sku
  }
}

@Command('SeedStock')
export class SeedStock {
  @AggregateId() readonly sku: string
  constructor(
    sku: string,
    readonly quantity: number,
  ) {
    this.sku = sku
  }
}

@Command('ReserveStock')
export class ReserveStock extends StockCommand {
  constructor(
    sku: string,
    orderId: string,
    readonly quantity: number,
    readonly expiresAt: string,
  ) {
    super(sku, orderId)
  }
}

@Command('ExpireReservation')
export class ExpireReservation extends StockCommand {}

@Command('AllocateStock')
export class AllocateStock extends StockCommand {}

@Command('ReleaseReservation')
export class ReleaseReservation extends StockCommand {}

@Command('ShipStock')
export class ShipStock extends StockCommand {}
