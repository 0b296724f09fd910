export { SqliteDocumentStore, type SqliteDocumentStoreOptions } from './sqlite-document-store'
export { DOCUMENT_SCHEMA, DOCUMENT_SCHEMA_MODULE } from './document-schema'
