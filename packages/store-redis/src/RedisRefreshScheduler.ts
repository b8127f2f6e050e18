/**
 * `RefreshScheduler` on BullMQ, for several instances and workers sharing Redis.
 *
 * - One job per profile, for the profile's whole life: its id is `refresh-<profile>` (BullMQ refuses integer
 *   and `:` ids, and profile keys may be all digits), so a second copy cannot exist — `add` with an existing id
 *   is a no-op, and only one worker holds the job's lock at a time.
 * - After each round the job moves itself back to `delayed` (`moveToDelayed` + `DelayedError`) at the time the
 *   `Refresher` wrote into the snapshot (core's `RefreshPolicy.decide`, the same pure policy as the in-memory
 *   scheduler): ahead of expiry after a success; `min(30 s × 2^(n−1), max(ttl, 15 min))` ±20 % after the n-th
 *   failed round, never before a usable source may be tried and at the earliest time one may; unchanged after a
 *   skipped round (nothing sent: every usable circuit open or throttled — manual refreshes during an outage).
 * - Transient failures never dead-letter a job. A profile none of whose sources is usable (every one
 *   misconfigured) is *parked*: its job stays delayed until its next probe (30 s, doubling to hourly) and is listed in `deadLetters`
 *   (and health); scheduling the changed profile runs it at once.
 * - When a round ran meanwhile elsewhere (a public request revalidated the profile), the job follows that
 *   round's plan instead of calling Discord again; a triggered job always runs.
 * - A worker that dies mid-job loses its lock; BullMQ's stalled-job check (`stalledIntervalMs`) moves the job
 *   back to waiting and another worker runs it. A job that stalls more than `maxStalledCount` times is a dead
 *   letter (a crash, not an upstream failure): scheduling or triggering the profile re-arms it.
 * - Graceful shutdown: the worker stops taking jobs and lets in-flight rounds finish for `shutdownTimeoutMs`;
 *   rounds still running then are interrupted and their jobs returned to the queue (`moveToWait`) at once.
 * - `status.running` is false while Redis is unreachable, so `/readyz` reports the instance not ready.
 */
import { Clock, Context, Duration, Effect, Either, Layer, Option, Random, Scope } from "effect"
import type { Job } from "bullmq"
import {
  EventLog,
  headlineFetchedAtMs,
  ProfileNotFound,
  isProfileKey,
  ProfileRepository,
  Refresher,
  RefreshPolicy,
  RefreshScheduler,
  SnapshotStore,
  StoreError
} from "@guildpulse/core"
import type { Profile, Snapshot } from "@guildpulse/core"
import { RedisConnection } from "./RedisConnection.js"
import { dataOf, jobIdOf } from "./internal/schedulerJob.js"
import type { Decision, JobData } from "./internal/schedulerJob.js"
import { baseConnectionOf, makeSchedulerQueue, STORE } from "./internal/schedulerQueue.js"
import { startWorker } from "./internal/schedulerWorker.js"

export { jobIdOf }

export interface RedisRefreshSchedulerOptions {
  /** BullMQ queue name (default `refresh`); keys live under `<prefix>bull:<queue>:`. */
  readonly queueName?: string
  /** Run a worker in this process (default true). Instances with `worker: false` only enqueue and report. */
  readonly worker?: boolean
  /** Jobs one worker runs at once (default 4). */
  readonly concurrency?: number
  readonly policy?: RefreshPolicy.RefreshPolicyOptions
  /** Ensure a job exists for every stored profile when the layer starts (default true). */
  readonly scheduleAllOnStart?: boolean
  /** BullMQ job lock; must exceed the slowest round (default 30,000 ms). Renewed while the worker lives. */
  readonly lockDurationMs?: number
  /** How often workers look for jobs whose worker died (default 30,000 ms). */
  readonly stalledIntervalMs?: number
  /** Stalls tolerated before a job is dead-lettered (default 2). */
  readonly maxStalledCount?: number
  /** Time given to in-flight rounds on shutdown before they are returned to the queue (default 10,000 ms). */
  readonly shutdownTimeoutMs?: number
  /** Bound on each queue operation of `schedule`, `trigger`, `status` (default 2,000 ms). */
  readonly operationTimeoutMs?: number
}

export const DEFAULT_QUEUE_NAME = "refresh"
export const DEFAULT_CONCURRENCY = 4

export const make = (
  options: RedisRefreshSchedulerOptions = {}
): Effect.Effect<
  Context.Tag.Service<RefreshScheduler.RefreshScheduler>,
  never,
  RedisConnection | Refresher.Refresher | ProfileRepository.ProfileRepository | SnapshotStore.SnapshotStore | EventLog.EventLog | Scope.Scope
> =>
  Effect.gen(function* () {
    const connection = yield* RedisConnection
    const refresher = yield* Refresher.Refresher
    const profiles = yield* ProfileRepository.ProfileRepository
    const snapshots = yield* SnapshotStore.SnapshotStore
    const events = yield* EventLog.EventLog
    const scope = yield* Effect.scope
    const { keys } = connection
    const policy = options.policy ?? RefreshPolicy.defaultRefreshPolicy
    const queueName = options.queueName ?? DEFAULT_QUEUE_NAME
    const queue = yield* makeSchedulerQueue(connection, queueName, Duration.millis(options.operationTimeoutMs ?? 2000))
    const { op } = queue

    /** First delay: core's `RefreshPolicy.initialDelayMs`, as the in-memory scheduler. */
    const initialDelayMs = (profile: Profile) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const snapshot = Option.getOrUndefined(yield* Effect.orElseSucceed(snapshots.get(profile.key), () => Option.none()))
        const fetchedAt = snapshot === undefined ? undefined : headlineFetchedAtMs(snapshot)
        return RefreshPolicy.initialDelayMs(snapshot, profile, fetchedAt, now, yield* Random.next, policy)
      })

    const schedule = (profile: Profile): Effect.Effect<void, StoreError> =>
      Effect.gen(function* () {
        yield* queue.markScheduled(profile.key)
        yield* queue.rearm(profile.key, yield* initialDelayMs(profile))
      })

    /** Adds the job unless one exists (dead letters stay parked): what every instance does on start. */
    const ensure = (profile: Profile) =>
      Effect.gen(function* () {
        const delayMs = yield* initialDelayMs(profile)
        yield* queue.markScheduled(profile.key)
        yield* queue.ensure(profile.key, delayMs)
      })

    const ensureAll = Effect.gen(function* () {
      const all = yield* profiles.list
      yield* Effect.forEach(all, (profile) => Effect.ignore(ensure(profile)), { concurrency: 8, discard: true })
    })

    // ---- one round of a job (the worker) ----------------------------------------------------------------

    const runJob = (job: Job): Effect.Effect<Decision> =>
      Effect.gen(function* () {
        const data = dataOf(job)
        const key = data.profile
        // The job's data comes from Redis: a profile that is no profile key (never written so) has nothing to refresh.
        if (!isProfileKey(key)) return { _tag: "Done" } as const
        const unscheduled = () => Effect.orElseSucceed(op("check", () => connection.client.sismember(keys.unscheduled, key)), () => 0)
        if ((yield* unscheduled()) === 1) return { _tag: "Done" } as const
        const loaded = yield* Effect.either(profiles.get(key))
        if (Either.isRight(loaded) && Option.isNone(loaded.right)) return { _tag: "Done" } as const
        const startedAt = yield* Clock.currentTimeMillis
        // A round ran since this job's last one — or, for a job that never ran, since it was queued (a public
        // request refreshed, on any instance): follow its plan, call nothing.
        let seen: Snapshot | undefined
        if (data.manual !== true && Either.isRight(loaded) && Option.isSome(loaded.right)) {
          const current = Option.getOrUndefined(yield* Effect.orElseSucceed(snapshots.get(key), () => Option.none()))
          seen = current
          if (
            current !== undefined && current.guildId === loaded.right.value.guildId &&
            current.profileVersion === loaded.right.value.version &&
            current.attemptedAtMs > (data.lastRunAtMs ?? job.timestamp) && current.nextRefreshAtMs > startedAt
          ) {
            const { manual: _manual, ...rest } = data
            return { _tag: "Reschedule", atMs: current.nextRefreshAtMs, data: { ...rest, nextRunAtMs: current.nextRefreshAtMs, parked: current.round === "parked" } } as const
          }
        }
        const round = Either.isRight(loaded) && Option.isSome(loaded.right)
          // A round another instance stores while this one waits for the lease answers this job too.
          ? yield* Effect.either(
              refresher.refreshProfile(loaded.right.value, data.manual === true ? undefined : { seenAttemptedAtMs: seen?.attemptedAtMs ?? null })
            )
          : Either.left(Either.isLeft(loaded) ? loaded.left : new StoreError({ reason: "unavailable", store: STORE, message: "no profile" }))
        const now = yield* Clock.currentTimeMillis
        const failures = Either.isRight(round) ? round.right.consecutiveFailures : data.failures + 1
        const outcome = Either.isRight(round) ? round.right.round ?? (failures > 0 ? "failed" : "ok") : "failed"
        const parked = outcome === "parked"
        const next: JobData = { profile: key, runs: data.runs + 1, failures, lastRunAtMs: now, parked }
        yield* events.emit({
          level: outcome === "ok" ? "debug" : "warn",
          type: "scheduler.job",
          profile: key,
          jobId: job.id ?? jobIdOf(key),
          outcome,
          attempt: next.runs,
          message: outcome === "ok"
            ? "scheduled refresh done"
            : outcome === "skipped"
            ? "scheduled refresh skipped: every usable source is waiting for its circuit (not counted as a failure)"
            : parked
            ? "scheduled refresh parked: no usable source (every one misconfigured); probed on a growing interval (30 s doubling to hourly) or when the profile changes"
            : `scheduled refresh failed (${failures} in a row)`
        })
        if (parked && data.parked !== true) {
          yield* events.emit({
            level: "error", type: "scheduler.dead_letter", profile: key, jobId: job.id ?? jobIdOf(key),
            message: "every source of the profile is misconfigured; parked (probed on a growing interval, 30 s doubling to hourly, and at once when the profile changes)"
          })
        }
        // Deleted or unscheduled during the round: let the job end here.
        if ((yield* unscheduled()) === 1) return { _tag: "Done" } as const
        const ttlSeconds = Either.isRight(loaded) && Option.isSome(loaded.right) ? loaded.right.value.refresh.ttlSeconds : 300
        const atMs = Either.isRight(round)
          // The refresher already decided (RefreshPolicy.decide): backoff, retry-after, ahead of expiry, parked.
          ? Math.max(now, round.right.nextRefreshAtMs)
          // The stores failed: come back after a backoff step (never dead-lettered for it).
          : now + RefreshPolicy.failureDelayMs(ttlSeconds, Math.max(1, failures), yield* Random.next, policy)
        return { _tag: "Reschedule", atMs, data: { ...next, nextRunAtMs: atMs } } as const
      })

    const worker = options.worker === false
      ? undefined
      : yield* startWorker(
          {
            queueName,
            connection: baseConnectionOf(connection),
            prefix: keys.bullPrefix,
            concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
            lockDurationMs: options.lockDurationMs ?? 30_000,
            stalledIntervalMs: options.stalledIntervalMs ?? 30_000,
            maxStalledCount: options.maxStalledCount ?? 2,
            shutdownTimeoutMs: options.shutdownTimeoutMs ?? 10_000
          },
          runJob,
          events
        )

    // Jobs must exist once Redis is reachable: at start, after a start without Redis, and after Redis lost its
    // data (the jobs went with it). Hooks run before the connection is declared up, so wait for that first.
    let ensured = false
    const ensureWhenConnected = Effect.gen(function* () {
      while (!connection.isConnected()) yield* Effect.sleep(Duration.millis(50))
      yield* ensureAll
      ensured = true
    }).pipe(Effect.timeout(Duration.minutes(1)), Effect.ignore)
    const scheduleAll = options.scheduleAllOnStart !== false
    if (scheduleAll && connection.isConnected()) yield* Effect.ignore(Effect.tap(ensureAll, () => Effect.sync(() => void (ensured = true))))
    yield* connection.onReconnect((info) =>
      info.dataLost || (scheduleAll && !ensured) ? Effect.asVoid(Effect.forkIn(ensureWhenConnected, scope)) : Effect.void
    )

    // ---- the port ----------------------------------------------------------------------------------------

    let lastStatus: RefreshScheduler.SchedulerStatus = { running: false, jobs: [], deadLetters: [], queueDepth: 0 }

    const status: Effect.Effect<RefreshScheduler.SchedulerStatus> = queue.jobs.pipe(
      Effect.map((jobs) => {
        lastStatus = {
          running: connection.isConnected() && (worker === undefined || worker.isRunning()),
          jobs,
          deadLetters: jobs.filter((job) => job.deadLettered).map((job) => job.profile),
          // Parked jobs are still queued (delayed until their next probe); BullMQ's failed ones are not.
          queueDepth: jobs.filter((job) => !job.deadLettered || job.nextRunAtMs !== undefined).length
        }
        return lastStatus
      }),
      Effect.orElseSucceed(() => ({ ...lastStatus, running: false }))
    )

    return RefreshScheduler.RefreshScheduler.of({
      schedule,
      unschedule: (key) => Effect.ignore(queue.unschedule(key)),
      trigger: (key) =>
        Effect.gen(function* () {
          const profile = yield* profiles.get(key)
          if (Option.isNone(profile)) return yield* new ProfileNotFound({ profile: key })
          yield* queue.markScheduled(key)
          yield* queue.trigger(key)
          return { nextAttemptAtMs: yield* Clock.currentTimeMillis }
        }),
      status
    })
  })

export const layer = (
  options?: RedisRefreshSchedulerOptions
): Layer.Layer<
  RefreshScheduler.RefreshScheduler,
  never,
  RedisConnection | Refresher.Refresher | ProfileRepository.ProfileRepository | SnapshotStore.SnapshotStore | EventLog.EventLog
> => Layer.scoped(RefreshScheduler.RefreshScheduler, make(options))
