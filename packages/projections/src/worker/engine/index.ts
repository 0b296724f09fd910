export type { EngineCounters } from './counters'
export { IterableSource } from './iterable-source'
export type { BatchAttempt, EngineSink, EngineSource, OpenBatch } from './ports'
export { WorkerEngine, type BatchPolicy, type GenerationCheck, type WorkerEngineOptions } from './worker-engine'
