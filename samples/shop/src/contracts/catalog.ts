/** A product the shop sells, with its price in cents. */
export interface Product {
  readonly sku: string
  readonly name: string
  readonly price: number
}

/** The shop's catalogue: the gateway refuses other SKUs with 404, the order service prices from it. */
export const CATALOG: readonly Product[] = [
  { sku: 'ipad-air-11', name: 'iPad Air 11"', price: 69_900 },
  { sku: 'ipad-pro-13', name: 'iPad Pro 13"', price: 149_900 },
  { sku: 'pencil-pro', name: 'Apple Pencil Pro', price: 14_900 },
]

/** The product of `sku`, or undefined. */
export const productOf = (sku: string): Product | undefined => CATALOG.find((p) => p.sku === sku)
