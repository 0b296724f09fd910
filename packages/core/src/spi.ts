import 'reflect-metadata'

// @eventfold/core/spi: the helpers and types an adapter (a store, a transport, a
// first-party tool) builds on. Applications use `@eventfold/core`.
export { matchesExpectedRevision, assertExpectedRevision, parseExpectedRevision } from './events/expected-revision'
export { assertJsonSafe, toJson, fromJson } from './events/json'
export { type PreparedEvent, type SerializedEvent, prepareEvents, serializeEvents } from './events/normalize'
export { type StoredEvent, recordedEventFromJson, recordedEventFromText, recordedEventWithoutMetadata, schemaVersionOf } from './events/stored-event'
export type { MetadataLayout } from './events/standard-metadata'
export { defaultEventRegistry, eventTypeOf } from './events/event-registry'
export { eventRead, eventReadOfEvents, matchesFilter } from './store/event-store'
export { type CorrelationLookup, hasCorrelationLookup } from './store/correlation-lookup'
export { type StoredEventRef, findIdempotentAppend, assertDistinctEventIds } from './store/idempotency'
export { type PollingSource, type PollingSubscriptionOptions, pollingSubscription, AppendSignal } from './store/polling-subscription'
export { type AggregateMetadata, aggregateMetadataOf, assertStreamPrefix } from './aggregates/decorators'
export { toAggregateDefinition, streamPrefixOf } from './aggregates/aggregate-definition'
export { backoffDelay, sleep } from './utils/backoff'
export { assertName } from './events/limits'
export { redactUrl } from './utils/redact-url'
// Telemetry: one tracer and lazily made instruments per package, and the trace context carried in metadata.
export { tracerOf, inSpan, type InSpanOptions, failSpan, errorType, hasTrace } from './telemetry/spans'
export { lazyInstruments } from './telemetry/instruments'
export { parseTraceparent, formatTraceparent, parentContext } from './telemetry/trace-context'
export { logger } from './telemetry/logger'
