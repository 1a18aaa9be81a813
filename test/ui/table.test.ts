import {expect} from 'chai'
import stringWidth from 'string-width'

import {type ColumnSpec, renderTable} from '../../src/ui/table.js'
import {painter, stripAnsi} from '../../src/ui/terminal.js'
import {visibleWidth} from '../../src/ui/text-width.js'

interface Row {
  id: string
  name: string
  note: string
  percent: number
}

const ROWS: Row[] = [
  {id: 'a1', name: 'backend-service', note: 'first', percent: 50},
  {id: 'b22', name: 'web', note: 'a rather long note', percent: 100},
]

function columns(): ColumnSpec<Row>[] {
  return [
    {header: 'ID', cell: (row) => row.id},
    {header: 'NAME', cell: (row) => row.name, minWidth: 6, priority: 80},
    {
      header: 'DONE',
      cell: (row) => `[${'#'.repeat(row.percent / 10)}${'.'.repeat(10 - row.percent / 10)}] ${row.percent}%`,
      compact: (row) => `${row.percent}%`,
      priority: 50,
      align: 'right',
    },
    {header: 'NOTE', cell: (row) => row.note, minWidth: 4, priority: 20},
  ]
}

describe('table: renderTable', () => {
  it('lays out natural widths with a two-space gap, right alignment and no trailing spaces', () => {
    expect(renderTable(ROWS, columns())).to.deep.equal([
      'ID   NAME                          DONE  NOTE',
      'a1   backend-service   [#####.....] 50%  first',
      'b22  web              [##########] 100%  a rather long note',
    ])
    expect(renderTable(ROWS, columns(), {width: 60})).to.deep.equal(renderTable(ROWS, columns()))
  })

  it('first switches to compact renderings, losing nothing', () => {
    expect(renderTable(ROWS, columns(), {width: 50})).to.deep.equal([
      'ID   NAME             DONE  NOTE',
      'a1   backend-service   50%  first',
      'b22  web              100%  a rather long note',
    ])
  })

  it('then cuts flexible columns, widest first, with an ellipsis', () => {
    const lines = renderTable(ROWS, columns(), {width: 36})
    expect(lines).to.deep.equal([
      'ID   NAME         DONE  NOTE',
      'a1   backend-se…   50%  first',
      'b22  web          100%  a rather lo…',
    ])
    expect(Math.max(...lines.map((line) => visibleWidth(line)))).to.equal(36)
  })

  it('then drops the least important columns first', () => {
    expect(renderTable(ROWS, columns(), {width: 20})).to.deep.equal([
      'ID   NAME       DONE',
      'a1   backend-…   50%',
      'b22  web        100%',
    ])
    expect(renderTable(ROWS, columns(), {width: 14})).to.deep.equal(['ID   NAME', 'a1   backend-…', 'b22  web'])
  })

  it('cuts whole lines as a last resort, so nothing wraps', () => {
    expect(renderTable(ROWS, columns(), {width: 4})).to.deep.equal(['ID', 'a1', 'b22'])
    const tight = renderTable([{id: 'abcdefgh', name: 'x', note: '', percent: 0}], columns(), {width: 5})
    expect(tight).to.deep.equal(['ID', 'abcd…'])
  })

  it('measures coloured cells by their visible width and bolds the header', () => {
    const paint = painter(true)
    const specs: ColumnSpec<Row>[] = [
      {header: 'ID', cell: (row) => paint('red', row.id)},
      {header: 'NAME', cell: (row) => row.name},
    ]
    const lines = renderTable(ROWS, specs, {paint})
    expect(lines[0]).to.equal(paint('bold', 'ID   NAME'))
    expect(lines.map((line) => stripAnsi(line))).to.deep.equal(['ID   NAME', 'a1   backend-service', 'b22  web'])
  })

  it('prints only the header for no rows, and honours a custom gap', () => {
    expect(renderTable([], columns(), {gap: 1})).to.deep.equal(['ID NAME DONE NOTE'])
  })

  it('lines columns up by the columns a terminal gives wide CJK characters and emoji, and cuts them whole', () => {
    const wide: Row[] = [
      {id: 'c3', name: '日本語のリポジトリ', note: 'ok', percent: 50},
      {id: 'd4', name: '👨‍👩‍👧 family', note: 'ok', percent: 50},
      {id: 'e5', name: 'plain', note: 'ok', percent: 50},
    ]
    const spec = columns().filter((column) => column.header !== 'DONE')
    for (const width of [Infinity, 22]) {
      const lines = renderTable(wide, spec, {width})
      // Where NOTE starts, in terminal columns (string-width as the measure): the same on every line.
      const noteAt = lines.map((line) =>
        stringWidth(line.slice(0, line.lastIndexOf(line.startsWith('ID') ? 'NOTE' : 'ok'))),
      )
      expect(new Set(noteAt).size, lines.join('\n')).to.equal(1)
      for (const line of lines) expect(stringWidth(line)).to.be.at.most(width)
    }

    expect(renderTable(wide, spec, {width: 22})[1]).to.equal('c3  日本語のリ…   ok')
  })
})
