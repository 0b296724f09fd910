import { EventfoldError } from '@eventfold/core'

/** No order with this id in the order service. */
export class OrderNotFoundError extends EventfoldError {
  readonly type = 'OrderNotFoundError' as const
  constructor(readonly orderId: string) {
    super(`No order '${orderId}'`)
  }
}
export const isOrderNotFoundError = (e: unknown): e is OrderNotFoundError => e instanceof OrderNotFoundError

/** The SKU is not in the catalogue. */
export class UnknownSkuError extends EventfoldError {
  readonly type = 'UnknownSkuError' as const
  constructor(
    readonly sku: string,
    readonly known: readonly string[],
  ) {
    super(`Unknown SKU '${sku}'; the catalogue has ${known.join(', ')}`)
  }
}
export const isUnknownSkuError = (e: unknown): e is UnknownSkuError => e instanceof UnknownSkuError

/** The order service answered a call with something other than success. */
export class OrderServiceError extends EventfoldError {
  readonly type = 'OrderServiceError' as const
  constructor(
    readonly url: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`Order service ${url} answered ${status}: ${body}`)
  }
}
