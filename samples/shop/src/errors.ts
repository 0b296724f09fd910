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

/** A `SHOP_*` (or store) variable has a value the shop cannot use. */
export class ShopConfigError extends EventfoldError {
  readonly type = 'ShopConfigError' as const
  constructor(
    readonly variable: string,
    readonly value: string,
    expected: string,
  ) {
    super(`${variable} must be ${expected}, not '${value}'`)
  }
}
export const isShopConfigError = (e: unknown): e is ShopConfigError => e instanceof ShopConfigError

/** A service process did not say it was ready: it exited first, or took too long. Its log file says why. */
export class ServiceStartError extends EventfoldError {
  readonly type = 'ServiceStartError' as const
  constructor(
    readonly service: string,
    readonly logFile: string,
    readonly reason: string,
  ) {
    super(`service ${service} did not start: ${reason} (see ${logFile})`)
  }
}

/** A condition waited for did not hold in time; `last` is what was seen last. */
export class WaitTimeoutError extends EventfoldError {
  readonly type = 'WaitTimeoutError' as const
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly last: unknown,
  ) {
    super(`${what}: not reached within ${timeoutMs} ms (last seen: ${JSON.stringify(last)})`)
  }
}

/** `scripts/services` could not start a server the shop needs, or print how to reach it. */
export class ServicesScriptError extends EventfoldError {
  readonly type = 'ServicesScriptError' as const
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly output: string,
  ) {
    super(`scripts/services ${command} failed with exit code ${exitCode}${output ? `: ${output}` : ''}`)
  }
}

/** The order service did not answer (refused the connection, or said it is unavailable) for as long as the caller would wait. */
export class OrderServiceUnavailableError extends EventfoldError {
  readonly type = 'OrderServiceUnavailableError' as const
  constructor(
    readonly url: string,
    readonly waitedMs: number,
    options?: { cause?: unknown },
  ) {
    super(`Order service ${url} unavailable for ${waitedMs} ms`, options)
  }
}

export const isOrderServiceUnavailableError = (e: unknown): e is OrderServiceUnavailableError => e instanceof OrderServiceUnavailableError

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
