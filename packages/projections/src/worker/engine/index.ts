export type { EngineCounters } from './counters'
export type { BatchAttempt, EngineSink, EngineSource, OpenBatch } from './ports'
export { WorkerEngine, type BatchPolicy, type GenerationCheck, type WorkerEngineOptions } from './worker-engine'
// Workers outside this package (consumers of a broker) buffer their handlers' document operations in it, as projections do.
export { DocumentBatch, type DocumentBatchOptions } from '../../documents/document-batch'
