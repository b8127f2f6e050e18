/**
 * Port: keeps every profile refreshed ahead of expiry. One job per profile (scheduling again replaces it).
 * Every implementation follows `RefreshPolicy`: the job runs at the snapshot's `nextRefreshAtMs`, which the
 * `Refresher` computed — ahead of expiry after a success, capped exponential backoff after failed rounds (never
 * before a usable source may be tried, and at the earliest time one may), unchanged after skipped rounds.
 * Transient failures never dead-letter a job. Only a profile none of whose sources is usable (every one
 * misconfigured) is *parked*: listed in `deadLetters`, probed on a growing interval (30 s, doubling, up to hourly), and at once when the profile changes
 * (scheduling it again) or is triggered.
 *
 * `layerMemory` runs jobs as fibers in this process; `@guildpulse/store-redis` provides a BullMQ scheduler.
 */
import { Clock, Context, Duration, Effect, FiberMap, Layer, Option, Random } from "effect"
import { ProfileNotFound, type StoreError, type ValidationError } from "./Errors.js"
import { EventLog } from "./EventLog.js"
import type { ProfileKey } from "./Identifiers.js"
import type { Profile } from "./Profile.js"
import { ProfileRepository } from "./ProfileRepository.js"
import { Refresher } from "./Refresher.js"
import * as RefreshPolicy from "./RefreshPolicy.js"
import { SnapshotStore } from "./SnapshotStore.js"
import { headlineFetchedAtMs } from "./StatsView.js"
import * as Validation from "./Validation.js"

export interface JobStatus {
  readonly profile: string
  readonly nextRunAtMs: number | undefined
  readonly lastRunAtMs: number | undefined
  readonly consecutiveFailures: number
  readonly runs: number
  /** Parked: every source of the profile is misconfigured (still queued, for its next probe). */
  readonly deadLettered: boolean
}

export interface SchedulerStatus {
  readonly running: boolean
  readonly jobs: ReadonlyArray<JobStatus>
  readonly deadLetters: ReadonlyArray<string>
  readonly queueDepth: number
}

export class RefreshScheduler extends Context.Tag("@guildpulse/core/RefreshScheduler")<
  RefreshScheduler,
  {
    /** (Re)arms the profile's job; replaces any previous job of the same profile. */
    readonly schedule: (profile: Profile) => Effect.Effect<void, StoreError>
    readonly unschedule: (profile: ProfileKey) => Effect.Effect<void>
    /** Runs the profile's refresh soon and re-arms its job; returns when the attempt is expected. */
    readonly trigger: (
      profile: ProfileKey
    ) => Effect.Effect<{ readonly nextAttemptAtMs: number }, ProfileNotFound | ValidationError | StoreError>
    readonly status: Effect.Effect<SchedulerStatus>
  }
>() {}

export interface MemorySchedulerOptions {
  readonly policy?: RefreshPolicy.RefreshPolicyOptions
  /** Schedule every stored profile when the layer starts (default true). */
  readonly scheduleAllOnStart?: boolean
  /**
   * At start, profiles that have a snapshot but whose refresh is already overdue (the process was down past
   * their time) are spread uniformly over this window instead of all refreshing at the same instant.
   * Profiles still within their schedule keep it; profiles with nothing to show start at once. Default 0
   * (no spreading); a persistent store's engine sets it.
   */
  readonly overdueSpreadMs?: number
  /**
   * Arm the stored profiles' jobs in a background fiber, so the layer (and the first answer) does not wait
   * for thousands of them. Default false.
   */
  readonly startInBackground?: boolean
}

export const makeMemory = (options: MemorySchedulerOptions = {}) =>
  Effect.gen(function* () {
    const policy = options.policy ?? RefreshPolicy.defaultRefreshPolicy
    const wasParked = new Set<string>()
    const refresher = yield* Refresher
    const profiles = yield* ProfileRepository
    const snapshots = yield* SnapshotStore
    const events = yield* EventLog
    const fibers = yield* FiberMap.make<string>()
    const jobs = new Map<string, JobStatus>()

    /** First delay: `RefreshPolicy.initialDelayMs` (at once when nothing is fresh or the profile changed). */
    const initialDelayMs = (profile: Profile) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const snapshot = Option.getOrUndefined(yield* snapshots.get(profile.key))
        const fetchedAt = snapshot === undefined ? undefined : headlineFetchedAtMs(snapshot)
        return RefreshPolicy.initialDelayMs(snapshot, profile, fetchedAt, now, yield* Random.next, policy)
      })

    const update = (key: string, f: (job: JobStatus) => JobStatus) => {
      const job = jobs.get(key)
      if (job !== undefined) jobs.set(key, f(job))
    }

    /** The time the snapshot plans the next round for, when a round ran since `sinceMs` (e.g. a revalidation). */
    const plannedSince = (profile: Profile, sinceMs: number) =>
      Effect.map(Effect.orElseSucceed(snapshots.get(profile.key), () => Option.none()), (snapshot) =>
        Option.isSome(snapshot) && snapshot.value.guildId === profile.guildId && snapshot.value.attemptedAtMs >= sinceMs
          ? snapshot.value.nextRefreshAtMs
          : undefined)

    const loop = (profile: Profile, firstDelayMs: number): Effect.Effect<void> =>
      Effect.gen(function* () {
        let delayMs = firstDelayMs
        while (true) {
          const armedAt = yield* Clock.currentTimeMillis
          update(profile.key, (job) => ({ ...job, nextRunAtMs: armedAt + delayMs }))
          yield* Effect.sleep(Duration.millis(delayMs))
          // A round ran meanwhile (a public request revalidated, a manual refresh): follow its plan instead.
          const woke = yield* Clock.currentTimeMillis
          const planned = delayMs > 0 ? yield* plannedSince(profile, armedAt + 1) : undefined
          if (planned !== undefined && planned > woke) {
            delayMs = planned - woke
            continue
          }
          const snapshot = yield* refresher.refreshProfile(profile).pipe(Effect.option)
          const ranAt = yield* Clock.currentTimeMillis
          const failures = Option.match(snapshot, { onNone: () => 1, onSome: (s) => s.consecutiveFailures })
          const round = Option.match(snapshot, { onNone: () => "failed", onSome: (s) => s.round ?? (s.consecutiveFailures > 0 ? "failed" : "ok") })
          const parked = round === "parked"
          update(profile.key, (job) => ({
            ...job, lastRunAtMs: ranAt, runs: job.runs + 1, consecutiveFailures: failures, deadLettered: parked
          }))
          yield* events.emit({
            level: round === "ok" ? "debug" : "warn",
            type: "scheduler.job",
            profile: profile.key,
            jobId: profile.key,
            outcome: round,
            message: round === "ok"
              ? "scheduled refresh done"
              : round === "skipped"
              ? "scheduled refresh skipped: every usable source is waiting for its circuit (not counted as a failure)"
              : round === "parked"
              ? "scheduled refresh parked: no usable source (every one misconfigured); probed on a growing interval (30 s doubling to hourly) or when the profile changes"
              : `scheduled refresh failed (${failures} in a row)`
          })
          if (parked && !wasParked.has(profile.key)) {
            wasParked.add(profile.key)
            yield* events.emit({
              level: "error",
              type: "scheduler.dead_letter",
              profile: profile.key,
              jobId: profile.key,
              message: "every source of the profile is misconfigured; parked (probed on a growing interval, 30 s doubling to hourly, and at once when the profile changes)"
            })
          } else if (!parked) {
            wasParked.delete(profile.key)
          }
          delayMs = Option.match(snapshot, {
            // The store failed: try again after the first backoff step.
            onNone: () => RefreshPolicy.failureDelayMs(profile.refresh.ttlSeconds, 1, 0.5, policy),
            // The refresher already decided (RefreshPolicy.decide): backoff, retry-after, ahead of expiry, parked.
            onSome: (s) => Math.max(0, s.nextRefreshAtMs - ranAt)
          })
        }
      })

    const arm = (profile: Profile, firstDelayMs: number) =>
      Effect.gen(function* () {
        const previous = jobs.get(profile.key)
        jobs.set(profile.key, {
          profile: profile.key,
          nextRunAtMs: undefined,
          lastRunAtMs: previous?.lastRunAtMs,
          consecutiveFailures: 0,
          runs: previous?.runs ?? 0,
          deadLettered: false
        })
        yield* FiberMap.run(fibers, profile.key, loop(profile, firstDelayMs))
      })

    const schedule = (profile: Profile) => Effect.flatMap(initialDelayMs(profile), (delay) => arm(profile, delay))

    /** The first delay at start: overdue profiles with a snapshot are spread over `overdueSpreadMs`. */
    const startDelayMs = (profile: Profile) =>
      Effect.gen(function* () {
        const delay = yield* initialDelayMs(profile)
        const spreadMs = options.overdueSpreadMs ?? 0
        if (delay > 0 || spreadMs <= 0) return delay
        const snapshot = yield* snapshots.get(profile.key)
        if (Option.isNone(snapshot) || snapshot.value.guildId !== profile.guildId) return delay
        return Math.floor((yield* Random.next) * spreadMs)
      })

    if (options.scheduleAllOnStart !== false) {
      const armAll = Effect.flatMap(Effect.orElseSucceed(profiles.list, () => []), (all) =>
        Effect.forEach(all, (profile) => Effect.ignore(Effect.flatMap(startDelayMs(profile), (delay) => arm(profile, delay))), {
          discard: true
        })
      )
      // In the background, a profile created, changed or deleted meanwhile has been (un)scheduled already:
      // arm only what is still stored and not armed yet, with its current version.
      const armRemaining = Effect.flatMap(Effect.orElseSucceed(profiles.list, () => []), (all) =>
        Effect.forEach(
          all,
          (listed) =>
            Effect.ignore(
              Effect.flatMap(profiles.get(listed.key), (current) =>
                Option.isNone(current) || jobs.has(listed.key)
                  ? Effect.void
                  : Effect.flatMap(startDelayMs(current.value), (delay) => arm(current.value, delay))
              )
            ).pipe(Effect.zipLeft(Effect.yieldNow())), // leaves room to requests arriving meanwhile
          { discard: true }
        )
      )
      if (options.startInBackground === true) yield* Effect.forkScoped(armRemaining)
      else yield* armAll
    }

    return RefreshScheduler.of({
      schedule,
      unschedule: (key) => Effect.zipRight(FiberMap.remove(fibers, key), Effect.sync(() => void jobs.delete(key))),
      trigger: (key) =>
        Effect.gen(function* () {
          const profile = yield* profiles.get(yield* Validation.profileKey(key))
          if (Option.isNone(profile)) return yield* new ProfileNotFound({ profile: key })
          yield* arm(profile.value, 0)
          return { nextAttemptAtMs: yield* Clock.currentTimeMillis }
        }),
      status: Effect.sync(() => {
        const all = [...jobs.values()].sort((a, b) => a.profile.localeCompare(b.profile))
        return {
          running: true,
          jobs: all,
          deadLetters: all.filter((job) => job.deadLettered).map((job) => job.profile),
          // Parked jobs are still queued (for their next probe).
          queueDepth: all.length
        }
      })
    })
  })

export const layerMemory = (
  options?: MemorySchedulerOptions
): Layer.Layer<RefreshScheduler, never, Refresher | ProfileRepository | SnapshotStore | EventLog> =>
  Layer.scoped(RefreshScheduler, makeMemory(options))
