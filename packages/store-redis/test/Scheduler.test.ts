/**
 * The BullMQ scheduler in one process: one job per profile whatever schedules it, ahead-of-expiry spacing with
 * jitter, backoff never before retry-after, dead letters and re-arming, unschedule/trigger, and graceful
 * shutdown (finishing in-flight rounds, or handing them back when they take too long).
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Layer, Option, Scope } from "effect"
import { Queue } from "bullmq"
import { EventLog, ProfileRepository, RefreshScheduler, SnapshotStore, StatsSource, UpstreamError } from "@guildpulse/core"
import type { Profile, StatsFields } from "@guildpulse/core"
import { RedisConnection, RedisEngine, RedisProfileRepository, RedisRefreshScheduler } from "../src/index.js"
import { fastProfile, healthyFields, profileFixture } from "./fixtures/domain.js"
import { testMasterKeys } from "./fixtures/keys.js"
import { uniquePrefix, useRedisServer } from "./harness/useRedisServer.js"

const server = useRedisServer()

type Behaviour =
  | { readonly _tag: "ok"; readonly delayMs?: number }
  | { readonly _tag: "fail"; readonly reason: UpstreamError["reason"]; readonly retryAfterMs?: number }

/** A source scripted per profile, recording each call. */
const scripted = () => {
  const behaviours = new Map<string, Behaviour>()
  const calls: Array<{ readonly profile: string; readonly atMs: number }> = []
  const started = new Set<string>()
  const layer = StatsSource.layerFunction((request) =>
    Effect.suspend((): Effect.Effect<StatsFields, UpstreamError> => {
      const key = request.profile.key
      calls.push({ profile: key, atMs: Date.now() })
      started.add(key)
      const behaviour = behaviours.get(key) ?? { _tag: "ok" }
      if (behaviour._tag === "fail") {
        return Effect.fail(new UpstreamError({ source: request.source, reason: behaviour.reason, message: "scripted failure", ...(behaviour.retryAfterMs !== undefined ? { retryAfterMs: behaviour.retryAfterMs } : {}) }))
      }
      return Effect.as(Effect.sleep(Duration.millis(behaviour.delayMs ?? 0)), healthyFields)
    })
  )
  const callsOf = (profile: string) => calls.filter((c) => c.profile === profile)
  return { behaviours, calls, callsOf, started, layer }
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

const waitUntil = (condition: () => boolean | Promise<boolean>, timeoutMs: number) =>
  Effect.promise(async () => {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      if (await condition()) return true
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    return false
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
      assert.isTrue(yield* waitUntil(() => new Set(source.calls.map((c) => c.profile)).size === 3, 10_000), "every profile refreshed")
      const queue = yield* inspect(prefix)
      const jobs = yield* Effect.promise(() => queue.getJobs(["active", "waiting", "delayed", "prioritized", "failed", "completed"], 0, -1))
      assert.deepStrictEqual(jobs.map((j) => j.id).sort(), ["refresh-123", "refresh-a", "refresh-b"])
      const status = yield* Effect.flatMap(RefreshScheduler.RefreshScheduler, (s) => s.status).pipe(Effect.provide(two.context))
      assert.isTrue(status.running)
      assert.deepStrictEqual(status.jobs.map((j) => j.profile), ["123", "a", "b"])
      assert.strictEqual(status.queueDepth, 3)
      // ttl 60 s: exactly one round each, whatever the number of instances and schedule calls.
      yield* Effect.sleep(Duration.millis(500))
      // No token in the vault, so a round asks widget and invite: two calls, once.
      assert.strictEqual(source.callsOf("a").length, 2, "one round, not one per instance or per schedule call")
      yield* one.close
      yield* two.close
    }), 30_000)

  it.scopedLive("refreshes at once, then every ttl × 0.9 ± 10 %", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("sched-spacing")
      const source = scripted()
      yield* seed(prefix, [fastProfile("fast", 2)])
      const running = yield* build(engine(prefix, source))
      yield* Effect.sleep(Duration.millis(5000))
      const times = source.callsOf("fast").map((c) => c.atMs)
      assert.isAtLeast(times.length, 3)
      for (let i = 1; i < times.length; i++) {
        const gap = times[i]! - times[i - 1]!
        // ttl 2 s × 0.9 × (1 ± 0.1) = 1.62–1.98 s; a skipped interval would be ≥ 3.24 s.
        assert.isAtLeast(gap, 1600, `gap ${gap} ms`)
        assert.isAtMost(gap, 3100, `gap ${gap} ms`)
      }
      const status = yield* Effect.flatMap(RefreshScheduler.RefreshScheduler, (s) => s.status).pipe(Effect.provide(running.context))
      const job = status.jobs.find((j) => j.profile === "fast")!
      assert.strictEqual(job.runs, times.length)
      assert.strictEqual(job.consecutiveFailures, 0)
      assert.isAbove(job.nextRunAtMs ?? 0, Date.now() - 100)
      yield* running.close
    }), 30_000)

  it.scopedLive("backs off on failure, never before retry-after, dead-letters, and is re-armed by trigger", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("sched-fail")
      const source = scripted()
      source.behaviours.set("broken", { _tag: "fail", reason: "server_error" })
      source.behaviours.set("throttled", { _tag: "fail", reason: "rate_limited", retryAfterMs: 2500 })
      yield* seed(prefix, [fastProfile("broken", 1), fastProfile("throttled", 1)])
      const running = yield* build(engine(prefix, source, { policy: { lead: 0.1, jitter: 0.1, maxBackoffMs: 60_000, deadLetterAfter: 3 } }))
      const scheduler = yield* Effect.provide(RefreshScheduler.RefreshScheduler, running.context)
      const events = yield* Effect.provide(EventLog.EventLog, running.context)

      // broken: rounds at ~0 s, ~1 s (ttl), ~3 s (2 × ttl), then parked.
      assert.isTrue(
        yield* waitUntil(async () => (await Effect.runPromise(scheduler.status)).deadLetters.includes("broken"), 8000),
        "dead-lettered after 3 failed rounds"
      )
      const broken = source.callsOf("broken").map((c) => c.atMs)
      assert.strictEqual(broken.length, 3)
      assert.isAtLeast(broken[1]! - broken[0]!, 900)
      assert.isAtLeast(broken[2]! - broken[1]!, 1900, "exponential: the second wait doubles")
      const deadEvents = yield* events.query({ type: "scheduler.dead_letter", profile: "broken" })
      assert.strictEqual(deadEvents.events.length, 1)

      // throttled: a 2.5 s retry-after beats the 1 s backoff.
      const throttled = source.callsOf("throttled").map((c) => c.atMs)
      assert.isAtLeast(throttled.length, 2)
      for (let i = 1; i < throttled.length; i++) assert.isAtLeast(throttled[i]! - throttled[i - 1]!, 2400)

      // Parked means parked…
      yield* Effect.sleep(Duration.millis(1200))
      assert.strictEqual(source.callsOf("broken").length, 3)
      // …until triggered (Discord is back): one round at once, job alive again.
      source.behaviours.set("broken", { _tag: "ok" })
      const { nextAttemptAtMs } = yield* scheduler.trigger("broken")
      assert.isAtMost(nextAttemptAtMs, Date.now())
      assert.isTrue(yield* waitUntil(() => source.callsOf("broken").length > 3, 5000))
      assert.isTrue(
        yield* waitUntil(async () => {
          const status = await Effect.runPromise(scheduler.status)
          return !status.deadLetters.includes("broken") && status.jobs.some((j) => j.profile === "broken" && j.consecutiveFailures === 0 && j.nextRunAtMs !== undefined)
        }, 5000)
      )
      yield* running.close
    }), 40_000)

  it.scopedLive("unschedules, triggers, and refuses unknown profiles", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("sched-api")
      const source = scripted()
      yield* seed(prefix, [profileFixture("main")])
      const running = yield* build(engine(prefix, source))
      const scheduler = yield* Effect.provide(RefreshScheduler.RefreshScheduler, running.context)
      // A round asks widget and invite (no bot token in the vault).
      assert.isTrue(yield* waitUntil(() => source.callsOf("main").length === 2, 5000))
      const missing = yield* Effect.flip(scheduler.trigger("nope"))
      assert.strictEqual(missing._tag, "ProfileNotFound")
      // Triggering a delayed job runs it now.
      yield* scheduler.trigger("main")
      assert.isTrue(yield* waitUntil(() => source.callsOf("main").length === 4, 5000))
      yield* scheduler.unschedule("main")
      assert.isTrue(yield* waitUntil(async () => (await Effect.runPromise(scheduler.status)).jobs.length === 0, 5000))
      yield* running.close
    }), 30_000)

  it.scopedLive("on shutdown, lets an in-flight round finish and re-arm its job", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("sched-graceful")
      const source = scripted()
      source.behaviours.set("slow", { _tag: "ok", delayMs: 800 })
      yield* seed(prefix, [profileFixture("slow", { sources: { widget: true, bot: false, invite: false } })])
      const running = yield* build(engine(prefix, source, { shutdownTimeoutMs: 5000 }))
      assert.isTrue(yield* waitUntil(() => source.started.has("slow"), 5000))
      yield* running.close
      const queue = yield* inspect(prefix)
      assert.strictEqual(yield* Effect.promise(() => queue.getJobState(RedisRefreshScheduler.jobIdOf("slow"))), "delayed")
      const stored = yield* Effect.flatMap(SnapshotStore.SnapshotStore, (s) => s.get("slow")).pipe(
        Effect.provide(yield* Layer.build(engine(prefix, scripted(), { worker: false, scheduleAllOnStart: false })))
      )
      assert.isTrue(Option.isSome(stored), "the round completed and was stored")
    }), 30_000)

  it.scopedLive("on shutdown, hands a round that takes too long back to the queue at once", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("sched-handback")
      const source = scripted()
      source.behaviours.set("stuck", { _tag: "ok", delayMs: 4000 })
      yield* seed(prefix, [profileFixture("stuck", { sources: { widget: true, bot: false, invite: false } })])
      const running = yield* build(engine(prefix, source, { shutdownTimeoutMs: 300 }))
      assert.isTrue(yield* waitUntil(() => source.started.has("stuck"), 5000))
      const startedAt = Date.now()
      yield* running.close
      assert.isBelow(Date.now() - startedAt, 2500, "did not wait for the 4 s round")
      const queue = yield* inspect(prefix)
      assert.strictEqual(yield* Effect.promise(() => queue.getJobState(RedisRefreshScheduler.jobIdOf("stuck"))), "waiting", "returned, ready for another worker")
    }), 30_000)
})
