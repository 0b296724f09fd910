import { MongoClient } from 'mongodb'

/** Drops a test run's MongoDB database (the order-status read model), so runs leave nothing on the shared server. */
export const dropMongoDatabase = async (url: string, dbName: string): Promise<void> => {
  const client = await MongoClient.connect(url)
  try {
    await client.db(dbName).dropDatabase()
  } finally {
    await client.close()
  }
}
