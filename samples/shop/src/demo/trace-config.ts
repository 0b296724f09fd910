import { writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'

/**
 * Writes an eventfold.config.json beside the services' SQLite files, naming
 * each service's log, so that `eventfold trace <orderId>` follows an order
 * across the services (the order id is the flow's correlation id). Returns its path.
 */
export const writeTraceConfig = (dataDir: string): string => {
  const path = join(dataDir, 'eventfold.config.json')
  // The built module, whether this runs from dist (the demo) or from src (the tests).
  const app = relative(dataDir, resolve(__dirname, '..', '..', 'dist', 'eventfold-app.js'))
  const services = Object.fromEntries(['order', 'inventory', 'payment', 'shipping'].map((s) => [s, `${s}.db`]))
  writeFileSync(path, `${JSON.stringify({ sqlite: 'order.db', modules: [app.startsWith('.') ? app : `./${app}`], services }, null, 2)}\n`)
  return path
}
