/**
 * The behaviour every `RateLimitStore` shares. Stores that read Effect's `Clock` run on the `TestClock`; a store keeping
 * time on a server (Redis) runs on its clock, so there windows are real: each "still waiting" check leaves a whole second of room, and
 * each "after the reset" check waits past the reset (a busy machine only makes that wait longer).
 */
import { assert, describe } from "@effect/vitest"
import { Clock, Effect, Layer } from "effect"
import { RateLimitStore } from "../index.js"
import { timeOf, type ContractClock } from "./ContractClock.js"

export const describeRateLimitStoreContract = (
  name: string,
  makeLayer: (namespace: string) => Layer.Layer<RateLimitStore.RateLimitStore, unknown>,
  clock: ContractClock
) =>
  describe(`RateLimitStore contract: ${name}`, () => {
    const { test, pass } = timeOf(clock)
    let seq = 0
    const fresh = () => makeLayer(`rl${++seq}`)
    const request = (over: Partial<RateLimitStore.AcquireRequest> = {}): RateLimitStore.AcquireRequest => ({
      bucketKey: "guild:1",
      globalKey: "token:a",
      globalLimit: 1000,
      globalWindowMs: 1000,
      ...over
    })

    test("never grants into an exhausted bucket, and grants again after its reset", () =>
      Effect.gen(function* () {
        const store = yield* RateLimitStore.RateLimitStore
        assert.deepStrictEqual(yield* store.acquire(request()), { _tag: "Granted", remaining: undefined }, "unknown bucket")
        yield* store.observe("guild:1", { limit: 2, remaining: 1, resetAfterMs: 1000 })
        assert.deepStrictEqual(yield* store.acquire(request()), { _tag: "Granted", remaining: 0 })
        const wait = yield* store.acquire(request())
        assert.strictEqual(wait._tag, "Wait")
        if (wait._tag === "Wait") {
          assert.strictEqual(wait.reason, "bucket")
          assert.isFalse(wait.retryAfter)
          assert.isAbove(wait.waitMs, 0)
          assert.isAtMost(wait.waitMs, 1000)
        }
        yield* pass(1050)
        assert.deepStrictEqual(yield* store.acquire(request()), { _tag: "Granted", remaining: 1 }, "the bucket has reset")
      }).pipe(Effect.provide(fresh())))

    test("keeps the lower remaining within one reset window", () =>
      Effect.gen(function* () {
        const store = yield* RateLimitStore.RateLimitStore
        yield* store.observe("guild:1", { limit: 5, remaining: 1, resetAfterMs: 5000 })
        yield* store.observe("guild:1", { limit: 5, remaining: 3, resetAfterMs: 5100 })
        assert.deepStrictEqual(yield* store.acquire(request()), { _tag: "Granted", remaining: 0 })
        assert.strictEqual((yield* store.acquire(request()))._tag, "Wait")
      }).pipe(Effect.provide(fresh())))

    test("caps the global window per key", () =>
      Effect.gen(function* () {
        const store = yield* RateLimitStore.RateLimitStore
        const r = request({ globalLimit: 3, globalWindowMs: 1000, bucketKey: "b1" })
        for (let i = 0; i < 3; i++) assert.strictEqual((yield* store.acquire(r))._tag, "Granted")
        const wait = yield* store.acquire(r)
        assert.strictEqual(wait._tag, "Wait")
        if (wait._tag === "Wait") {
          assert.strictEqual(wait.reason, "global")
          assert.isFalse(wait.retryAfter)
          assert.isAtMost(wait.waitMs, 1000)
        }
        assert.strictEqual((yield* store.acquire({ ...r, globalKey: "token:b" }))._tag, "Granted", "another key has its own window")
        yield* pass(1050)
        assert.strictEqual((yield* store.acquire(r))._tag, "Granted")
      }).pipe(Effect.provide(fresh())))

    test("honours blocks on the global key and on the bucket, keeping the longer one, and says which", () =>
      Effect.gen(function* () {
        const store = yield* RateLimitStore.RateLimitStore
        const before = yield* Clock.currentTimeMillis
        // The answer tells which block was kept, however long the calls take: the shorter one would leave less.
        yield* store.blockFor("token:a", 1000)
        yield* store.blockFor("token:a", 500)
        const blocked = yield* store.acquire(request())
        assert.strictEqual(blocked._tag, "Wait")
        if (blocked._tag === "Wait") {
          assert.strictEqual(blocked.reason, "global")
          assert.isTrue(blocked.retryAfter)
          assert.isAtLeast(blocked.waitMs, 1000 - ((yield* Clock.currentTimeMillis) - before), "the longer block")
          assert.isAtMost(blocked.waitMs, 1000)
        }
        yield* store.blockFor("guild:2", 1000)
        const bucket = yield* store.acquire(request({ bucketKey: "guild:2", globalKey: "token:c" }))
        assert.strictEqual(bucket._tag === "Wait" ? `${bucket.reason} retryAfter=${bucket.retryAfter}` : bucket._tag, "bucket retryAfter=true")
        yield* pass(1050)
        assert.strictEqual((yield* store.acquire(request()))._tag, "Granted")
        assert.strictEqual((yield* store.acquire(request({ bucketKey: "guild:2", globalKey: "token:c" })))._tag, "Granted")
      }).pipe(Effect.provide(fresh())))

    test("grants exactly the budget to concurrent callers", () =>
      Effect.gen(function* () {
        const store = yield* RateLimitStore.RateLimitStore
        const r = request({ globalLimit: 10, globalWindowMs: 30_000, bucketKey: "b-concurrent", globalKey: "token:concurrent" })
        const results = yield* Effect.forEach(Array.from({ length: 60 }), () => store.acquire(r), { concurrency: "unbounded" })
        assert.strictEqual(results.filter((a) => a._tag === "Granted").length, 10)
      }).pipe(Effect.provide(fresh())))

    test("counts invalid requests over a rolling window", () =>
      Effect.gen(function* () {
        const store = yield* RateLimitStore.RateLimitStore
        for (let i = 1; i <= 3; i++) assert.strictEqual(yield* store.recordInvalid(1000), i)
        assert.strictEqual(yield* store.invalidCount(1000), 3)
        yield* pass(1050)
        assert.strictEqual(yield* store.invalidCount(1000), 0)
        assert.strictEqual(yield* store.recordInvalid(1000), 1)
      }).pipe(Effect.provide(fresh())))
  })
