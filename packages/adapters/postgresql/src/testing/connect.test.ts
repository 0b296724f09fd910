import { describe, expect, it } from '@jest/globals'
import { postgresTestPolicy, unreachableMessage } from './connect'

describe('the PostgreSQL test connection policy', () => {
  it.each<[string, string | undefined, NodeJS.ProcessEnv, string]>([
    ['runs when the server answers', undefined, { CI: 'true' }, 'run'],
    ['fails in CI when the server does not answer', 'ECONNREFUSED', { CI: 'true' }, 'fail'],
    ['fails in CI even when asked to skip', 'ECONNREFUSED', { CI: 'true', EVENTFOLD_SKIP_POSTGRES: '1' }, 'fail'],
    ['fails outside CI by default', 'ECONNREFUSED', {}, 'fail'],
    ['skips outside CI when asked to', 'ECONNREFUSED', { EVENTFOLD_SKIP_POSTGRES: '1' }, 'skip'],
  ])('%s', (_label, problem, env, expected) => {
    expect(postgresTestPolicy(problem, env)).toBe(expected)
  })

  it('names POSTGRES_URL without its password and says how to start the server', () => {
    const message = unreachableMessage('postgres://eventfold:secret@db:5432/eventfold', 'ECONNREFUSED', 'fail', { CI: 'true' })

    expect(message).toContain('POSTGRES_URL=postgres://eventfold:***@db:5432/eventfold')
    expect(message).toContain('scripts/services start')
    expect(message).not.toContain('secret')
  })
})
