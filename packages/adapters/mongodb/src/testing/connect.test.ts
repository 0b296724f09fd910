import { describe, expect, it } from '@jest/globals'
import { mongoTestServer } from './connect'

describe('the MongoDB test server probe', () => {
  it('names MONGODB_URL without its password when the server does not answer', () => {
    const saved = process.env.MONGODB_URL
    process.env.MONGODB_URL = 'mongodb://app:s3cr%40t-pw@127.0.0.1:1/?serverSelectionTimeoutMS=500'
    try {
      expect(() => mongoTestServer()).toThrow('MONGODB_URL=mongodb://app:***@127.0.0.1:1/')
      expect(() => mongoTestServer()).not.toThrow(/s3cr|t-pw/)
    } finally {
      process.env.MONGODB_URL = saved
    }
  })
})
