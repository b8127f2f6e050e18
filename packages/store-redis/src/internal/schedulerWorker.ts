/**
 * The consumer side of the scheduler: a BullMQ worker that runs each job's round as an Effect and moves the
 * job back to `delayed` (`moveToDelayed` + `DelayedError`) at the time the round decided. On shutdown it
 * lets in-flight rounds finish for `shutdownTimeoutMs`, then interrupts them and hands their jobs back to
 * the queue (`moveToWait`) at once. Jobs BullMQ fails for stalling too often are reported as dead letters.
 */
import { Cause, Effect, Exit, Runtime } from "effect"
import { DelayedError, UnrecoverableError, WaitingError, Worker, type Job, type RedisOptions } from "bullmq"
import type { EventLog } from "@guildpulse/core"
import { dataOf, jobIdOf } from "./schedulerJob.js"
import type { Decision } from "./schedulerJob.js"

export interface SchedulerWorkerOptions {
  readonly queueName: string
  readonly connection: RedisOptions
  readonly prefix: string
  readonly concurrency: number
  readonly lockDurationMs: number
  readonly stalledIntervalMs: number
  readonly maxStalledCount: number
  readonly shutdownTimeoutMs: number
}

/** Starts the worker (closed with the scope); `runJob` is one round of a job. */
export const startWorker = (
  options: SchedulerWorkerOptions,
  runJob: (job: Job) => Effect.Effect<Decision>,
  events: EventLog.EventLog["Type"]
) =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<never>()
    const inFlight = new Set<AbortController>()

    const processor = async (job: Job, token?: string): Promise<void> => {
      const abort = new AbortController()
      inFlight.add(abort)
      try {
        const exit = await Runtime.runPromiseExit(runtime)(runJob(job), { signal: abort.signal })
        if (Exit.isFailure(exit)) {
          if (Exit.isInterrupted(exit)) {
            // Interrupted by shutdown: hand the job back at once rather than waiting for the stalled check.
            await job.moveToWait(token)
            throw new WaitingError()
          }
          throw new Error(`refresh job crashed: ${Cause.pretty(exit.cause)}`)
        }
        const decision = exit.value
        switch (decision._tag) {
          case "Done":
            return
          case "Reschedule":
            await job.updateData(decision.data)
            await job.moveToDelayed(decision.atMs, token)
            throw new DelayedError()
        }
      } finally {
        inFlight.delete(abort)
      }
    }

    const worker = new Worker(options.queueName, processor, {
      connection: { ...options.connection, maxRetriesPerRequest: null },
      prefix: options.prefix,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs,
      stalledInterval: options.stalledIntervalMs,
      maxStalledCount: options.maxStalledCount
    })
    worker.on("error", () => undefined)
    worker.on("failed", (job, error) => {
      // Jobs that stalled too often are failed by BullMQ itself: report them like our own dead letters.
      if (job !== undefined && !(error instanceof UnrecoverableError) && /stalled/i.test(error.message)) {
        const key = dataOf(job).profile
        Runtime.runFork(runtime)(
          events.emit({ level: "error", type: "scheduler.dead_letter", profile: key, jobId: job.id ?? jobIdOf(key), message: `job dead-lettered: ${error.message}` })
        )
      }
    })
    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        const closing = worker.close().catch(() => undefined)
        let timer: ReturnType<typeof setTimeout> | undefined
        const timedOut = await Promise.race([
          closing.then(() => false),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), options.shutdownTimeoutMs)))
        ])
        clearTimeout(timer)
        if (timedOut) {
          for (const abort of inFlight) abort.abort()
          await closing
        }
      })
    )
    return worker
  })
