import { describe, expect, it } from '@jest/globals'
import { DocumentRejectedError, DuplicateDocumentError } from '@eventfold/projections'
import { isTransactionConflict, translateDocumentError } from './document-errors'
import { UNIQUE_INDEX_PREFIX } from './unique-index'

const driverError = (code: string, constraint?: string) => Object.assign(new Error('duplicate key value'), { code, constraint, severity: 'ERROR' })

describe('translateDocumentError', () => {
  it('makes a violation of a declared unique index a DuplicateDocumentError naming the document', () => {
    expect(translateDocumentError(driverError('23505', `${UNIQUE_INDEX_PREFIX}abc`), 'users', 'u2')).toEqual(new DuplicateDocumentError('users', 'u2'))
  })

  it('makes a value jsonb cannot hold a DocumentRejectedError naming the document', () => {
    expect(translateDocumentError(driverError('22P05'), 'users', 'u2')).toMatchObject({ constructor: DocumentRejectedError, collection: 'users', id: 'u2' })
  })

  it('makes a value too large for an index a DocumentRejectedError naming the document', () => {
    expect(translateDocumentError(driverError('54000'), 'users', 'u2')).toMatchObject({ constructor: DocumentRejectedError, collection: 'users', id: 'u2' })
  })

  it.each([
    ['the primary key', driverError('23505', 'eventfold_documents_pkey')],
    ['a catalog race', driverError('23505', 'pg_class_relname_nsp_index')],
    ['a deadlock', driverError('40P01')],
  ])('returns a violation of %s unchanged', (_label, error) => {
    expect(translateDocumentError(error, 'users', 'u2')).toBe(error)
  })
})

describe('isTransactionConflict', () => {
  it.each([
    ['a deadlock', true, driverError('40P01')],
    ['a serialization failure', true, driverError('40001')],
    ['a unique violation', false, driverError('23505', 'eventfold_documents_pkey')],
    ['an error that is not the server’s', false, Object.assign(new Error('deadlock'), { code: '40P01' })],
  ])('tells %s: %s', (_label, expected, error) => {
    expect(isTransactionConflict(error)).toBe(expected)
  })
})
