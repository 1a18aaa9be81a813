import {expect} from 'chai'

import {type ColumnSpec, renderTable} from '../../src/ui/table.js'
import {painter, stripAnsi, visibleWidth} from '../../src/ui/terminal.js'

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
    {header: 'DONE', cell: (row) => `[${'#'.repeat(row.percent / 10)}${'.'.repeat(10 - row.percent / 10)}] ${row.percent}%`, compact: (row) => `${row.percent}%`, priority: 50, align: 'right'},
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
    expect(renderTable(ROWS, columns(), {width: 20})).to.deep.equal(['ID   NAME       DONE', 'a1   backend-…   50%', 'b22  web        100%'])
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
})
