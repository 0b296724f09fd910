import { deadLettersPage } from './dead-letters'
import { deadlinesPage } from './deadlines'
import type { Page } from './page'
import { projectionsPage } from './projections'
import { replayPage } from './replay'
import { sagasPage } from './sagas'
import { eventPage, streamPage } from './stream'
import { streamsPage } from './streams'
import { tracePage } from './trace'

/**
 * Every page, in navigation order. Sagas, consumer groups and parked
 * messages come as pages of their own here (each with its `/api/…` routes
 * in the server's route list) once their stores are readable.
 */
export const PAGES: readonly Page[] = [streamsPage, streamPage, eventPage, replayPage, projectionsPage, deadLettersPage, deadlinesPage, sagasPage, tracePage]
