/** The refresh job of one profile: its id, the data it carries between rounds, and what a round decides. */
import { Either, Schema } from "effect"
import type { Job } from "bullmq"

export const JOB_NAME = "refresh"
const ID_PREFIX = "refresh-"

/** The job id of a profile's refresh job (BullMQ refuses integer and `:` ids; profile keys may be all digits). */
export const jobIdOf = (profile: string): string => `${ID_PREFIX}${profile}`

export const JobData = Schema.Struct({
  profile: Schema.String,
  runs: Schema.NonNegativeInt,
  failures: Schema.NonNegativeInt,
  lastRunAtMs: Schema.optional(Schema.Number),
  nextRunAtMs: Schema.optional(Schema.Number),
  /** Every source misconfigured: waiting for its next probe or a profile change. */
  parked: Schema.optional(Schema.Boolean),
  /** Set by `trigger`: run even if a round ran elsewhere meanwhile. */
  manual: Schema.optional(Schema.Boolean)
})
export type JobData = typeof JobData.Type
const decodeJobData = Schema.decodeUnknownEither(JobData)

/** The job's data; a job whose data does not decode restarts its counters (the profile from its id). */
export const dataOf = (job: Job): JobData => {
  const decoded = decodeJobData(job.data)
  if (Either.isRight(decoded)) return decoded.right
  const id = job.id ?? ""
  return { profile: id.startsWith(ID_PREFIX) ? id.slice(ID_PREFIX.length) : id, runs: 0, failures: 0 }
}

/** Data of a (re-)armed job: failures reset, runs and the last run kept. */
export const freshData = (profile: string, previous?: JobData): JobData => ({
  profile,
  runs: previous?.runs ?? 0,
  failures: 0,
  ...(previous?.lastRunAtMs !== undefined ? { lastRunAtMs: previous.lastRunAtMs } : {})
})

/** What a round decides for its job: back to `delayed` until `atMs` with `data`, or end (profile gone). */
export type Decision =
  | { readonly _tag: "Reschedule"; readonly atMs: number; readonly data: JobData }
  | { readonly _tag: "Done" }
