/**
 * The shop's topics on the broker. A prefix keeps runs apart on a shared
 * broker (tests, benchmarks); the demo uses none.
 */
export interface ShopTopics {
  readonly orders: string
  readonly inventory: string
  /** One partition: the fraud detector sees attempts in log order, so a replay gives the same alerts. */
  readonly payments: string
  readonly shipping: string
  /** Integration commands the order's saga sends to inventory (its compensations). */
  readonly inventoryCommands: string
  /** Integration commands the order's saga sends to payment (its compensations). */
  readonly paymentCommands: string
}

/** The topic names under `prefix`. */
export const shopTopics = (prefix = ''): ShopTopics => ({
  orders: `${prefix}shop.orders`,
  inventory: `${prefix}shop.inventory`,
  payments: `${prefix}shop.payments`,
  shipping: `${prefix}shop.shipping`,
  inventoryCommands: `${prefix}shop.inventory.commands`,
  paymentCommands: `${prefix}shop.payment.commands`,
})

/** Partitions of each topic; the payments topic has one (see {@link ShopTopics.payments}). */
export const shopTopicSpecs = (topics: ShopTopics): { readonly name: string; readonly partitions: number }[] => [
  { name: topics.orders, partitions: 4 },
  { name: topics.inventory, partitions: 4 },
  { name: topics.payments, partitions: 1 },
  { name: topics.shipping, partitions: 4 },
  { name: topics.inventoryCommands, partitions: 4 },
  { name: topics.paymentCommands, partitions: 4 },
]

/**
 * Declares every shop topic. Each service does it before its consumers join
 * their groups, so no start order between the processes is needed.
 */
export const declareShopTopics = async (transport: { declare(spec: { name: string; partitions: number }): Promise<void> }, topics: ShopTopics): Promise<void> => {
  for (const spec of shopTopicSpecs(topics)) await transport.declare(spec)
}
