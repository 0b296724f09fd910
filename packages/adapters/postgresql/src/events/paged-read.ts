/** Options of {@link readPages}. */
export interface PagedReadOptions {
  /** Rows per query. */
  readonly pageSize: number
  /** Rows in total; `Infinity` for all. */
  readonly maxCount: number
  /** Runs before each query, e.g. to refuse reading from a closed store. */
  readonly beforePage: () => void
}

/**
 * Yields the pages of a keyset-paginated query (never an empty one). No
 * cursor stays open between pages: a consumer that suspends between two
 * pages holds no connection, and may append meanwhile. Memory holds one page.
 * @param readPage reads the next page of at most `limit` rows.
 * @param afterPage moves the key past the last row of a full page.
 */
export async function* readPages<Row>(
  readPage: (limit: number) => Promise<readonly Row[]>,
  afterPage: (last: Row) => void,
  { pageSize, maxCount, beforePage }: PagedReadOptions,
): AsyncGenerator<readonly Row[]> {
  let remaining = Math.floor(maxCount)
  while (remaining > 0) {
    beforePage()
    const limit = Math.min(pageSize, remaining)
    const rows = await readPage(limit)
    if (rows.length > 0) yield rows
    remaining -= rows.length
    if (rows.length < limit) return
    afterPage(rows[rows.length - 1]!)
  }
}
