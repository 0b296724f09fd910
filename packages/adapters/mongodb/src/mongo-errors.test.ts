import { describe, expect, it } from '@jest/globals'
import { DocumentConflictError, DocumentRejectedError, DuplicateDocumentError, InvalidDocumentOperationError } from '@eventfold/projections'
import { type DocumentWrite } from '@eventfold/projections/spi'
import { MongoErrorCode, translateMongoError } from './mongo-errors'

const create: DocumentWrite = { kind: 'put', collection: 'users', doc: { _id: 'u2', email: 'a' }, meta: { revision: 1, positions: {} }, expectedRevision: 0 }
const replace: DocumentWrite = { ...create, meta: { revision: 3, positions: {} }, expectedRevision: 2 }
const cause = new Error('driver error')

describe('translating server errors by code', () => {
  it('makes a duplicate key on a taken _id a conflict, naming the revision found', () => {
    const error = translateMongoError(MongoErrorCode.DuplicateKey, cause, { kind: 'write', write: create, state: { exists: true, revision: 4, commit: undefined } })

    expect(error).toBeInstanceOf(DocumentConflictError)
    expect(error).toMatchObject({ collection: 'users', id: 'u2', expectedRevision: 0, actualRevision: 4, cause })
  })

  it('makes any other duplicate key a duplicate document', () => {
    for (const write of [create, replace]) {
      const error = translateMongoError(MongoErrorCode.DuplicateKey, cause, { kind: 'write', write, state: { exists: false } })
      expect(error).toBeInstanceOf(DuplicateDocumentError)
      expect(error).toMatchObject({ collection: 'users', id: 'u2' })
    }
  })

  it('makes an error of a write whose unique key another document holds a duplicate document, whatever its code', () => {
    expect(translateMongoError(1, cause, { kind: 'write', write: replace, state: { exists: true, revision: 2, commit: undefined }, uniqueHolder: 'u1' })).toBeInstanceOf(
      DuplicateDocumentError,
    )
  })

  it.each([
    ['a key the server cannot hold (BadValue, as FerretDB reports a nested $ key)', 2],
    ['a failed schema validation', 121],
    ['a document over the size limit', 10334],
  ])('makes a write refused for its content, %s, a rejected document', (_label, code) => {
    const error = translateMongoError(code, cause, { kind: 'write', write: replace, state: { exists: true, revision: 2, commit: undefined } })
    expect(error).toBeInstanceOf(DocumentRejectedError)
    expect(error).toMatchObject({ collection: 'users', id: 'u2', cause })
  })

  it('returns other write errors (an outage: shutdown in progress, a network error) as they are', () => {
    expect(translateMongoError(91, cause, { kind: 'write', write: replace, state: { exists: false } })).toBe(cause)
    expect(translateMongoError(undefined, cause, { kind: 'write', write: replace, state: { exists: false } })).toBe(cause)
  })

  it.each([MongoErrorCode.IndexOptionsConflict, MongoErrorCode.IndexKeySpecsConflict])('makes an index clash (%d) an invalid operation', (code) => {
    const error = translateMongoError(code, cause, { kind: 'index', collection: 'users', indexes: ['email_1'], duplicateId: undefined })

    expect(error).toBeInstanceOf(InvalidDocumentOperationError)
    expect((error as Error).message).toContain("'email_1'")
  })

  it('makes a unique index that cannot be built a duplicate document naming the document found, and leaves other index errors', () => {
    expect(translateMongoError(1, cause, { kind: 'index', collection: 'users', indexes: ['email_1'], duplicateId: 'u3' })).toMatchObject({
      type: 'duplicate-document',
      id: 'u3',
    })
    expect(translateMongoError(1, cause, { kind: 'index', collection: 'users', indexes: ['email_1'], duplicateId: undefined })).toBe(cause)
  })
})
