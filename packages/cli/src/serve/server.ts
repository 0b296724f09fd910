import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exitCodeOf, EXIT } from '../errors'
import { toJson } from '../output/json'
import type { Asset } from './assets'
import { requireLocalHost, requireToken } from './auth'
import type { Route } from './route'
import { ConsoleListenError, ConsoleRequestError, isConsoleRequestError } from './errors'
import { Params, readJsonBody } from './params'

/** Options of {@link startConsoleServer}. */
export interface ConsoleServerOptions {
  readonly routes: readonly Route[]
  readonly assets: ReadonlyMap<string, Asset>
  /** What `Authorization: Bearer` must carry on every action. */
  readonly token: string
  readonly host: string
  /** @default 0: a free port */
  readonly port?: number
  /** Answer requests whatever their `Host` header names. @default false: only the loopback names */
  readonly allowRemote?: boolean
}

/** A running console server. */
export interface ConsoleServer {
  readonly url: string
  readonly port: number
  close(): Promise<void>
}

// The page loads only its own script and style, and talks only to this server:
// even a bug that put event data into markup could not run it.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
}

const send = (response: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void => {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': 'no-store', ...headers })
  response.end(body)
}

const sendJson = (response: ServerResponse, status: number, value: unknown, headers?: Record<string, string>): void =>
  send(response, status, 'application/json; charset=utf-8', toJson(value) ?? 'null', headers)

/** The status and message a failed request is answered with. */
const failure = (error: unknown): { status: number; message: string; type: string } => {
  const type = String((error as { type?: unknown } | null)?.type ?? 'error')
  if (isConsoleRequestError(error)) return { status: error.status, message: error.message, type }
  // What the CLI reports as bad input (exit 2) is bad input here too: nothing was changed.
  if (exitCodeOf(error) === EXIT.usage) return { status: 400, message: (error as Error).message, type }
  // The handler still fails on that event: the request was sound, the letter (or message) stays parked.
  if (type === 'dead-letter-retry-failed' || type === 'ParkedRetryFailedError') return { status: 409, message: (error as Error).message, type }
  return { status: 500, message: (error as Error)?.message ?? String(error), type }
}

const handle = async (options: ConsoleServerOptions, port: number, request: IncomingMessage, response: ServerResponse): Promise<void> => {
  if (!options.allowRemote) requireLocalHost(request, port)
  const url = new URL(request.url ?? '/', 'http://console.invalid')
  if (!url.pathname.startsWith('/api/')) {
    if (request.method !== 'GET' && request.method !== 'HEAD') throw new ConsoleRequestError(405, `${request.method} is not allowed on ${url.pathname}`)
    const asset = options.assets.get(url.pathname)
    if (!asset) throw new ConsoleRequestError(404, `no page at ${url.pathname}`)
    return send(response, 200, asset.type, asset.body)
  }
  const matches = options.routes.flatMap((route) => {
    const m = route.path.exec(url.pathname)
    return m ? [{ route, m }] : []
  })
  if (matches.length === 0) throw new ConsoleRequestError(404, `no API endpoint at ${url.pathname}`)
  const match = matches.find(({ route }) => route.method === request.method)
  if (!match) throw new ConsoleRequestError(405, `${request.method} is not allowed on ${url.pathname} (use ${matches.map((m) => m.route.method).join(', ')})`)
  const { route, m } = match
  // The token is checked first: a request without it reads no body and opens no store for writing.
  if (route.action) requireToken(request, options.token)
  let params: string[]
  try {
    params = m.slice(1).map((s) => decodeURIComponent(s))
  } catch {
    throw new ConsoleRequestError(400, `the path ${url.pathname.slice(0, 200)} is not valid percent-encoding`)
  }
  const body = request.method === 'POST' ? await readJsonBody(request) : {}
  const result = await route.handle({ params, query: new Params(url.searchParams), body })
  sendJson(response, result.status ?? 200, result.body)
}

/**
 * Starts the console's HTTP server: the built front end and the JSON API
 * under `/api/`. Actions (POST) need the token; reads never write.
 * @throws {@link ConsoleListenError} when it cannot listen on `host:port`
 */
export const startConsoleServer = async (options: ConsoleServerOptions): Promise<ConsoleServer> => {
  let port = options.port ?? 0
  const server: Server = createServer((request, response) => {
    handle(options, port, request, response).catch((error: unknown) => {
      const { status, message, type } = failure(error)
      if (response.headersSent) return response.destroy()
      sendJson(response, status, { error: { type, message } }, status === 401 ? { 'www-authenticate': 'Bearer' } : {})
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new ConsoleListenError(options.host, port, error)))
    server.listen(port, options.host, resolve)
  })
  port = (server.address() as AddressInfo).port
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  return {
    url: `http://${host}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}
