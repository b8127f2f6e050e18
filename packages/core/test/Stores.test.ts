import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Random, TestClock } from "effect"
import { EventLog, Lock, RateLimitStore } from "../src/index.js"
import { profileKey } from "./fixtures.js"

describe("Lock (memory)", () => {
  it.effect("is exclusive, expires, increases the fencing token, and only the owner releases", () =>
    Effect.gen(function* () {
      const lock = yield* Lock.Lock
      const first = yield* lock.acquire("k", 1000)
      assert.isTrue(Option.isSome(first))
      assert.isTrue(Option.isNone(yield* lock.acquire("k", 1000)))
      yield* TestClock.adjust("1000 millis")
      const second = yield* lock.acquire("k", 1000)
      assert.isTrue(Option.isSome(second))
      if (Option.isSome(first) && Option.isSome(second)) {
        assert.isAbove(second.value.fencing, first.value.fencing)
        assert.isFalse(yield* lock.release(first.value), "an expired owner cannot release the new lease")
        assert.isTrue(Option.isSome(yield* lock.extend(second.value, 5000)))
        assert.isTrue(yield* lock.release(second.value))
      }
      assert.isTrue(Option.isSome(yield* lock.acquire("k", 1000)))
    }).pipe(Effect.provide(Lock.layerMemory)))

  it.effect("makes lease tokens from Effect's Clock and Random", () =>
    Effect.gen(function* () {
      const lock = yield* Lock.Lock
      yield* TestClock.setTime(36 ** 4)
      const expected = (yield* Effect.withRandom(Random.next, Random.make("lock-seed"))).toString(36).slice(2, 10)
      const lease = Option.getOrThrow(yield* Effect.withRandom(lock.acquire("k", 1000), Random.make("lock-seed")))
      assert.match(lease.token, new RegExp(`^10000-[0-9a-z]+-${expected}$`))
      assert.strictEqual(lease.expiresAtMs, 36 ** 4 + 1000)
    }).pipe(Effect.provide(Lock.layerMemory)))
})

describe("RateLimitStore (memory)", () => {
  const request = { bucketKey: "guild:1", globalKey: "token:a", globalLimit: 3, globalWindowMs: 1000 }
  it.effect("never grants into an exhausted bucket, and honours blocks and the global window", () =>
    Effect.gen(function* () {
      const store = yield* RateLimitStore.RateLimitStore
      assert.strictEqual((yield* store.acquire(request))._tag, "Granted")
      yield* store.observe("guild:1", { limit: 2, remaining: 1, resetAfterMs: 500 })
      assert.strictEqual((yield* store.acquire(request))._tag, "Granted")
      const wait = yield* store.acquire(request)
      assert.deepStrictEqual(wait, { _tag: "Wait", waitMs: 500, reason: "bucket", retryAfter: false })
      yield* TestClock.adjust("500 millis")
      assert.strictEqual((yield* store.acquire(request))._tag, "Granted", "the bucket has reset")
      const global = yield* store.acquire(request)
      assert.deepStrictEqual(global, { _tag: "Wait", waitMs: 500, reason: "global", retryAfter: false }, "3 per second per token")
      yield* TestClock.adjust("500 millis")
      yield* store.blockFor("token:a", 2000)
      yield* store.blockFor("guild:1", 3000)
      assert.deepStrictEqual(yield* store.acquire(request), { _tag: "Wait", waitMs: 3000, reason: "bucket", retryAfter: true }, "the longer block")
      yield* TestClock.adjust("1 second")
      yield* store.blockFor("token:a", 2500)
      assert.deepStrictEqual(yield* store.acquire(request), { _tag: "Wait", waitMs: 2500, reason: "global", retryAfter: true })
    }).pipe(Effect.provide(RateLimitStore.layerMemory)))

  it.effect("counts invalid requests over a rolling window", () =>
    Effect.gen(function* () {
      const store = yield* RateLimitStore.RateLimitStore
      for (let i = 0; i < 3; i++) yield* store.recordInvalid(600_000)
      yield* TestClock.adjust("5 minutes")
      yield* store.recordInvalid(600_000)
      assert.strictEqual(yield* store.invalidCount(600_000), 4)
      yield* TestClock.adjust("5 minutes")
      assert.strictEqual(yield* store.invalidCount(600_000), 1)
    }).pipe(Effect.provide(RateLimitStore.layerMemory)))
})

describe("EventLog (memory)", () => {
  it.effect("filters by profile, type prefix, level and time, pages with a cursor, and keeps the newest", () =>
    Effect.gen(function* () {
      const log = yield* EventLog.EventLog
      for (let i = 0; i < 12; i++) {
        yield* log.emit({ level: i % 2 === 0 ? "info" : "warn", type: i % 3 === 0 ? "refresh.failed" : "refresh.succeeded", profile: i < 6 ? "a" : "b", message: `e${i}` })
        yield* TestClock.adjust("1 second")
      }
      const a = yield* log.query({ profile: profileKey("a") })
      assert.deepStrictEqual(a.events.map((e) => e.message), ["e5", "e4", "e3", "e2"], "e0 and e1 fell out of the ring")
      const warn = yield* log.query({ level: "warn", type: "refresh" })
      assert.isTrue(warn.events.every((e) => e.level === "warn"))
      const page1 = yield* log.query({ limit: 5 })
      assert.strictEqual(page1.events.length, 5)
      assert.isTrue(Option.isSome(page1.nextCursor))
      const page2 = yield* log.query({ limit: 5, cursor: Option.getOrThrow(page1.nextCursor) })
      assert.strictEqual(page2.events[0]?.message, "e6")
      const since = yield* log.query({ sinceMs: 10_000 })
      assert.deepStrictEqual(since.events.map((e) => e.message), ["e11", "e10"])
      // Capacity 10: the two oldest are gone.
      const all = yield* log.query({ limit: 100 })
      assert.strictEqual(all.events.length, 10)
      assert.strictEqual(all.events.at(-1)?.message, "e2")
    }).pipe(Effect.provide(EventLog.layerMemory(10))))
})
