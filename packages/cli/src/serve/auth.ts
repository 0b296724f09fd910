import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { ConsoleRequestError } from './errors'

/** A fresh token for the actions of one `eventfold serve` run. */
export const newToken = (): string => randomBytes(24).toString('base64url')

const digest = (text: string): Buffer => createHash('sha256').update(text).digest()

/**
 * Refuses a request whose `Authorization` header is not `Bearer <token>`.
 * Digests are compared in constant time, so the answer's timing tells
 * nothing about how much of a guess was right.
 * @throws {@link ConsoleRequestError} 401
 */
export const requireToken = (request: IncomingMessage, token: string): void => {
  const header = request.headers.authorization
  if (header === undefined) throw new ConsoleRequestError(401, 'this action needs the token eventfold serve printed at start (Authorization: Bearer <token>)')
  const match = /^Bearer ([^\s]+)$/.exec(header)
  if (!match || !timingSafeEqual(digest(match[1]!), digest(token))) {
    throw new ConsoleRequestError(401, 'wrong token: use the one eventfold serve printed at start (Authorization: Bearer <token>)')
  }
}

/** Host names that reach only this machine. */
export const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host) || host === '::ffff:127.0.0.1'

/**
 * Refuses a request whose `Host` header names another server, so that a web
 * page whose name was rebound to 127.0.0.1 cannot read the console.
 * @throws {@link ConsoleRequestError} 403
 */
export const requireLocalHost = (request: IncomingMessage, port: number): void => {
  const host = request.headers.host ?? ''
  const allowed = ['127.0.0.1', 'localhost', '[::1]'].map((h) => `${h}:${port}`)
  if (!allowed.includes(host.toLowerCase())) {
    throw new ConsoleRequestError(403, `the console answers only at 127.0.0.1:${port} or localhost:${port} (Host was '${host.slice(0, 100)}'); use --allow-remote to serve other names`)
  }
}
