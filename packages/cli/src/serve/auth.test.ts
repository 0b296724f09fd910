import type { IncomingMessage } from 'node:http'
import { isLoopback, newToken, requireLocalHost, requireToken } from './auth'

const requestWith = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage

describe('the console token', () => {
  const token = newToken()

  it('is new on every start and long enough not to be guessed', () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(newToken()).not.toBe(token)
  })

  it('accepts exactly "Bearer <token>"', () => {
    expect(() => requireToken(requestWith({ authorization: `Bearer ${token}` }), token)).not.toThrow()
  })

  it.each([
    ['no header', {}],
    ['another token', { authorization: `Bearer ${newToken()}` }],
    ['a prefix of it', { authorization: `Bearer ${token.slice(0, -1)}` }],
    ['the token without the scheme', { authorization: token }],
    ['another scheme', { authorization: `Basic ${token}` }],
    ['a cookie', { cookie: `token=${token}` }],
  ])('refuses %s with a 401', (_name, headers) => {
    expect(() => requireToken(requestWith(headers), token)).toThrow(expect.objectContaining({ type: 'console-request', status: 401 }))
  })
})

describe('the addresses the console answers on', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'])('counts %s as loopback', (host) => expect(isLoopback(host)).toBe(true))
  it.each(['0.0.0.0', '::', '192.168.1.10', 'example.com', '128.0.0.1', '127.0.0.1.nip.io'])('does not count %s', (host) => expect(isLoopback(host)).toBe(false))

  it('answers only requests addressed to a loopback name on its port', () => {
    for (const host of ['127.0.0.1:4280', 'localhost:4280', '[::1]:4280', 'LOCALHOST:4280']) expect(() => requireLocalHost(requestWith({ host }), 4280)).not.toThrow()
    for (const host of ['evil.example:4280', '127.0.0.1:80', '', 'localhost']) {
      expect(() => requireLocalHost(requestWith({ host }), 4280)).toThrow(expect.objectContaining({ status: 403 }))
    }
  })
})
