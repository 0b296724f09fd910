import type { ShopAudit } from '../scenario/audit'

/** Prints each order's path through the services, then what each service holds at the end. */
export const printReport = (audit: ShopAudit, write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): void => {
  write('\n== Each order\'s path through the services ==')
  for (const [orderId, order] of audit.orders) {
    write(`\n${orderId}: ${order.status}${order.reason ? ` (${order.reason})` : ''}`)
    const t0 = order.path[0] ? Date.parse(order.path[0].at) : 0
    for (const step of order.path) write(`  +${String(Date.parse(step.at) - t0).padStart(5)} ms  ${step.service.padEnd(9)} ${step.type.padEnd(20)} ${step.detail}`)
  }
  write('\n== Final state of every service\'s data ==')
  write('order:')
  for (const [orderId, o] of audit.orders) write(`  ${orderId.padEnd(12)} ${o.status}${o.reason ? ` (${o.reason})` : ''}`)
  write('inventory (on hand + reserved + shipped):')
  for (const [sku, s] of audit.stock) write(`  ${sku.padEnd(12)} ${s.onHand} + ${s.reserved} + ${s.shipped} = ${s.onHand + s.reserved + s.shipped}`)
  write('payment:')
  for (const [orderId, p] of audit.payments) write(`  ${orderId.padEnd(12)} ${p.status}${p.captures > 0 ? `, charged ${p.captures}×` : ''}${p.refunds > 0 ? `, refunded ${p.refunds}×` : ''}`)
  write(`  fraud alerts: ${audit.fraudAlerts.map((a) => `${a.orderId} (${a.rule})`).join(', ') || 'none'}`)
  write('shipping:')
  for (const [orderId, o] of audit.orders) {
    const shipped = o.path.find((s) => s.service === 'shipping')
    if (shipped) write(`  ${orderId.padEnd(12)} ${shipped.detail}`)
  }
  write(audit.problems.length === 0 ? '\nEvery rule holds: orders final, stock conserved, no card charged twice, read model agrees with the log.' : `\nProblems:\n  ${audit.problems.join('\n  ')}`)
}
