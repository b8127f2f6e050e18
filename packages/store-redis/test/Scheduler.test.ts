/**
 * The BullMQ scheduler in one process: one job per profile whatever schedules it, ahead-of-expiry spacing with
 * jitter, backoff never before retry-after, dead letters and re-arming, unschedule/trigger, and graceful
 * shutdown (finishing in-flight rounds, or handing them back when they take too long).
 *
 * BullMQ and Redis keep real time, so nothing here can run on a `TestClock`. Instead the tests never wait a
 * fixed duration: they hold rounds at a gate the test opens, and wait for what happens (a call, a job state,
 * a job's data). Spacing is checked on the delays the scheduler asked for, and on the real clock only as lower
 * bounds ("never before"), which a busy machine cannot break.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option, Scope } from "effect"
import { Queue } from "bullmq"
import { EventLog, ProfileRepository, RefreshScheduler, SnapshotStore, Stats, StatsSource, UpstreamError } from "@guildpulse/core"
import type { Profile, StatsFields } from "@guildpulse/core"
import { RedisConnection, RedisEngine, RedisProfileRepository, RedisRefreshScheduler } from "../src/index.js"
import { fastProfile, healthyFields, profileFixture, profileKey } from "./fixtures/domain.js"
import { testMasterKeys } from "./fixtures/keys.js"
import { uniquePrefix, useRedisServer } from "./harness/useRedisServer.js"

const server = useRedisServer()

type Behaviour =
  | { readonly _tag: "ok" }
  | { readonly _tag: "never" }
  | { readonly _tag: "fail"; readonly reason: UpstreamError["reason"]; readonly retryAfterMs?: number }

/** A gate: calls wait on `opened` until `open()`. */
const gate = () => {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { opened, open }
}

/**
 * A source scripted per profile, recording each call. `hold(profile)` makes the next call for that profile wait
 * until the returned gate opens; `holdAll()` holds every call until it opens.
 */
const scripted = () => {
  const behaviours = new Map<string, Behaviour>()
  const calls: Array<{ readonly profile: string; readonly atMs: number }> = []
  const started = new Set<string>()
  const holds = new Map<string, Promise<void>>()
  let all: Promise<void> | undefined
  const layer = StatsSource.layerFunction((request) =>
    Effect.suspend((): Effect.Effect<StatsFields, UpstreamError> => {
      const key = request.profile.key
      calls.push({ profile: key, atMs: Date.now() })
      started.add(key)
      const held = holds.get(key)
      holds.delete(key)
      const waits = [held, all].filter((p) => p !== undefined)
      const behaviour = behaviours.get(key) ?? { _tag: "ok" }
      const answer: Effect.Effect<StatsFields, UpstreamError> =
        behaviour._tag === "fail"
          ? Effect.fail(new UpstreamError({ source: request.source, reason: behaviour.reason, message: "scripted failure", ...(behaviour.retryAfterMs !== undefined ? { retryAfterMs: behaviour.retryAfterMs } : {}) }))
          : behaviour._tag === "never"
            ? Effect.never
            : Effect.succeed(healthyFields)
      return waits.length === 0 ? answer : Effect.zipRight(Effect.promise(() => Promise.all(waits)), answer)
    })
  )
  const callsOf = (profile: string) => calls.filter((c) => c.profile === profile)
  const hold = (profile: string) => {
    const g = gate()
    holds.set(profile, g.opened)
    return g
  }
  const holdAll = () => {
    const g = gate()
    all = g.opened
    return { open: () => { all = undefined; g.open() } }
  }
  return { behaviours, calls, callsOf, started, layer, hold, holdAll }
}

const seed = (prefix: string, profiles: ReadonlyArray<Profile>) =>
  Effect.flatMap(ProfileRepository.ProfileRepository, (repo) => Effect.forEach(profiles, (p) => repo.put(p, 0), { discard: true })).pipe(
    Effect.provide(RedisProfileRepository.layer.pipe(Layer.provide(RedisConnection.layer({ url: server().url, prefix }))))
  )

const engine = (prefix: string, source: ReturnType<typeof scripted>, scheduler: RedisRefreshScheduler.RedisRefreshSchedulerOptions = {}) =>
  RedisEngine.layer({
    url: server().url,
    prefix,
    masterKeys: testMasterKeys,
    refresher: { retry: { maxRetries: 0, baseDelayMs: 10, factor: 2, maxDelayMs: 10, maxInlineRetryAfterMs: 2000, attemptTimeoutMs: 5000 }, lockLeaseMs: 10_000, lockPollMs: 50 },
    scheduler: { stalledIntervalMs: 1000, lockDurationMs: 5000, ...scheduler }
  }).pipe(Layer.provide(source.layer))

/** A BullMQ view of the queue from outside, to check job states. */
const inspect = (prefix: string) =>
  Effect.acquireRelease(
    Effect.sync(() => new Queue(RedisRefreshScheduler.DEFAULT_QUEUE_NAME, { connection: { url: server().url }, prefix: `${prefix}bull` })),
    (queue) => Effect.promise(() => queue.close())
  )

/**
 * Waits for a condition on what BullMQ or the source did (a job state, a call). The bound is only a safety net
 * so a broken scheduler fails with a message rather than the test timeout; nothing waits for it to pass.
 */
const waitUntil = (condition: () => boolean | Promise<boolean>, safetyMs = 60_000) =>
  Effect.promise(async () => {
    const deadline = Date.now() + safetyMs
    while (Date.now() < deadline) {
      if (await condition()) return true
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return false
  })

/** The profile's job from outside: its BullMQ state and its data (runs, nextRunAtMs, …). */
const jobOf = (queue: Queue, profile: string) =>
  Effect.promise(async () => {
    const job = await queue.getJob(RedisRefreshScheduler.jobIdOf(profile))
    if (job === undefined) return undefined
    return { state: await job.getState(), data: job.data as { runs: number; failures: number; lastRunAtMs?: number; nextRunAtMs?: number }, delay: job.delay }
  })

/** Waits until the profile's job is armed again (delayed) after exactly `runs` rounds. */
const armedAfter = (queue: Queue, profile: string, runs: number) =>
  waitUntil(async () => {
    const job = await queue.getJob(RedisRefreshScheduler.jobIdOf(profile))
    return job !== undefined && (job.data as { runs: number }).runs === runs && (await job.getState()) === "delayed"
  })

const build = <A, E>(layer: Layer.Layer<A, E>) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    const context = yield* Layer.buildWithScope(layer, scope)
    return { context, close: Scope.close(scope, Exit.void) }
  })

describe("RedisRefreshScheduler", () => {
  it.scopedLive("keeps exactly one job per profile, whoever schedules it and however often", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("sched-one")
      const source = scripted()
      // Rounds wait until every schedule call is made: none can end in between and be re-armed by a late call.
      const rounds = source.holdAll()
      yield* seed(prefix, ["a", "b", "123"].map((key) => profileFixture(key)))
      const one = yield* build(engine(prefix, source))
      const two = yield* build(engine(prefix, source))
      for (const ctx of [one.context, two.context]) {
        const scheduler = yield* Effect.provide(RefreshScheduler.RefreshScheduler, ctx)
        const repo = yield* Effect.provide(ProfileRepository.ProfileRepository, ctx)
        for (const profile of yield* repo.list) {
          yield* scheduler.schedule(profile)
          yield* scheduler.schedule(profile)
        }
      }
      rounds.open()
      const queue = yield* inspect(prefix)
      for (const key of ["a", "b", "123"]) assert.isTrue(yield* armedAfter(queue, key, 1), `${key} refreshed and armed again`)
      const jobs = yield* Effect.promise(() => queue.getJobs(["active", "waiting", "delayed", "prioritized", "failed", "completed"], 0, -1))
      assert.deepStrictEqual(jobs.map((j) => j.id).sort(), ["refresh-123", "refresh-a", "refresh-b"])
      const status = yield* Effect.flatMap(RefreshScheduler.RefreshScheduler, (s) => s.status).pipe(Effect.provide(two.context))
      assert.isTrue(status.running)
      assert.deepStrictEqual(status.jobs.map((j) => j.profile), ["123", "a", "b"])
      // ttl 60 s: exactly one round each (the next is ~54 s away), whatever the number of instances and calls.
      assert.deepStrictEqual(status.jobs.map((j) => j.runs), [1, 1, 1])
      assert.strictEqual(status.queueDepth, 3)
      // No token in the vault, so a round asks widget and invite: two calls, once.
      assert.strictEqual(source.callsOf("a").length, 2, "one round, not one per instance or per schedule call")
      yield* one.close
      yield* two.close
    }), 90_000)

  it.scopedLive("a job queued before a public request refreshed the profile follows that round: the worker calls nothing", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("sched-follow")
      const source = scripted()
      const queue = yield* inspect(prefix)
      yield* seed(prefix, [profileFixture("p")])
      // A web instance queues the profile's job (no worker yet), then a visitor's request refreshes it.
      const web = yield* build(engine(prefix, source, { worker: false }))
      assert.isTrue(yield* waitUntil(async () => (await jobOf(queue, "p").pipe(Effect.runPromise))?.state === "waiting"))
      const stats = yield* Effect.provide(Stats.Stats, web.context)
      assert.strictEqual((yield* stats.get("p")).freshness.state, "fresh")
      const calls = source.callsOf("p").length
      assert.strictEqual(calls, 2, "widget and invite, once")
      const snapshot = Option.getOrThrow(yield* Effect.flatMap(SnapshotStore.SnapshotStore, (s) => s.get(profileKey("p"))).pipe(Effect.provide(web.context)))

      // The worker takes the job: it was queued before that round, so it follows the round's plan.
      const worker = yield* build(engine(prefix, source))
      assert.isTrue(yield* waitUntil(async () => {
        const job = await jobOf(queue, "p").pipe(Effect.runPromise)
        return job?.state === "delayed" && job.data.nextRunAtMs === snapshot.nextRefreshAtMs
      }), "armed at the round's next refresh")
      assert.strictEqual(source.callsOf("p").length, calls, "no second round")
      yield* worker.close
      yield* web.close
    }), 90_000)

  it.scopedLive("refreshes at once, then every ttl × 0.9 ± 10 %", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("sched-spacing")
      const source = scripted()
      const queue = yield* inspect(prefix)
      yield* seed(prefix, [fastProfile("fast", 2)])
      const first = source.hold("fast")
      const running = yield* build(engine(prefix, source))
      const snapshots = yield* Effect.provide(SnapshotStore.SnapshotStore, running.context)

      // At once: the first round is running, from a job added without delay.
      assert.isTrue(yield* waitUntil(() => source.callsOf("fast").length === 1))
      const initial = yield* jobOf(queue, "fast")
      assert.strictEqual(initial?.state, "active")
      assert.strictEqual(initial?.delay, 0)

      // The second round is held as it starts, so the job and snapshot of the first can be read.
      const second = source.hold("fast")
      first.open()
      const spacedByPolicy = (runs: number) =>
        Effect.gen(function* () {
          const snapshot = Option.getOrThrow(yield* snapshots.get(profileKey("fast")))
          const job = (yield* jobOf(queue, "fast"))!
          const delay = snapshot.nextRefreshAtMs - snapshot.attemptedAtMs
          // ttl 2 s × 0.9 × (1 ± 0.1) = 1.62–1.98 s after the round's numbers.
          assert.isAtLeast(delay, 1620, `delay ${delay} ms`)
          assert.isAtMost(delay, 1980, `delay ${delay} ms`)
          assert.strictEqual(job.data.runs, runs)
          assert.strictEqual(job.data.nextRunAtMs, Math.max(job.data.lastRunAtMs!, snapshot.nextRefreshAtMs), "armed at the refresher's time")
          return job.data.nextRunAtMs!
        })
      assert.isTrue(yield* waitUntil(() => source.callsOf("fast").length === 2), "second round started")
      const due = yield* spacedByPolicy(1)
      assert.isAtLeast(source.callsOf("fast")[1]!.atMs, due, "BullMQ ran it no earlier than asked")
      second.open()
      assert.isTrue(yield* armedAfter(queue, "fast", 2))
      yield* spacedByPolicy(2)
      const status = yield* Effect.flatMap(RefreshScheduler.RefreshScheduler, (s) => s.status).pipe(Effect.provide(running.context))
      const job = status.jobs.find((j) => j.profile === "fast")!
      assert.strictEqual(job.runs, 2)
      assert.strictEqual(job.consecutiveFailures, 0)
      assert.isAbove(job.nextRunAtMs!, job.lastRunAtMs!)
      yield* running.close
    }), 90_000)

  it.scopedLive("backs off on failure, never before retry-after, never dead-letters transient trouble; parks an all-misconfigured profile until it changes", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("sched-fail")
      const source = scripted()
      source.behaviours.set("broken", { _tag: "fail", reason: "server_error" })
      source.behaviours.set("throttled", { _tag: "fail", reason: "rate_limited", retryAfterMs: 2500 })
      source.behaviours.set("typo", { _tag: "fail", reason: "unknown_guild" })
      yield* seed(prefix, [fastProfile("broken", 1), fastProfile("throttled", 1), fastProfile("typo", 1)])
      // The same pure policy as core, scaled down: 1 s, 2 s, 4 s… without jitter.
      const policy = { lead: 0.1, jitter: 0.1, backoffBaseMs: 1000, backoffCapMs: 60_000, backoffJitter: 0, parkedProbeMs: 3_600_000 }
      const layer = RedisEngine.layer({
        url: server().url,
        prefix,
        masterKeys: testMasterKeys,
        refresher: { policy, retry: { maxRetries: 0, baseDelayMs: 10, factor: 2, maxDelayMs: 10, maxInlineRetryAfterMs: 2000, attemptTimeoutMs: 5000 }, lockLeaseMs: 10_000, lockPollMs: 50 },
        scheduler: { stalledIntervalMs: 1000, lockDurationMs: 5000, policy }
      }).pipe(Layer.provide(source.layer))
      const running = yield* build(layer)
      const scheduler = yield* Effect.provide(RefreshScheduler.RefreshScheduler, running.context)
      const events = yield* Effect.provide(EventLog.EventLog, running.context)
      const queue = yield* inspect(prefix)

      // broken: rounds at ~0 s, ~1 s, ~3 s, ~7 s — and never dead-lettered.
      assert.isTrue(yield* waitUntil(() => source.callsOf("broken").length >= 4), "still retrying")
      const broken = source.callsOf("broken").map((c) => c.atMs)
      assert.isAtLeast(broken[1]! - broken[0]!, 900)
      assert.isAtLeast(broken[2]! - broken[1]!, 1900, "exponential: the second wait doubles")
      assert.isAtLeast(broken[3]! - broken[2]!, 3900)
      const status = yield* scheduler.status
      assert.isFalse(status.deadLetters.includes("broken"))
      assert.isFalse(status.deadLetters.includes("throttled"))
      assert.strictEqual((yield* events.query({ type: "scheduler.dead_letter", profile: profileKey("broken") })).events.length, 0)

      // throttled: a 2.5 s retry-after beats the 1 s backoff.
      assert.isTrue(yield* waitUntil(() => source.callsOf("throttled").length >= 2))
      const throttled = source.callsOf("throttled").map((c) => c.atMs)
      for (let i = 1; i < throttled.length; i++) assert.isAtLeast(throttled[i]! - throttled[i - 1]!, 2500)

      // typo: every source misconfigured → parked after its first round, listed, no further calls.
      assert.deepStrictEqual(status.deadLetters, ["typo"])
      assert.strictEqual((yield* jobOf(queue, "typo"))?.state, "delayed", "parked, still queued for its hourly probe")
      assert.strictEqual(source.callsOf("typo").length, 1)
      assert.strictEqual((yield* events.query({ type: "scheduler.dead_letter", profile: profileKey("typo") })).events.length, 1)
      // The operator fixes the profile: the changed profile is probed at once and the job is no longer parked.
      source.behaviours.set("typo", { _tag: "ok" })
      const fixed = { ...fastProfile("typo", 1), version: 2 }
      yield* Effect.flatMap(ProfileRepository.ProfileRepository, (repo) => repo.put(fixed, 1)).pipe(Effect.provide(running.context))
      yield* scheduler.schedule(fixed)
      assert.isTrue(yield* waitUntil(() => source.callsOf("typo").length === 2))
      assert.isTrue(
        yield* waitUntil(async () => {
          const now = await Effect.runPromise(scheduler.status)
          return !now.deadLetters.includes("typo") && now.jobs.some((j) => j.profile === "typo" && j.consecutiveFailures === 0 && j.nextRunAtMs !== undefined)
        })
      )
      yield* running.close
    }), 90_000)

  it.scopedLive("unschedules, triggers, and refuses unknown profiles", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("sched-api")
      const source = scripted()
      yield* seed(prefix, [profileFixture("main")])
      const running = yield* build(engine(prefix, source))
      const scheduler = yield* Effect.provide(RefreshScheduler.RefreshScheduler, running.context)
      const queue = yield* inspect(prefix)
      // The first round is over once its job is armed again (a trigger during a round leaves it to that round).
      assert.isTrue(yield* armedAfter(queue, "main", 1))
      // A round asks widget and invite (no bot token in the vault).
      assert.strictEqual(source.callsOf("main").length, 2)
      const missing = yield* Effect.flip(scheduler.trigger(profileKey("nope")))
      assert.strictEqual(missing._tag, "ProfileNotFound")
      // Triggering a delayed job runs it now.
      yield* scheduler.trigger(profileKey("main"))
      assert.isTrue(yield* armedAfter(queue, "main", 2))
      assert.strictEqual(source.callsOf("main").length, 4)
      yield* scheduler.unschedule(profileKey("main"))
      assert.strictEqual(yield* jobOf(queue, "main"), undefined)
      assert.deepStrictEqual((yield* scheduler.status).jobs, [])
      yield* running.close
    }), 90_000)

  it.scopedLive("on shutdown, lets an in-flight round finish and re-arm its job", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("sched-graceful")
      const source = scripted()
      const slow = source.hold("slow")
      yield* seed(prefix, [profileFixture("slow", { sources: { widget: true, bot: false, invite: false } })])
      const scope = yield* Scope.make()
      yield* Layer.buildWithScope(engine(prefix, source, { shutdownTimeoutMs: 30_000 }), scope)
      assert.isTrue(yield* waitUntil(() => source.started.has("slow")))
      // Runs first on close (finalizers run in reverse), so the round is still held when shutdown begins.
      yield* Scope.addFinalizer(scope, Effect.sync(() => slow.open()))
      yield* Scope.close(scope, Exit.void)
      const queue = yield* inspect(prefix)
      assert.strictEqual((yield* jobOf(queue, "slow"))?.state, "delayed")
      const stored = yield* Effect.flatMap(SnapshotStore.SnapshotStore, (s) => s.get(profileKey("slow"))).pipe(
        Effect.provide(yield* Layer.build(engine(prefix, scripted(), { worker: false, scheduleAllOnStart: false })))
      )
      assert.isTrue(Option.isSome(stored), "the round completed and was stored")
    }), 90_000)

  it.scopedLive("on shutdown, hands a round that takes too long back to the queue at once", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("sched-handback")
      const source = scripted()
      // A round that never ends: close can only return by handing it back.
      source.behaviours.set("stuck", { _tag: "never" })
      yield* seed(prefix, [profileFixture("stuck", { sources: { widget: true, bot: false, invite: false } })])
      const running = yield* build(engine(prefix, source, { shutdownTimeoutMs: 300 }))
      assert.isTrue(yield* waitUntil(() => source.started.has("stuck")))
      yield* running.close
      const queue = yield* inspect(prefix)
      assert.strictEqual((yield* jobOf(queue, "stuck"))?.state, "waiting", "returned, ready for another worker")
      const stored = yield* Effect.flatMap(SnapshotStore.SnapshotStore, (s) => s.get(profileKey("stuck"))).pipe(
        Effect.provide(yield* Layer.build(engine(prefix, scripted(), { worker: false, scheduleAllOnStart: false })))
      )
      assert.isTrue(Option.isNone(stored), "the round was interrupted, not finished")
    }), 90_000)
})
