import { MongoDocumentStore } from '@eventfold/mongodb'
import type { DocumentStore } from '@eventfold/projections'
import { ShopConfigError } from '../errors'
import type { ShopConfig } from './config'
import type { ServiceStores } from './stores'

/** Where the order-status read model lives, and how to let go of it. */
export interface ReadModelStore {
  readonly documents: DocumentStore
  readonly description: string
  close(): Promise<void>
}

/**
 * MongoDB (FerretDB here) at `mongoUrl`; without one (the embedded default),
 * the order service's own store, where the gateway of the same process reads it.
 */
export const openReadModels = async (config: ShopConfig, orderStores?: ServiceStores): Promise<ReadModelStore> => {
  if (!config.mongoUrl) {
    if (!orderStores) throw new ShopConfigError('MONGODB_URL', '', 'set when the services run as processes (the order-status read model is in MongoDB)')
    return { documents: orderStores.documents, description: `${orderStores.description} (order service's store)`, close: async () => {} }
  }
  const documents = await MongoDocumentStore.connect(config.mongoUrl, { dbName: config.mongoDb })
  return { documents, description: `MongoDB database ${config.mongoDb}`, close: () => documents.close() }
}
