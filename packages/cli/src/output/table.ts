import { escapeControls, writeOut } from './terminal'

/** A column of a {@link renderTable} table. */
export interface Column<Row> {
  readonly header: string
  readonly value: (row: Row) => string
  /** Numbers read better right-aligned. @default 'left' */
  readonly align?: 'left' | 'right'
  /** Longer cells are cut with an ellipsis. @default unlimited */
  readonly maxWidth?: number
}

const cut = (s: string, max: number | undefined): string =>
  max !== undefined && s.length > max ? `${s.slice(0, Math.max(0, max - 1))}…` : s

/** A cell on one line: controls escaped (they come from data anyone wrote), other whitespace folded. */
const cell = <Row>(column: Column<Row>, row: Row): string => cut(escapeControls(column.value(row)).replace(/\s+/g, ' '), column.maxWidth)

/**
 * Renders rows as a plain-text table with a header line, columns separated by
 * two spaces. No box drawing: the output stays greppable and copy-pastable.
 */
export const renderTable = <Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string => {
  const cells = rows.map((row) => columns.map((c) => cell(c, row)))
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)))
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => (columns[i]!.align === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n'
}

/** Writes a table (or `empty` when there are no rows) on stdout. */
export const printTable = <Row>(rows: readonly Row[], columns: readonly Column<Row>[], empty: string): void => {
  if (rows.length === 0) writeOut(`${empty}\n`)
  else process.stdout.write(renderTable(rows, columns))
}

/**
 * Writes a table row by row for outputs too long to hold: column widths are
 * fixed from the first `sample` rows; later, longer cells just push the line.
 */
export class TableWriter<Row> {
  private buffered: Row[] | undefined = []
  private widths: number[] = []
  private rows = 0

  constructor(
    private readonly columns: readonly Column<Row>[],
    private readonly write: (text: string) => void = (t) => process.stdout.write(t),
    private readonly sample = 200,
  ) {}

  /** Adds one row. */
  add(row: Row): void {
    this.rows++
    if (this.buffered) {
      this.buffered.push(row)
      if (this.buffered.length >= this.sample) this.flushSample()
      return
    }
    this.write(this.line(this.cells(row)))
  }

  /** Writes what is buffered; returns the number of rows written. */
  end(): number {
    if (this.buffered && this.rows > 0) this.flushSample()
    return this.rows
  }

  private flushSample(): void {
    const rows = this.buffered ?? []
    this.buffered = undefined
    this.write(renderTable(rows, this.columns))
    const cells = rows.map((r) => this.cells(r))
    this.widths = this.columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)))
  }

  private cells(row: Row): string[] {
    return this.columns.map((c) => cell(c, row))
  }

  private line(values: readonly string[]): string {
    return (
      values
        .map((v, i) => (this.columns[i]!.align === 'right' ? v.padStart(this.widths[i]!) : v.padEnd(this.widths[i]!)))
        .join('  ')
        .trimEnd() + '\n'
    )
  }
}
