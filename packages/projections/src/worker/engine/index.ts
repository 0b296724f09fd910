export type { EngineCounters } from './counters'
export { IterableSource } from './iterable-source'
export type { BatchAttempt, EngineSink, EngineSource, OpenBatch } from './ports'
export { WorkerEngine, type BatchPolicy, type GenerationCheck, type WorkerEngineOptions } from './worker-engine'
// The log as a source and partition leases, for workers built outside this package (the relay).
export { LogSource, type LogSourceOptions } from '../log-source'
export { LeaseFence, Leases, type HeldLease } from '../leases'
// Workers outside this package (consumers of a broker) buffer their handlers' document operations in it, as projections do.
export { DocumentBatch, type DocumentBatchOptions } from '../../documents/document-batch'
// Partition leases shared fairly between processes, and a partition's checkpoint, for workers built outside this package (the relay).
export { LeaseHost, type LeaseHostOptions, type LeasedWorker, type LeasedRun, type HostHeartbeat, type LeaseChange } from '../lease-host'
export { PartitionCheckpoint, withoutStored, type PartitionCheckpointOptions } from '../partition-checkpoint'
export type { ItemTrace, WorkerLabels } from './telemetry'
