import { impossibleName, quoteShort } from '../args/names'
import type { CliApp } from '../config/app'
import type { Transport } from '@eventfold/messaging/spi'
import type { EventfoldConnection } from '../config/define-config'
import { ConsoleRequestError } from './errors'
import type { Params } from './params'

/** What a route handler gets: the path's captured segments (decoded), the query, the JSON body. */
export interface RouteRequest {
  readonly params: readonly string[]
  readonly query: Params
  readonly body: Record<string, unknown>
}

/** One endpoint of the JSON API. `action` routes change something and need the token. */
export interface Route {
  readonly method: 'GET' | 'POST'
  readonly path: RegExp
  readonly action: boolean
  handle(request: RouteRequest): Promise<{ status?: number; body: unknown }>
}

/** The application and its stores, as the console's handlers use them. */
export interface ConsoleStores {
  app(): Promise<CliApp>
  /**
   * Runs `work` on stores opened read-only for this request alone, as a read
   * command opens them, and closes them: each request sees the stores as
   * they are now (tables a worker created since the last one included).
   */
  reading<T>(work: (stores: EventfoldConnection) => Promise<T>): Promise<T>
  /** The stores actions write to: opened by the first action, kept until the console stops. */
  writing(): Promise<EventfoldConnection>
  /** Runs `work` on the config's transport, opened once and kept until the console stops; `undefined` when the config has none. */
  transport<T>(work: (transport: Transport) => Promise<T>): Promise<T | undefined>
}

/** Page sizes the API accepts. */
export const PAGE = { min: 1, max: 1000 }
/** Items per page when none is asked for. */
export const DEFAULT_PAGE = 50

/** Decodes the id captured from one path segment, refusing what no store can hold. */
export const idParam = (value: string, what: string): string => {
  const impossible = impossibleName(value, what)
  if (impossible) throw new ConsoleRequestError(400, `${impossible}: ${quoteShort(value)}`)
  return value
}
