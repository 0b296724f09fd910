import type { EventStoreDBClient } from '@eventstore/db-client'

/** The oldest server that tells a catch-up subscription it has caught up. */
const CAUGHT_UP_SINCE = [23, 10] as const

/**
 * The server version the client learned when it connected (`'unknown'` for
 * servers before 21.10, which cannot say). Both clients keep it on a
 * protected getter only, hence the cast.
 */
export const serverVersionOf = async (client: EventStoreDBClient): Promise<string> => {
  const capabilities = (client as unknown as { readonly capabilities?: Promise<{ readonly serverVersion?: unknown }> }).capabilities
  const version = capabilities ? (await capabilities).serverVersion : undefined
  return typeof version === 'string' ? version : 'unknown'
}

/**
 * True when `version` (`24.10.0.1234`, KurrentDB's `25.0.0`) is at least
 * 23.10, the first server to send catch-up subscriptions its `caughtUp`
 * message; false for older or unknown versions.
 */
export const signalsCaughtUp = (version: string): boolean => {
  const match = /^(\d+)\.(\d+)/.exec(version)
  if (!match) return false
  const major = Number(match[1])
  const minor = Number(match[2])
  return major > CAUGHT_UP_SINCE[0] || (major === CAUGHT_UP_SINCE[0] && minor >= CAUGHT_UP_SINCE[1])
}
