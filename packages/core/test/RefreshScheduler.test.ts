import { assert, describe, it } from "@effect/vitest"
import { Effect, FastCheck, Layer, TestClock } from "effect"
import { EventLog, RefreshPolicy, RefreshScheduler } from "../src/index.js"
import { engine, profile, TestSource } from "./fixtures.js"

const T0 = Date.UTC(2026, 10, 25, 12)

/** Sets the clock before the engine (and its scheduler) starts. */
const startingAt = <R>(layer: Layer.Layer<R>) => <A, E>(body: Effect.Effect<A, E, R>) =>
  Effect.zipRight(TestClock.setTime(T0), Effect.provide(body, layer))

const refreshTimes = Effect.gen(function* () {
  const events = yield* EventLog.EventLog
  const page = yield* events.query({ type: "refresh", limit: 1000 })
  return page.events.filter((e) => e.type === "refresh.succeeded" || e.type === "refresh.failed").map((e) => Date.parse(e.ts)).reverse()
})

const gaps = (times: ReadonlyArray<number>) => times.slice(1).map((t, i) => (t - times[i]!) / 1000)

describe("RefreshPolicy", () => {
  it.prop("success spacing stays within ttl × 0.9 ± 10 %, always before expiry", [FastCheck.integer({ min: 30, max: 3600 }), FastCheck.double({ min: 0, max: 0.999999, noNaN: true })], ([ttl, r]) => {
    const delay = RefreshPolicy.successDelayMs(ttl, r)
    assert.isAtLeast(delay, Math.floor(ttl * 1000 * 0.81))
    assert.isAtMost(delay, Math.ceil(ttl * 1000 * 0.99))
    assert.isBelow(delay, ttl * 1000)
  })

  it("failure backoff doubles from the ttl, caps at 1 h and never undercuts retry-after", () => {
    assert.deepStrictEqual([1, 2, 3, 4].map((n) => RefreshPolicy.failureDelayMs(300, n, undefined)), [300_000, 600_000, 1_200_000, 2_400_000])
    assert.strictEqual(RefreshPolicy.failureDelayMs(300, 10, undefined), 3_600_000)
    assert.strictEqual(RefreshPolicy.failureDelayMs(60, 1, 90_000), 90_000)
  })
})

describe("RefreshScheduler (memory)", () => {
  it.effect("refreshes at once, then every ttl × [0.81, 0.99] with jitter", () =>
    Effect.gen(function* () {
      yield* TestClock.adjust("0 millis")
      yield* TestClock.adjust("10 minutes")
      const times = yield* refreshTimes
      assert.isAtLeast(times.length, 10)
      assert.strictEqual(times[0], T0, "first refresh immediately")
      const spacing = gaps(times)
      for (const gap of spacing) {
        assert.isAtLeast(gap, 48.6)
        assert.isAtMost(gap, 59.4)
      }
      assert.isAbove(new Set(spacing).size, 1, "jittered, not lock-step")
      const scheduler = yield* RefreshScheduler.RefreshScheduler
      const status = yield* scheduler.status
      assert.strictEqual(status.jobs.length, 1)
      assert.strictEqual(status.jobs[0]!.runs, times.length)
    }).pipe(startingAt(engine({ scheduler: {} }))))

  it.effect("backs off exponentially on failure, honours retry-after, and dead-letters", () =>
    Effect.gen(function* () {
      const script = yield* TestSource
      for (const source of ["widget", "bot", "invite"] as const) {
        script.set(source, { _tag: "fail", error: { reason: "decode", message: "bad body" } })
      }
      const scheduler = yield* RefreshScheduler.RefreshScheduler
      yield* scheduler.schedule(profile())
      yield* TestClock.adjust("0 millis")
      yield* TestClock.adjust("12 hours")
      const times = yield* refreshTimes
      const spacing = gaps(times)
      assert.deepStrictEqual(spacing.slice(0, 6), [60, 120, 240, 480, 960, 1920])
      assert.strictEqual(spacing[6], 3600, "capped at 1 h")
      assert.strictEqual(times.length, 8, "parked after 8 failures in a row")
      const status = yield* scheduler.status
      assert.deepStrictEqual(status.deadLetters, ["main"])
      const dead = yield* (yield* EventLog.EventLog).query({ type: "scheduler.dead_letter" })
      assert.strictEqual(dead.events.length, 1)
      // Scheduling the profile again re-arms it.
      for (const source of ["widget", "bot", "invite"] as const) script.set(source, { _tag: "ok", fields: { online: 1, members: 2 } })
      yield* scheduler.trigger("main")
      yield* TestClock.adjust("0 millis")
      assert.deepStrictEqual((yield* scheduler.status).deadLetters, [])
    }).pipe(startingAt(engine({ scheduler: { scheduleAllOnStart: false } }))))

  it.effect("a retry-after longer than the backoff delays the next attempt", () =>
    Effect.gen(function* () {
      const script = yield* TestSource
      for (const source of ["widget", "bot", "invite"] as const) {
        script.set(source, { _tag: "fail", error: { reason: "rate_limited", status: 429, retryAfterMs: 400_000, message: "429" } })
      }
      const scheduler = yield* RefreshScheduler.RefreshScheduler
      yield* scheduler.schedule(profile())
      yield* TestClock.adjust("0 millis")
      yield* TestClock.adjust("10 minutes")
      const times = yield* refreshTimes
      assert.strictEqual(times.length, 2)
      assert.strictEqual(gaps(times)[0], 400)
    }).pipe(startingAt(engine({ scheduler: { scheduleAllOnStart: false } }))))

  it.effect("scheduling a profile twice keeps one job", () =>
    Effect.gen(function* () {
      const scheduler = yield* RefreshScheduler.RefreshScheduler
      yield* scheduler.schedule(profile())
      yield* scheduler.schedule(profile())
      yield* TestClock.adjust("0 millis")
      yield* TestClock.adjust("30 seconds")
      assert.strictEqual((yield* refreshTimes).length, 1)
      assert.strictEqual((yield* scheduler.status).jobs.length, 1)
    }).pipe(startingAt(engine({ scheduler: { scheduleAllOnStart: false } }))))
})
