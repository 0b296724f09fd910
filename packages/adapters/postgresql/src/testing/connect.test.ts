import { describe, expect, it } from '@jest/globals'
import { postgresTestPolicy, unreachableMessage } from './connect'

describe('the PostgreSQL test connection policy', () => {
  it.each<[string, string | undefined, string]>([
    ['runs when the server answers', undefined, 'run'],
    ['fails when the server does not answer', 'ECONNREFUSED', 'fail'],
  ])('%s', (_label, problem, expected) => {
    expect(postgresTestPolicy(problem)).toBe(expected)
  })

  it('names POSTGRES_URL without its password and says how to start the server', () => {
    const message = unreachableMessage('postgres://eventfold:secret@db:5432/eventfold', 'ECONNREFUSED')

    expect(message).toContain('POSTGRES_URL=postgres://eventfold:***@db:5432/eventfold')
    expect(message).toContain('scripts/services start')
    expect(message).not.toContain('secret')
  })
})
