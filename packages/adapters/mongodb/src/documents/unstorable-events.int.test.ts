import { MongoClient } from 'mongodb'
import { unstorableEventSuite } from '@eventfold/projections/testing'
import { TcpProxy } from '../test-support/tcp-proxy'
import { describeMongo } from '../testing/connect'
import { MongoDocumentStore } from './mongo-document-store'

describeMongo('MongoDB document store', (mongo) => {
  unstorableEventSuite('MongoDB', {
    documents: () => new MongoDocumentStore(mongo().client, mongo().dbName),
    // A nested key starting with '$': an event may carry it, a document may not (the server would refuse it: BadValue).
    unstorable: { $theme: 'dark' },
    // The real server over real connections, made unreachable by closing the proxy in front of it.
    outage: async () => {
      const target = new URL(mongo().server.url)
      const proxy = new TcpProxy(target.hostname, Number(target.port || 27017))
      await proxy.open()
      const client = new MongoClient(`mongodb://127.0.0.1:${proxy.port}/`, {
        directConnection: true,
        serverSelectionTimeoutMS: 200,
        connectTimeoutMS: 200,
        heartbeatFrequencyMS: 500,
      })
      await client.connect()
      return {
        documents: new MongoDocumentStore(client, mongo().dbName),
        cut: () => proxy.close(),
        restore: () => proxy.open(),
        close: async () => {
          await proxy.close()
          await client.close(true)
        },
      }
    },
  })
})
