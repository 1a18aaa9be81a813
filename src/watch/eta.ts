/**
 * Time left for a running job, from the progress this CLI saw it make. A server's progress is no
 * clock: a running job starts at 10 by decree and may jump or go back between phases, so neither
 * the first value seen nor the time since the job started says anything about its pace. The pace
 * is measured here instead: from the first change of progress seen, over the changes after it,
 * smoothed, and only once enough of them span enough time.
 */
import type {Job} from '../jobs/job.js'

/** Changes of progress to see after the first one before estimating (three values, two paces). */
const MIN_PACES = 2
/** ...spanning at least this long, so that two quick polls make no estimate. */
const MIN_SPAN_MS = 2000
/** Weight of the newest pace in the moving average: the estimate follows the job without jumping. */
const SMOOTHING = 0.3

interface Track {
  /** When progress was first seen to change (the time it reached `lastProgress`, within a poll). */
  firstChangeAt: null | number
  lastChangeAt: null | number
  lastProgress: number
  paces: number
  /** Smoothed percent per millisecond. */
  rate: null | number
}

function freshTrack(progress: number): Track {
  return {firstChangeAt: null, lastChangeAt: null, lastProgress: progress, paces: 0, rate: null}
}

/** Takes in one sighting of the job's progress at `now`. */
function observe(track: Track, progress: number, now: number): Track {
  if (progress < track.lastProgress) return freshTrack(progress)
  if (progress === track.lastProgress) return track
  if (track.lastChangeAt === null) return {...track, firstChangeAt: now, lastChangeAt: now, lastProgress: progress}
  const pace = (progress - track.lastProgress) / Math.max(1, now - track.lastChangeAt)
  const rate = track.rate === null ? pace : track.rate + SMOOTHING * (pace - track.rate)
  return {...track, lastChangeAt: now, lastProgress: progress, paces: track.paces + 1, rate}
}

/** Seconds left at `now`, or null while too little was seen (or the job stalled past its estimate). */
function secondsLeft(track: Track, now: number): null | number {
  const {firstChangeAt, lastChangeAt, lastProgress, paces, rate} = track
  if (firstChangeAt === null || lastChangeAt === null || rate === null || rate <= 0) return null
  if (paces < MIN_PACES || lastChangeAt - firstChangeAt < MIN_SPAN_MS) return null
  const leftMs = (100 - lastProgress) / rate - (now - lastChangeAt)
  return leftMs > 0 ? Math.round(leftMs / 1000) : null
}

/** The estimates of the jobs one watch follows, each from its own sightings. */
export class EtaEstimator {
  private readonly tracks = new Map<string, Track>()

  /** The job with `estimated_remaining` from what was seen of it so far; null for a job not running. */
  estimate(job: Job, now = Date.now()): Job {
    let seconds: null | number = null
    if (job.status === 'running') {
      const seen = this.tracks.get(job.job_id)
      const track = seen ? observe(seen, job.progress, now) : freshTrack(job.progress)
      this.tracks.set(job.job_id, track)
      seconds = secondsLeft(track, now)
    } else {
      this.tracks.delete(job.job_id)
    }

    if (seconds === job.progress_detail.estimated_remaining) return job
    return {...job, progress_detail: {...job.progress_detail, estimated_remaining: seconds}}
  }
}
