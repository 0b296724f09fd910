import { ValidationError } from '@eventfold/core'

/**
 * A PostgreSQL identifier, quoted: any name is safe to splice into SQL.
 * @throws {@link ValidationError} for a name PostgreSQL would silently
 * truncate (over {@link MAX_IDENTIFIER_BYTES} bytes, so two long names could
 * become one) or cannot hold (NUL).
 */
export const quoteIdent = (name: string): string => {
  const bytes = Buffer.byteLength(name)
  if (bytes > MAX_IDENTIFIER_BYTES) {
    throw new ValidationError(`PostgreSQL identifier '${name}' is ${bytes} bytes; PostgreSQL keeps at most ${MAX_IDENTIFIER_BYTES}`, [
      { path: 'schema', message: `${bytes} bytes` },
    ])
  }
  if (name.includes('\0')) throw new ValidationError('A PostgreSQL identifier cannot contain NUL', [{ path: 'schema', message: 'NUL' }])
  return `"${name.replaceAll('"', '""')}"`
}

/**
 * A PostgreSQL string literal that means the same whatever
 * `standard_conforming_strings` is: a value with a backslash is written in
 * the `E'…'` form, where backslashes are always escapes (as the driver's
 * `escapeLiteral` does).
 */
export const quoteLiteral = (value: string): string => {
  const quoted = value.replaceAll("'", "''")
  return value.includes('\\') ? ` E'${quoted.replaceAll('\\', '\\\\')}'` : `'${quoted}'`
}

/** The longest identifier PostgreSQL keeps (NAMEDATALEN - 1 bytes); longer ones are truncated. */
export const MAX_IDENTIFIER_BYTES = 63
