/**
 * The producer side of the scheduler: the BullMQ queue, each operation bounded and failing with a
 * `StoreError`, and the queue operations of the port — arm, ensure, trigger, unschedule, status.
 *
 * Wall clock on purpose: `nextRunAtMs` and the status' due times describe when BullMQ will run a job, and BullMQ
 * schedules delayed jobs on `Date.now()` in its own code. Reading Effect's `Clock` here would make those times
 * disagree with the queue whenever the clock is not the wall clock (a `TestClock`).
 */
import { Duration, Effect, Redacted } from "effect"
import { Queue, type RedisOptions } from "bullmq"
import { RefreshScheduler, StoreError } from "@guildpulse/core"
import type { RedisConnection } from "../RedisConnection.js"
import { dataOf, freshData, JOB_NAME, jobIdOf } from "./schedulerJob.js"
import type { JobData } from "./schedulerJob.js"

export const STORE = "scheduler"

/** The connection options both the queue and the worker start from. */
export const baseConnectionOf = (connection: RedisConnection["Type"]): RedisOptions => ({
  url: Redacted.value(connection.url),
  retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000)
})

export const makeSchedulerQueue = (connection: RedisConnection["Type"], queueName: string, operationTimeout: Duration.Duration) =>
  Effect.gen(function* () {
    const { keys } = connection
    // The producer side fails fast while Redis is away (callers get a StoreError, never a hang).
    const queue = new Queue(queueName, {
      connection: { ...baseConnectionOf(connection), enableOfflineQueue: false, maxRetriesPerRequest: 1 },
      prefix: keys.bullPrefix,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: false }
    })
    queue.on("error", () => undefined)
    yield* Effect.addFinalizer(() => Effect.promise(() => queue.close().catch(() => undefined)))
    // Closing a queue still connecting leaves BullMQ with a dangling rejection: start from a connected one
    // (bounded: with Redis down the instance starts anyway and reports itself not ready).
    yield* Effect.tryPromise(() => queue.waitUntilReady()).pipe(Effect.timeout(operationTimeout), Effect.ignore)

    /** One Redis/BullMQ operation, bounded by `operationTimeout`. */
    const op = <A>(what: string, f: () => Promise<A>): Effect.Effect<A, StoreError> =>
      Effect.tryPromise({
        try: f,
        catch: (error) =>
          new StoreError({ reason: "unavailable", store: STORE, message: `${what}: ${error instanceof Error ? error.message : String(error)}`, cause: error })
      }).pipe(
        Effect.timeoutFail({
          duration: operationTimeout,
          onTimeout: () => new StoreError({ reason: "timeout", store: STORE, message: `${what}: no answer within ${Duration.toMillis(operationTimeout)} ms` })
        })
      )

    /** Puts the profile's job in the queue to run after `delayMs`, replacing a waiting, delayed or dead one. */
    const rearm = (key: string, delayMs: number) =>
      op(`arm ${key}`, async () => {
        const id = jobIdOf(key)
        const now = Date.now()
        const existing = await queue.getJob(id)
        let previous: JobData | undefined
        if (existing !== undefined) {
          previous = dataOf(existing)
          const state = await existing.getState()
          // A running round re-arms its job itself, from the profile as stored when it ends.
          if (state === "active") return
          if (state === "delayed") {
            try {
              await existing.updateData({ ...freshData(key, previous), nextRunAtMs: now + delayMs })
              await existing.changeDelay(delayMs)
              return
            } catch {
              // Promoted meanwhile: replace it below.
            }
          }
          await existing.remove().catch(() => undefined)
        }
        await queue.add(JOB_NAME, { ...freshData(key, previous), nextRunAtMs: now + delayMs }, { jobId: id, delay: delayMs })
      })

    /** Adds the job unless one exists (dead letters stay parked). */
    const ensure = (key: string, delayMs: number) =>
      op(`ensure ${key}`, () => queue.add(JOB_NAME, { ...freshData(key), nextRunAtMs: Date.now() + delayMs }, { jobId: jobIdOf(key), delay: delayMs }))

    /** Runs the job now (`manual`: even if a round ran elsewhere meanwhile), unless it is running or due. */
    const trigger = (key: string) =>
      op(`trigger ${key}`, async () => {
        const job = await queue.getJob(jobIdOf(key))
        const state = job === undefined ? "missing" : await job.getState()
        if (state === "active" || state === "waiting" || state === "prioritized") return
        if (job !== undefined && state === "delayed") {
          try {
            await job.updateData({ ...dataOf(job), manual: true })
            await job.promote()
            return
          } catch {
            // Promoted or taken meanwhile.
            return
          }
        }
        if (job !== undefined) await job.remove().catch(() => undefined)
        await queue.add(JOB_NAME, { ...freshData(key, job === undefined ? undefined : dataOf(job)), nextRunAtMs: Date.now(), manual: true }, { jobId: jobIdOf(key) })
      })

    /** Marks the profile unscheduled (a round running now ends its job) and removes its job. */
    const unschedule = (key: string) =>
      Effect.zipRight(
        op(`unschedule ${key}`, () => connection.client.sadd(keys.unscheduled, key)),
        op(`unschedule ${key}`, () => queue.remove(jobIdOf(key)))
      )

    const markScheduled = (key: string) => op(`schedule ${key}`, () => connection.client.srem(keys.unscheduled, key))

    /** Every job of the queue, by profile. */
    const jobs: Effect.Effect<Array<RefreshScheduler.JobStatus>, StoreError> = op("status", async () => {
      const now = Date.now()
      const states = ["active", "waiting", "prioritized", "delayed", "paused", "failed"] as const
      const lists = await Promise.all(states.map((state) => queue.getJobs([state], 0, -1)))
      const out: Array<RefreshScheduler.JobStatus> = []
      states.forEach((state, index) => {
        for (const job of lists[index] ?? []) {
          const data = dataOf(job)
          out.push({
            profile: data.profile,
            nextRunAtMs: state === "delayed" ? data.nextRunAtMs : state === "waiting" || state === "prioritized" ? now : undefined,
            lastRunAtMs: data.lastRunAtMs,
            consecutiveFailures: data.failures,
            runs: data.runs,
            deadLettered: state === "failed" || data.parked === true
          })
        }
      })
      out.sort((a, b) => a.profile.localeCompare(b.profile))
      return out
    })

    return { op, rearm, ensure, trigger, unschedule, markScheduled, jobs }
  })
