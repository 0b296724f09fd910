import type { EventStore, RecordedEvent } from '@eventfold/core'
import type { DocumentStore } from '@eventfold/projections'
import { isUnknownReadModelError, ReadModels } from '@eventfold/projections'
import { ORDER_STATUS } from '../order/status-projection'

/** The services whose logs the audit reads. */
export type ShopLogs = Readonly<Record<'order' | 'inventory' | 'payment' | 'shipping', EventStore>>

/** One event of one service, as a line of an order's path. */
export interface PathStep {
  readonly service: string
  readonly type: string
  readonly at: string
  readonly detail: string
}

/** What the audit found: each order's final state and path, each SKU's stock, and every broken rule. */
export interface ShopAudit {
  readonly orders: ReadonlyMap<string, { readonly status: string; readonly reason?: string; readonly path: readonly PathStep[] }>
  readonly stock: ReadonlyMap<string, { readonly onHand: number; readonly reserved: number; readonly shipped: number }>
  readonly payments: ReadonlyMap<string, { readonly captures: number; readonly refunds: number; readonly status: string }>
  readonly fraudAlerts: readonly { readonly orderId: string; readonly rule: string }[]
  /** Empty when every rule holds. */
  readonly problems: readonly string[]
}

const readAll = async (store: EventStore): Promise<RecordedEvent[]> => {
  const events: RecordedEvent[] = []
  for await (const e of store.readAll()) events.push(e)
  return events
}

const ORDER_STATUS_OF: Record<string, string> = {
  OrderPlaced: 'placed',
  OrderStockReserved: 'reserved',
  OrderPaid: 'paid',
  OrderReadyToShip: 'ready',
  OrderShipped: 'shipped',
  OrderCancelled: 'cancelled',
}

const detailOf = (e: RecordedEvent): string => {
  const d = e.data as Record<string, unknown>
  const keep = ['sku', 'quantity', 'amount', 'reason', 'rule', 'detail', 'trackingId', 'available', 'renewed']
  return keep
    .filter((k) => d[k] !== undefined)
    .map((k) => `${k}=${String(d[k])}`)
    .join(' ')
}

/**
 * Reads every service's log (and the order-status read model) and checks the
 * shop's rules: every order final, stock conserved, no card charged twice,
 * every cancelled order compensated, the read model agreeing with the log.
 */
export const auditShop = async (logs: ShopLogs, readModels: DocumentStore, initialStock: Readonly<Record<string, number>>): Promise<ShopAudit> => {
  const problems: string[] = []
  const orders = new Map<string, { status: string; reason?: string; path: PathStep[] }>()
  const steps: PathStep[] = []
  const byService = Object.fromEntries(await Promise.all(Object.entries(logs).map(async ([s, store]) => [s, await readAll(store)] as const))) as Record<keyof ShopLogs, RecordedEvent[]>

  for (const [service, events] of Object.entries(byService)) {
    for (const e of events) {
      const orderId = (e.data as { orderId?: string }).orderId
      if (orderId === undefined) continue
      if (!orders.has(orderId)) orders.set(orderId, { status: 'unknown', path: [] })
      const step = { service, type: e.type, at: e.metadata.occurredAt, detail: detailOf(e) }
      orders.get(orderId)!.path.push(step)
      steps.push(step)
      if (service === 'order' && ORDER_STATUS_OF[e.type]) {
        const o = orders.get(orderId)!
        o.status = ORDER_STATUS_OF[e.type]!
        if (e.type === 'OrderCancelled') o.reason = (e.data as { reason: string }).reason
      }
    }
  }
  for (const o of orders.values()) o.path.sort((a, b) => a.at.localeCompare(b.at))

  // Stock: fold each SKU's stream the way the aggregate does.
  const stock = new Map<string, { onHand: number; reserved: number; shipped: number }>()
  const reservation = new Map<string, { sku: string; quantity: number; state: string }>()
  for (const e of byService.inventory) {
    const d = e.data as { sku: string; orderId: string; quantity: number; renewed?: boolean }
    const s = stock.get(d.sku) ?? { onHand: 0, reserved: 0, shipped: 0 }
    const r = reservation.get(d.orderId)
    if (e.type === 'StockSeeded') s.onHand = d.quantity
    else if (e.type === 'StockReserved') {
      s.onHand -= d.quantity
      s.reserved += d.quantity
      reservation.set(d.orderId, { sku: d.sku, quantity: d.quantity, state: 'held' })
    } else if (e.type === 'StockAllocated') {
      if (d.renewed) {
        s.onHand -= d.quantity
        s.reserved += d.quantity
      }
      reservation.set(d.orderId, { sku: d.sku, quantity: d.quantity, state: 'allocated' })
    } else if ((e.type === 'ReservationExpired' || e.type === 'ReservationReleased') && r) {
      s.onHand += r.quantity
      s.reserved -= r.quantity
      reservation.set(d.orderId, { ...r, state: e.type === 'ReservationExpired' ? 'expired' : 'released' })
    } else if (e.type === 'StockShipped' && r) {
      s.reserved -= r.quantity
      s.shipped += r.quantity
      reservation.set(d.orderId, { ...r, state: 'shipped' })
    }
    stock.set(d.sku, s)
  }
  // Inventory against the orders: units shipped are the shipped orders' units, and once every order is final nothing stays reserved.
  const shippedByOrders = new Map<string, number>()
  for (const e of byService.order) {
    if (e.type !== 'OrderPlaced') continue
    const d = e.data as { orderId: string; sku: string; quantity: number }
    if (orders.get(d.orderId)?.status === 'shipped') shippedByOrders.set(d.sku, (shippedByOrders.get(d.sku) ?? 0) + d.quantity)
  }
  const allFinal = [...orders.values()].every((o) => o.status === 'shipped' || o.status === 'cancelled')
  for (const [sku, initial] of Object.entries(initialStock)) {
    const s = stock.get(sku) ?? { onHand: 0, reserved: 0, shipped: 0 }
    if (s.onHand + s.reserved + s.shipped !== initial) problems.push(`stock of ${sku}: on hand ${s.onHand} + reserved ${s.reserved} + shipped ${s.shipped} ≠ ${initial}`)
    if (s.onHand < 0) problems.push(`stock of ${sku}: on hand ${s.onHand} < 0`)
    if (s.shipped !== (shippedByOrders.get(sku) ?? 0)) problems.push(`stock of ${sku}: ${s.shipped} shipped, the shipped orders hold ${shippedByOrders.get(sku) ?? 0}`)
    if (allFinal && s.reserved !== 0) problems.push(`stock of ${sku}: ${s.reserved} still reserved with every order final`)
  }

  const payments = new Map<string, { captures: number; refunds: number; status: string }>()
  const fraudAlerts: { orderId: string; rule: string }[] = []
  for (const e of byService.payment) {
    const d = e.data as { orderId: string; rule?: string }
    const p = payments.get(d.orderId) ?? { captures: 0, refunds: 0, status: 'attempted' }
    if (e.type === 'PaymentCaptured') Object.assign(p, { captures: p.captures + 1, status: 'captured' })
    if (e.type === 'PaymentRefunded') Object.assign(p, { refunds: p.refunds + 1, status: 'refunded' })
    if (e.type === 'PaymentVoided') p.status = 'voided'
    if (e.type === 'FraudSuspected') {
      p.status = 'held'
      fraudAlerts.push({ orderId: d.orderId, rule: d.rule! })
    }
    payments.set(d.orderId, p)
  }

  const views = new Map<string, string>()
  const readModel = new ReadModels(readModels).collection(ORDER_STATUS)
  // Before the projection's first batch the read model does not exist: it holds no order yet.
  const docs = await readModel.find({}).catch((error: unknown) => {
    if (isUnknownReadModelError(error)) return []
    throw error
  })
  for (const doc of docs) views.set(String(doc._id), String(doc.status))

  for (const [orderId, o] of orders) {
    if (o.status !== 'shipped' && o.status !== 'cancelled') problems.push(`order ${orderId} is ${o.status}, not final`)
    const p = payments.get(orderId)
    if (p && p.captures > 1) problems.push(`order ${orderId}: card charged ${p.captures} times`)
    if (o.status === 'shipped') {
      if (p?.status !== 'captured') problems.push(`order ${orderId} shipped with payment ${p?.status ?? 'none'}`)
      if (reservation.get(orderId)?.state !== 'shipped') problems.push(`order ${orderId} shipped but its stock is ${reservation.get(orderId)?.state ?? 'not reserved'}`)
    }
    if (o.status === 'cancelled') {
      if (p?.status === 'captured') problems.push(`order ${orderId} cancelled but its payment is captured and not refunded`)
      const state = reservation.get(orderId)?.state
      if (state === 'held' || state === 'allocated') problems.push(`order ${orderId} cancelled but its stock is still ${state}`)
    }
    if (views.get(orderId) !== o.status) problems.push(`order ${orderId}: read model says ${views.get(orderId) ?? 'nothing'}, the log ${o.status}`)
  }
  return { orders, stock, payments, fraudAlerts, problems }
}
