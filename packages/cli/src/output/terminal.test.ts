import { escapeControls, escapeJson, escapeLines, quote } from './terminal'

describe('escaping for the terminal', () => {
  it.each([
    ['ESC of a screen clear', '\x1b[2J', '\\x1b[2J'],
    ['OSC 52 (clipboard) ended by BEL', '\x1b]52;c;aGk=\x07', '\\x1b]52;c;aGk=\\x07'],
    ['a backspace', 'a\bb', 'a\\x08b'],
    ['DEL', 'a\x7fb', 'a\\x7fb'],
    ['the C1 CSI', 'a\u009b2Jb', 'a\\x9b2Jb'],
    ['a right-to-left override', 'evil\u202etxt.exe', 'evil\\u202etxt.exe'],
    ['isolates and marks', '\u2066\u2069\u200e\u200f\u061c', '\\u2066\\u2069\\u200e\\u200f\\u061c'],
    ['a line break in a value', 'a\nb\r\tc', 'a\\nb\\r\\tc'],
  ])('shows %s as a visible escape', (_name, raw, shown) => {
    expect(escapeControls(raw)).toBe(shown)
  })

  it('leaves ordinary text, accents and emoji alone', () => {
    expect(escapeControls('Añna — ✓ 😀 日本')).toBe('Añna — ✓ 😀 日本')
  })

  it('keeps line breaks of whole lines, and quotes values', () => {
    expect(escapeLines('one\x1b[2J\ntwo\n')).toBe('one\\x1b[2J\ntwo\n')
    expect(quote('Account-1\nX')).toBe("'Account-1\\nX'")
  })

  it('escapes in JSON what JSON.stringify leaves raw, keeping the same value', () => {
    const value = { type: '\u009b2J\u202e\x7f\x1b' }
    const json = escapeJson(JSON.stringify(value))
    expect(json).toBe('{"type":"\\u009b2J\\u202e\\u007f\\u001b"}')
    expect(JSON.parse(json)).toEqual(value)
  })
})
