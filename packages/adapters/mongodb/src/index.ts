// The application API: the stores, their options, and what `ready()` reports about the server.
// Everything else (stored shapes, collection names, capability probes, error codes) is internal.
export { MongoDocumentStore, type MongoDocumentStoreOptions, type ConnectMongoDocumentStoreOptions } from './documents/mongo-document-store'
export { MongoSnapshotStore, type MongoSnapshotStoreOptions } from './snapshots/mongo-snapshot-store'
export { type MongoCapabilities } from './capabilities'
export { MongoDeadlineStore, type MongoDeadlineStoreOptions } from './deadlines/mongo-deadline-store'
