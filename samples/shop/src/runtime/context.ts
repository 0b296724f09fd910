import type { Transport } from '@eventfold/messaging/spi'
import type { ShopTopics } from '../contracts/topics'
import type { ShopConfig } from './config'
import type { ServiceStores } from './stores'

/** What every service starts from: its configuration, its own database, the broker. */
export interface ServiceContext {
  readonly config: ShopConfig
  readonly stores: ServiceStores
  readonly transport: Transport
  readonly topics: ShopTopics
}
