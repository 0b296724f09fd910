import { consumersPage } from './consumers'
import { deadLettersPage } from './dead-letters'
import { deadlinesPage } from './deadlines'
import type { Page } from './page'
import { parkedMessagePage, parkedPage } from './parked'
import { projectionsPage } from './projections'
import { replayPage } from './replay'
import { sagasPage } from './sagas'
import { eventPage, streamPage } from './stream'
import { streamsPage } from './streams'
import { tracePage } from './trace'

/** Every page, in navigation order; each reads the `/api/…` routes of the server's route list. */
export const PAGES: readonly Page[] = [
  streamsPage,
  streamPage,
  eventPage,
  replayPage,
  projectionsPage,
  deadLettersPage,
  deadlinesPage,
  sagasPage,
  consumersPage,
  parkedPage,
  parkedMessagePage,
  tracePage,
]
