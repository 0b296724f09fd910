import { renderTable, TableWriter, type Column } from './table'

type Row = { name: string; n: number }
const columns: Column<Row>[] = [
  { header: 'NAME', value: (r) => r.name, maxWidth: 8 },
  { header: 'N', value: (r) => String(r.n), align: 'right' },
]

describe('renderTable', () => {
  it('aligns columns, numbers to the right, and cuts long cells', () => {
    expect(renderTable([{ name: 'a', n: 1 }, { name: 'a very long name', n: 123 }], columns)).toBe(
      ['NAME        N', 'a           1', 'a very …  123', ''].join('\n'),
    )
  })

  it('keeps a row on one line, showing a line break in a value as \\n', () => {
    expect(renderTable([{ name: 'two\nlines', n: 1 }], columns)).toBe('NAME      N\ntwo\\nli…  1\n')
    expect(renderTable([{ name: 'a  \u00a0b', n: 1 }], columns)).toBe('NAME  N\na b   1\n')
  })

  it('shows terminal controls in cells as visible escapes', () => {
    expect(renderTable([{ name: '\x1b[2J', n: 1 }], columns)).toBe('NAME     N\n\\x1b[2J  1\n')
  })
})

describe('TableWriter', () => {
  it('fixes the widths from the first rows and streams the rest', () => {
    let out = ''
    const w = new TableWriter(columns, (t) => (out += t), 2)
    for (const [name, n] of [['a', 1], ['bb', 22], ['c', 3], ['longer', 4444]] as const) w.add({ name, n })
    expect(w.end()).toBe(4)
    expect(out).toBe(['NAME   N', 'a      1', 'bb    22', 'c      3', 'longer  4444', ''].join('\n'))
  })

  it('writes nothing for no rows', () => {
    let out = ''
    expect(new TableWriter(columns, (t) => (out += t)).end()).toBe(0)
    expect(out).toBe('')
  })
})
