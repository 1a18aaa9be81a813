import {expect} from 'chai'

import {parseFilter} from '../../src/top/top-filter.js'
import {ENDED_JOBS_KEPT, TopModel} from '../../src/top/top-model.js'
import {numbers as ids, numberedJob as job} from './top-fixtures.js'

describe('top: the view model', () => {
  it('shows the active jobs newest first, and the ended ones too after the active/all toggle', () => {
    const model = new TopModel()
    model.upsert(job(1))
    model.upsert(job(2, {status: 'failed'}))
    model.upsert(job(3, {status: 'queued'}))
    expect(ids(model.rows())).to.deep.equal([3, 1])
    model.toggleAll()
    expect(model.showAll).to.equal(true)
    expect(ids(model.rows())).to.deep.equal([3, 2, 1])
  })

  it('counts the known jobs by status, and the rows shown', () => {
    const model = new TopModel()
    model.takeListing([job(1), job(2, {status: 'failed'}), job(3, {status: 'failed'}), job(4, {status: 'queued'})])
    const counts = model.counts()
    expect(Object.fromEntries(counts.byStatus)).to.deep.equal({running: 1, failed: 2, queued: 1})
    expect(counts.shown).to.equal(2)
  })

  it('filters by type, repository, user, status and ID prefix', () => {
    const model = new TopModel({showAll: true})
    model.upsert(job(1, {job_type: 'add_golden_repo', repository: 'alpha', user_id: 'bob'}))
    model.upsert(job(2, {repository: 'beta', status: 'failed'}))
    model.upsert(job(3, {repository: 'Beta'}))
    model.setFilter(parseFilter('repo:beta'))
    expect(ids(model.rows())).to.deep.equal([3, 2])
    model.setFilter(parseFilter('repo:beta status:failed'))
    expect(ids(model.rows())).to.deep.equal([2])
    model.setFilter(parseFilter('type:add_golden_repo user:bob'))
    expect(ids(model.rows())).to.deep.equal([1])
    model.setFilter(parseFilter('00000003'))
    expect(ids(model.rows())).to.deep.equal([3])
  })

  it('selects the first match when a filter is applied', () => {
    const model = new TopModel()
    for (const n of [1, 2, 3, 4]) model.upsert(job(n, {repository: n % 2 === 0 ? 'even' : 'odd'}))
    model.move(3)
    expect(ids([model.selectedJob!])).to.deep.equal([1])
    model.setFilter(parseFilter('repo:even'))
    expect(ids([model.selectedJob!])).to.deep.equal([4])
  })

  it('keeps the selected job selected while rows move around it', () => {
    const model = new TopModel()
    for (const n of [1, 2, 3]) model.upsert(job(n))
    model.window(10)
    model.move(1)
    expect(ids([model.selectedJob!])).to.deep.equal([2])
    // A newer job arrives above it: the selection stays on the same job, one row lower.
    model.upsert(job(9))
    const {rows, selected} = model.window(10)
    expect(ids(rows)).to.deep.equal([9, 3, 2, 1])
    expect(selected).to.equal(2)
    expect(ids([model.selectedJob!])).to.deep.equal([2])
  })

  it('selects the row in the same place when the selected job leaves the rows', () => {
    const model = new TopModel()
    for (const n of [1, 2, 3]) model.upsert(job(n))
    model.move(1)
    model.upsert(job(2, {status: 'completed'}))
    const {selected} = model.window(10)
    expect(selected).to.equal(1)
    expect(ids([model.selectedJob!])).to.deep.equal([1])
  })

  it('scrolls so the selected row stays in view, and stops at either end', () => {
    const model = new TopModel()
    for (let n = 1; n <= 20; n++) model.upsert(job(n))
    expect(ids(model.window(5).rows)).to.deep.equal([20, 19, 18, 17, 16])
    model.move(7)
    const down = model.window(5)
    expect(ids(down.rows)).to.deep.equal([17, 16, 15, 14, 13])
    expect(down.selected).to.equal(4)
    model.move(100)
    expect(ids(model.window(5).rows)).to.deep.equal([5, 4, 3, 2, 1])
    model.move(-100)
    expect(model.window(5)).to.deep.include({selected: 0})
    expect(ids([model.selectedJob!])).to.deep.equal([20])
  })

  it('cycles the sort key, each in its most useful direction', () => {
    const model = new TopModel()
    model.upsert(job(1, {progress: 90}))
    model.upsert(job(2, {progress: 10}))
    expect(model.sort).to.deep.equal({key: 'created', descending: true})
    model.cycleSort()
    expect(model.sort).to.deep.equal({key: 'progress', descending: true})
    expect(ids(model.rows())).to.deep.equal([1, 2])
    for (let step = 0; step < 6; step++) model.cycleSort()
    expect(model.sort.key).to.equal('created')
  })

  it('keeps the ended jobs of the latest listing, and at most ENDED_JOBS_KEPT others', () => {
    const model = new TopModel({showAll: true})
    const ended = Array.from({length: ENDED_JOBS_KEPT + 10}, (_, n) => job(n, {status: 'completed'}))
    for (const one of ended) model.upsert(one)
    model.takeListing([job(700, {status: 'failed'})])
    const rows = model.rows()
    expect(rows).to.have.length(ENDED_JOBS_KEPT + 1)
    // The oldest went.
    expect(ids(rows).at(-1)).to.equal(10)
  })

  it('forgets a job the server no longer knows', () => {
    const model = new TopModel()
    model.upsert(job(1))
    model.forget(job(1).job_id)
    expect(model.rows()).to.deep.equal([])
    expect(model.window(5)).to.deep.equal({rows: [], selected: -1})
  })
})
