/** A PostgreSQL identifier, quoted: any name is safe to splice into SQL. */
export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`

/** A PostgreSQL string literal (standard_conforming_strings, the default since 9.1). */
export const quoteLiteral = (value: string): string => `'${value.replaceAll("'", "''")}'`

/** The longest identifier PostgreSQL keeps (NAMEDATALEN - 1 bytes); longer ones are truncated. */
export const MAX_IDENTIFIER_BYTES = 63
