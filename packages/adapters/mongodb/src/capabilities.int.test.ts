import { expect, it } from '@jest/globals'
import { MongoDocumentStore } from './documents/mongo-document-store'
import { detectMongoCapabilities, probeTransaction } from './capabilities'
import { describeMongo, mongoTestServer } from './testing/connect'

describeMongo('detecting what the server can do', (mongo) => {
  const server = mongoTestServer()

  it('names the product and version the server reports', async () => {
    const found = await detectMongoCapabilities(mongo().client, mongo().client.db(mongo().dbName))

    expect(found).toMatchObject({ product: mongo().server.product, version: mongo().server.version })
  })

  if (server?.product === 'FerretDB') {
    it('finds no transactions on FerretDB, says why, and evaluates $elemMatch in process', async () => {
      const found = await detectMongoCapabilities(mongo().client, mongo().client.db(mongo().dbName))

      expect(found).toEqual({
        product: 'FerretDB',
        version: server.version,
        topology: 'standalone',
        transactions: false,
        reason: expect.stringContaining('FerretDB'),
        clientSideOperators: ['$elemMatch'],
        maxStatementsPerCommand: 8,
      })
    })

    it('sees a probe transaction fail on FerretDB', async () => {
      await expect(probeTransaction(mongo().client, mongo().client.db(mongo().dbName))).resolves.not.toBe(true)
    })
  }

  if (server?.product === 'MongoDB' && server.replicaSet) {
    it('finds transactions on a MongoDB replica set', async () => {
      const found = await detectMongoCapabilities(mongo().client, mongo().client.db(mongo().dbName))

      expect(found).toMatchObject({ product: 'MongoDB', transactions: true, reason: '', clientSideOperators: [], maxStatementsPerCommand: undefined })
      await expect(probeTransaction(mongo().client, mongo().client.db(mongo().dbName))).resolves.toBe(true)
    })
  }

  if (server?.product === 'MongoDB' && !server.replicaSet) {
    it('finds no transactions on a standalone MongoDB', async () => {
      const found = await detectMongoCapabilities(mongo().client, mongo().client.db(mongo().dbName))

      expect(found).toMatchObject({ topology: 'standalone', transactions: false, reason: expect.stringContaining('standalone') })
    })
  }

  it('gives the document store the transactions the server runs, unless told otherwise', async () => {
    const detected = new MongoDocumentStore(mongo().client, mongo().dbName)
    const without = new MongoDocumentStore(mongo().client, mongo().dbName, { transactions: false })

    expect(detected.capabilities.transactions).toBe(false) // Until detected: the weaker promise.
    const found = await detected.ready()
    await without.ready()

    expect(detected.capabilities).toEqual({ transactions: found.transactions })
    expect(detected.capabilities.transactions).toBe(server?.product === 'MongoDB' && server.replicaSet)
    expect(without.capabilities).toEqual({ transactions: false })
  })
})
