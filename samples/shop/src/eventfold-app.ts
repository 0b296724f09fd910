// What the `eventfold` command needs to know of the order service, for an eventfold.config.json
// (the demo writes one beside the services' SQLite files, for `eventfold trace <orderId>`).
import { Order } from './order/order'
import { OrderStatusProjection } from './order/status-projection'

/** The order service's projections. */
export const projections = [OrderStatusProjection]
/** The order service's aggregates, for `eventfold replay`. */
export const aggregates = [Order]
