import { definePublications, publish } from '@eventfold/messaging'
import { TallyOpened } from './tally-app'

/** What the tally fixture publishes: openings with their label, increments as references; nothing else. */
export const publications = definePublications({
  source: 'tallies',
  publications: [
    publish(TallyOpened, { type: 'TallyOpened.v1', topic: 'tallies', map: (e) => ({ tallyId: e.data.tallyId, label: e.data.label }) }),
    publish('TallyIncremented', { type: 'TallyIncremented.v1', topic: 'tally-changes', payload: 'reference', map: (e) => ({ tallyId: e.streamId }) }),
  ],
})
