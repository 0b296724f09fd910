import type { EventStoreDBClient } from '@eventstore/db-client'

/** The oldest server that tells a catch-up subscription it has caught up. */
const CAUGHT_UP_SINCE = [23, 10] as const
/** The oldest server that gives the `$all` position of events read from a stream. */
const STREAM_READ_POSITIONS_SINCE = [22, 6] as const

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

/** True when `version` (`24.10.0.1234`, KurrentDB's `25.0.0`) is at least `[major, minor]`; false for older or unknown versions. */
export const versionAtLeast = (version: string, [wantMajor, wantMinor]: readonly [number, number]): boolean => {
  const match = /^(\d+)\.(\d+)/.exec(version)
  if (!match) return false
  const major = Number(match[1])
  const minor = Number(match[2])
  return major > wantMajor || (major === wantMajor && minor >= wantMinor)
}

/** True when `version` is at least 23.10, the first server to send catch-up subscriptions its `caughtUp` message. */
export const signalsCaughtUp = (version: string): boolean => versionAtLeast(version, CAUGHT_UP_SINCE)

/** True when `version` is at least 22.6, the first server to give the `$all` positions of events read from a stream. */
export const givesStreamReadPositions = (version: string): boolean => versionAtLeast(version, STREAM_READ_POSITIONS_SINCE)
