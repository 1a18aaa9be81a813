import {expect} from 'chai'

import {formatEta, formatStep} from '../../src/ui/progress-format.js'
import {makeJob} from '../helpers/fixtures/job-fixtures.js'

describe('ui/progress-format', () => {
  it('shows the step with its counts, and the ETA only while running', () => {
    expect(formatStep(makeJob())).to.equal('semantic 210/500')
    expect(formatStep(makeJob({progress_detail: {...makeJob().progress_detail, steps_completed: null}}))).to.equal(
      'semantic',
    )
    expect(formatEta(makeJob())).to.equal('ETA 1m 20s')
    expect(formatEta(makeJob({status: 'queued'}))).to.equal('')
    expect(formatEta(makeJob({progress_detail: {...makeJob().progress_detail, estimated_remaining: null}}))).to.equal(
      '',
    )
  })
})
