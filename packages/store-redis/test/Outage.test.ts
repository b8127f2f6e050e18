/**
 * Redis goes away under load and comes back empty (a restart without persistence): callers never see a
 * failure, the instance reports itself not ready meanwhile, says so in exactly one event per transition, and
 * on return writes back what it kept (snapshots refreshed during the outage) and re-seeds what Redis lost.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Ref } from "effect"
import { Redis } from "ioredis"
import { EventLog, ProfileRepository, RefreshScheduler, Stats, StoreHealth } from "@guildpulse/core"
import { RedisEngine, RedisHealth } from "../src/index.js"
import { countingSource, fastProfile } from "./fixtures/domain.js"
import { testMasterKeys } from "./fixtures/keys.js"
import { uniquePrefix, useRedisServer } from "./harness/useRedisServer.js"
import { waitFor } from "./harness/waitFor.js"

const server = useRedisServer()

describe("Redis outage", () => {
  it.scopedLive("stopped and restarted empty during a load of Stats.get: no failed call, state restored", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("outage")
      const source = countingSource(20)
      const context = yield* Layer.build(
        RedisEngine.layer({
          url: server().url,
          prefix,
          masterKeys: testMasterKeys,
          // No read cache: every call goes to Redis, so the outage is met on every path.
          localCacheTtlMs: 0,
          commandTimeoutMs: 500,
          scheduler: false
        }).pipe(Layer.provide(source.layer))
      )
      const stats = yield* Effect.provide(Stats.Stats, context)
      const repo = yield* Effect.provide(ProfileRepository.ProfileRepository, context)
      const health = yield* Effect.provide(RedisHealth.RedisHealth, context)
      const scheduler = yield* Effect.provide(RefreshScheduler.RefreshScheduler, context)
      const storeHealth = yield* Effect.provide(StoreHealth.StoreHealth, context)
      const events = yield* Effect.provide(EventLog.EventLog, context)

      const keys = ["alpha", "beta", "gamma"]
      // ttl 2 s: views may go stale during the test, so background refreshes can meet the outage too.
      for (const key of keys) yield* repo.put(fastProfile(key, 2), 0)
      for (const key of keys) yield* stats.get(key)
      assert.isTrue((yield* scheduler.status).running)

      const ok = yield* Ref.make(0)
      const failures = yield* Ref.make<ReadonlyArray<string>>([])
      let stop = false
      const caller = Effect.gen(function* () {
        let i = 0
        while (!stop) {
          const key = keys[i++ % keys.length]!
          yield* stats.get(key).pipe(
            Effect.matchEffect({
              onSuccess: () => Ref.update(ok, (n) => n + 1),
              onFailure: (error) => Ref.update(failures, (all) => [...all, `${error._tag}: ${error.message}`])
            })
          )
          // Pacing only (no caller spins while answers come from the process); nothing waits on it.
          yield* Effect.sleep(Duration.millis(5))
        }
      })
      const load = yield* Effect.fork(Effect.all(Array.from({ length: 6 }, () => caller), { concurrency: "unbounded", discard: true }))
      /** Waits until the callers have been answered `n` more times: the load really ran through this phase. */
      const answered = (n: number, phase: string) =>
        Effect.flatMap(Ref.get(ok), (base) => waitFor(`${n} answers ${phase}`, Effect.map(Ref.get(ok), (now) => now >= base + n)))

      yield* answered(100, "before the outage")
      yield* Effect.promise(() => server().stop())
      // The instance notices (ioredis sees the socket close) and says so.
      yield* waitFor("not ready", Effect.map(health.ready, (ready) => !ready))
      yield* answered(100, "during the outage")
      const during = {
        ready: yield* health.ready,
        storeReady: (yield* storeHealth.check).ready,
        // A forced refresh during the outage: lock, circuit and snapshot stores all answer from the process.
        refreshed: yield* stats.get("alpha", { bypassCache: true })
      }
      const restartedAt = Date.now()
      yield* Effect.promise(() => server().start())
      yield* waitFor("ready again by itself", health.ready)
      const redis = new Redis(server().url)
      yield* Effect.addFinalizer(() => Effect.promise(() => redis.quit().catch(() => "closed")))
      // Written back on return: the profiles Redis lost, and the snapshot of the outage round.
      yield* waitFor("profiles re-seeded", Effect.map(Effect.promise(() => redis.hlen(`${prefix}profiles`)), (n) => n === keys.length))
      yield* waitFor("alpha written back", Effect.map(Effect.promise(() => redis.exists(`${prefix}snapshot:alpha`)), (n) => n === 1))
      yield* answered(100, "after the outage")
      stop = true
      yield* load.await

      assert.deepStrictEqual(yield* Ref.get(failures), [], "no caller saw a failure")
      assert.isFalse(during.ready, "not ready while Redis is down")
      assert.isFalse(during.storeReady, "StoreHealth reports Redis not ready, so /readyz says not ready")
      assert.strictEqual(during.refreshed.freshness.state, "fresh", "a refresh during the outage still served fresh numbers")
      const status = yield* health.status
      assert.isTrue(status.connected)
      assert.isAtLeast(status.sinceMs, restartedAt)
      assert.isTrue((yield* scheduler.status).running)

      // Exactly one event per transition, none per request.
      const transitions = (yield* events.query({ type: "store.state", limit: 100 })).events
      assert.deepStrictEqual(transitions.map((e) => e.outcome), ["connected", "disconnected"])

      // What Redis lost is back: profiles re-seeded, snapshots written back (including the outage round).
      const profiles = yield* Effect.promise(() => redis.hkeys(`${prefix}profiles`))
      assert.deepStrictEqual([...profiles].sort(), keys)
      const alpha = yield* Effect.promise(() => redis.get(`${prefix}snapshot:alpha`))
      assert.isString(alpha)
      assert.isAtLeast(JSON.parse(alpha!).attemptedAtMs, Date.parse(during.refreshed.freshness.fetchedAt!))
    }), 120_000)

  it.scopedLive("started while Redis is down: starts not ready, and is ready and running jobs once Redis is there", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("cold-start")
      const source = countingSource(0)
      yield* Effect.promise(() => server().stop())
      const context = yield* Layer.build(
        RedisEngine.layer({ url: server().url, prefix, masterKeys: testMasterKeys, connectTimeoutMs: 300, scheduler: { operationTimeoutMs: 500 } }).pipe(
          Layer.provide(source.layer)
        )
      )
      // Built while Redis is still down: the layer did not wait for it.
      assert.isFalse(server().running())
      const health = yield* Effect.provide(RedisHealth.RedisHealth, context)
      const scheduler = yield* Effect.provide(RefreshScheduler.RefreshScheduler, context)
      const repo = yield* Effect.provide(ProfileRepository.ProfileRepository, context)
      assert.isFalse(yield* health.ready)
      assert.isFalse((yield* scheduler.status).running)
      const refused = yield* Effect.flip(repo.put(fastProfile("late", 30), 0))
      assert.strictEqual(refused._tag, "StoreError", "writes that need Redis say so")

      yield* Effect.promise(() => server().start())
      yield* waitFor("ready once Redis is there", Effect.map(Effect.all([health.ready, scheduler.status]), ([ready, status]) => ready && status.running))
      const profile = fastProfile("late", 30)
      yield* repo.put(profile, 0)
      yield* scheduler.schedule(profile)
      yield* waitFor("the worker runs jobs", Effect.sync(() => source.calls.widget > 0))
    }), 120_000)
})
