export type { EngineCounters } from './counters'
export type { BatchAttempt, EngineSink, EngineSource, OpenBatch } from './ports'
export { WorkerEngine, type BatchPolicy, type GenerationCheck, type WorkerEngineOptions } from './worker-engine'
// The log as a source and partition leases, for workers built outside this package (the relay).
export { LogSource, type LogSourceOptions } from '../log-source'
export { LeaseFence, Leases, type HeldLease } from '../leases'
// Workers outside this package (consumers of a broker) buffer their handlers' document operations in it, as projections do.
export { DocumentBatch, type DocumentBatchOptions } from '../../documents/document-batch'
export type { ItemTrace, WorkerLabels } from './telemetry'
