import { eventTypeFilter, excludeSystemEvents, streamNameFilter, type Filter, type Position, type AllStreamSubscription } from '@eventstore/db-client'
import { type EventFilter } from '@eventfold/core'
import { matchesFilter } from '@eventfold/core/spi'
import { isSystemEvent } from './events'

/**
 * Escapes a literal for a .NET regular expression (the server's engine):
 * the metacharacters both .NET and JavaScript share, so the pattern also
 * reads the same in a JavaScript test.
 */
export const escapeRegex = (literal: string): string => literal.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&')

/**
 * A .NET pattern matching exactly one of `types`. `\z` anchors at the very
 * end: .NET's `$` would also accept a trailing newline.
 */
export const eventTypesPattern = (types: readonly string[]): string => `^(?:${types.map(escapeRegex).join('|')})\\z`

/**
 * A .NET pattern matching names that start with one of `prefixes`, literally
 * and case-sensitively. A regular expression rather than the server's prefix
 * filter, which compares with the culture-sensitive `String.StartsWith`.
 */
export const streamPrefixesPattern = (prefixes: readonly string[]): string => `^(?:${prefixes.map(escapeRegex).join('|')})`

/** Options of {@link toEventStoreDBFilter}. */
export interface ServerFilterOptions {
  /** Called with each checkpoint the server sends (filtered subscriptions only). */
  readonly checkpointReached?: (subscription: AllStreamSubscription, position: Position) => void
  /** Checkpoint every `checkpointInterval` × the server's search window of events considered. @default 1 */
  readonly checkpointInterval?: number
}

/**
 * The server-side filter for an eventfold filter. The server takes one
 * dimension only, so it gets the event types when there are any (usually the
 * more selective: a projection's handled types), else the stream prefixes,
 * else a filter that excludes system events. Every event is checked again on
 * the client with {@link matchesEventFilter}, which applies both dimensions.
 * A filter is always sent, so that the server reports checkpoints while it
 * skips events: an idle subscriber's position still moves.
 */
export const toEventStoreDBFilter = (filter: EventFilter | undefined, options: ServerFilterOptions = {}): Filter => {
  const { checkpointReached, checkpointInterval = 1 } = options
  const common = checkpointReached ? { checkpointInterval, checkpointReached } : { checkpointInterval }
  if (filter?.eventTypes && filter.eventTypes.length > 0) return eventTypeFilter({ regex: eventTypesPattern(filter.eventTypes), ...common })
  if (filter?.streamPrefixes && filter.streamPrefixes.length > 0) {
    return streamNameFilter({ regex: streamPrefixesPattern(filter.streamPrefixes), ...common })
  }
  return excludeSystemEvents(common)
}

/** The client-side check: not a system event, and through `filter` on both dimensions. */
export const matchesEventFilter = (filter: EventFilter | undefined, e: { readonly streamId: string; readonly type: string }): boolean =>
  !isSystemEvent(e) && matchesFilter(filter, e)
