/**
 * The behaviour every `RateLimitStore` shares, on the real clock (a shared store may run on its server's clock,
 * so windows here are short and assertions leave room for scheduling).
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Duration, Effect, Layer } from "effect"
import { RateLimitStore } from "@guildpulse/core"

const sleep = (ms: number) => Effect.sleep(Duration.millis(ms))

export const describeRateLimitStoreContract = (name: string, makeLayer: (namespace: string) => Layer.Layer<RateLimitStore.RateLimitStore, unknown>) =>
  describe(`RateLimitStore contract: ${name}`, () => {
    let seq = 0
    const fresh = () => makeLayer(`rl${++seq}`)
    const request = (over: Partial<RateLimitStore.AcquireRequest> = {}): RateLimitStore.AcquireRequest => ({
      bucketKey: "guild:1",
      globalKey: "token:a",
      globalLimit: 1000,
      globalWindowMs: 1000,
      ...over
    })

    it.live("never grants into an exhausted bucket, and grants again after its reset", () =>
      Effect.gen(function* () {
        const store = yield* RateLimitStore.RateLimitStore
        assert.deepStrictEqual(yield* store.acquire(request()), { _tag: "Granted", remaining: undefined }, "unknown bucket")
        const now = yield* Clock.currentTimeMillis
        yield* store.observe("guild:1", { limit: 2, remaining: 1, resetAtMs: now + 400 })
        assert.deepStrictEqual(yield* store.acquire(request()), { _tag: "Granted", remaining: 0 })
        const wait = yield* store.acquire(request())
        assert.strictEqual(wait._tag, "Wait")
        if (wait._tag === "Wait") {
          assert.strictEqual(wait.reason, "bucket")
          assert.isAbove(wait.waitMs, 0)
          assert.isAtMost(wait.waitMs, 400)
        }
        yield* sleep(450)
        assert.deepStrictEqual(yield* store.acquire(request()), { _tag: "Granted", remaining: 1 }, "the bucket has reset")
      }).pipe(Effect.provide(fresh())))

    it.live("keeps the lower remaining within one reset window", () =>
      Effect.gen(function* () {
        const store = yield* RateLimitStore.RateLimitStore
        const now = yield* Clock.currentTimeMillis
        yield* store.observe("guild:1", { limit: 5, remaining: 1, resetAtMs: now + 5000 })
        yield* store.observe("guild:1", { limit: 5, remaining: 3, resetAtMs: now + 5100 })
        assert.deepStrictEqual(yield* store.acquire(request()), { _tag: "Granted", remaining: 0 })
        assert.strictEqual((yield* store.acquire(request()))._tag, "Wait")
      }).pipe(Effect.provide(fresh())))

    it.live("caps the global window per key", () =>
      Effect.gen(function* () {
        const store = yield* RateLimitStore.RateLimitStore
        const r = request({ globalLimit: 3, globalWindowMs: 500, bucketKey: "b1" })
        for (let i = 0; i < 3; i++) assert.strictEqual((yield* store.acquire(r))._tag, "Granted")
        const wait = yield* store.acquire(r)
        assert.strictEqual(wait._tag, "Wait")
        if (wait._tag === "Wait") {
          assert.strictEqual(wait.reason, "global")
          assert.isAtMost(wait.waitMs, 500)
        }
        assert.strictEqual((yield* store.acquire({ ...r, globalKey: "token:b" }))._tag, "Granted", "another key has its own window")
        yield* sleep(550)
        assert.strictEqual((yield* store.acquire(r))._tag, "Granted")
      }).pipe(Effect.provide(fresh())))

    it.live("honours blocks on the bucket and on the global key, keeping the later one", () =>
      Effect.gen(function* () {
        const store = yield* RateLimitStore.RateLimitStore
        const now = yield* Clock.currentTimeMillis
        yield* store.blockUntil("token:a", now + 300)
        yield* store.blockUntil("token:a", now + 100)
        const blocked = yield* store.acquire(request())
        assert.strictEqual(blocked._tag, "Wait")
        if (blocked._tag === "Wait") {
          assert.strictEqual(blocked.reason, "blocked")
          assert.isAbove(blocked.waitMs, 150)
          assert.isAtMost(blocked.waitMs, 300)
        }
        yield* store.blockUntil("guild:2", now + 200)
        assert.strictEqual((yield* store.acquire(request({ bucketKey: "guild:2", globalKey: "token:c" })))._tag, "Wait")
        yield* sleep(350)
        assert.strictEqual((yield* store.acquire(request()))._tag, "Granted")
      }).pipe(Effect.provide(fresh())))

    it.live("grants exactly the budget to concurrent callers", () =>
      Effect.gen(function* () {
        const store = yield* RateLimitStore.RateLimitStore
        const r = request({ globalLimit: 10, globalWindowMs: 30_000, bucketKey: "b-concurrent", globalKey: "token:concurrent" })
        const results = yield* Effect.forEach(Array.from({ length: 60 }), () => store.acquire(r), { concurrency: "unbounded" })
        assert.strictEqual(results.filter((a) => a._tag === "Granted").length, 10)
      }).pipe(Effect.provide(fresh())))

    it.live("counts invalid requests over a rolling window", () =>
      Effect.gen(function* () {
        const store = yield* RateLimitStore.RateLimitStore
        for (let i = 1; i <= 3; i++) assert.strictEqual(yield* store.recordInvalid(400), i)
        assert.strictEqual(yield* store.invalidCount(400), 3)
        yield* sleep(450)
        assert.strictEqual(yield* store.invalidCount(400), 0)
        assert.strictEqual(yield* store.recordInvalid(400), 1)
      }).pipe(Effect.provide(fresh())))
  })
