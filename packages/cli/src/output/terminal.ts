/**
 * Characters that must never reach a terminal as they are: C0 controls and
 * DEL (ESC starts escape sequences that can retitle the window, rewrite the
 * clipboard with OSC 52 or clear the screen; BEL, backspace and CR hide
 * text), C1 controls (U+009B is a one-character CSI on many terminals), and
 * the bidirectional controls that reorder what is shown (U+202E and friends).
 * Event types, stream ids, dead letters and error messages come from data
 * anyone may have written, so every human-readable line is escaped.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g
const UNSAFE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g
/** Escapes that JSON text may hold: the same set, minus what `JSON.stringify` already escapes. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

const SHORT: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

const visible = (c: string): string => {
  const short = SHORT[c]
  if (short) return short
  const code = c.charCodeAt(0)
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

/** `text` with every control and bidi character written as a visible escape (`\x1b`, `\u202e`, `\n`): for one value on one line. */
export const escapeControls = (text: string): string => text.replace(UNSAFE, visible)

/** Like {@link escapeControls}, but keeps line breaks: for whole lines of output. */
export const escapeLines = (text: string): string => text.replace(UNSAFE_BUT_NEWLINE, visible)

/** `'value'`, escaped: how messages show a stream id, dead letter id or other data. */
export const quote = (value: string): string => `'${escapeControls(value)}'`

/**
 * JSON text with the C1, DEL and bidi characters `JSON.stringify` leaves raw
 * written as `\uXXXX` escapes: the same JSON value, safe to print.
 */
export const escapeJson = (json: string): string => json.replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)

/** Writes human-readable text on stdout, escaped (line breaks kept). */
export const writeOut = (text: string): void => {
  process.stdout.write(escapeLines(text))
}

/** Writes human-readable text on stderr, escaped (line breaks kept). */
export const writeErr = (text: string): void => {
  process.stderr.write(escapeLines(text))
}
