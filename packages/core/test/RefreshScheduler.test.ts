import { assert, describe, it } from "@effect/vitest"
import { Effect, FastCheck, Layer, TestClock } from "effect"
import { EventLog, Profiles, RefreshPolicy, RefreshScheduler } from "../src/index.js"
import { engine, healthy, profile, TestSource } from "./fixtures.js"

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

  it("failure backoff: min(30 s × 2^(n−1), max(ttl, 15 min)), ±20 %", () => {
    assert.deepStrictEqual([1, 2, 3, 4, 5, 6, 7, 30].map((n) => RefreshPolicy.backoffMs(300, n)), [30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000])
    assert.strictEqual(RefreshPolicy.backoffMs(3600, 12), 3_600_000, "a ttl above 15 min is the cap")
    assert.strictEqual(RefreshPolicy.failureDelayMs(300, 1, 0), 24_000)
    assert.strictEqual(RefreshPolicy.failureDelayMs(300, 1, 0.5), 30_000)
    assert.strictEqual(RefreshPolicy.failureDelayMs(300, 3, 0.999999), 144_000)
  })
})

describe("RefreshPolicy.decide", () => {
  const base: RefreshPolicy.RoundInput = {
    nowMs: 1_000_000, startedAtMs: 1_000_000, ttlSeconds: 300, previousFailures: 0, plannedAtMs: 1_000_000,
    refreshed: false, sent: true, sources: [{ _tag: "Usable", atMs: 1_000_000 }], random01: 0.5
  }
  const table: ReadonlyArray<{ readonly name: string; readonly input: Partial<RefreshPolicy.RoundInput>; readonly expect: RefreshPolicy.RoundDecision }> = [
    { name: "success: ahead of expiry, count reset", input: { refreshed: true, previousFailures: 4 }, expect: { outcome: "ok", consecutiveFailures: 0, nextAtMs: 1_270_000 } },
    {
      name: "success with a misconfigured source probed before expiry: the next round comes at that probe",
      input: { refreshed: true, sources: [{ _tag: "Usable", atMs: 1_000_000 }, { _tag: "Misconfigured", atMs: 1_054_600 }] },
      expect: { outcome: "ok", consecutiveFailures: 0, nextAtMs: 1_054_600 }
    },
    {
      name: "success with a misconfigured source probed after expiry: ahead of expiry",
      input: { refreshed: true, sources: [{ _tag: "Usable", atMs: 1_000_000 }, { _tag: "Misconfigured", atMs: 4_600_000 }] },
      expect: { outcome: "ok", consecutiveFailures: 0, nextAtMs: 1_270_000 }
    },
    { name: "first failure: 30 s", input: {}, expect: { outcome: "failed", consecutiveFailures: 1, nextAtMs: 1_030_000 } },
    { name: "fourth failure: 240 s", input: { previousFailures: 3 }, expect: { outcome: "failed", consecutiveFailures: 4, nextAtMs: 1_240_000 } },
    { name: "failure never before the usable source's retry-after", input: { sources: [{ _tag: "Usable", atMs: 1_400_000 }] }, expect: { outcome: "failed", consecutiveFailures: 1, nextAtMs: 1_400_000 } },
    {
      name: "the earliest usable source sets the time; a misconfigured one (hourly) holds nothing back",
      input: { sources: [{ _tag: "Misconfigured", atMs: 4_600_000 }, { _tag: "Usable", atMs: 1_000_000 }, { _tag: "Usable", atMs: 1_500_000 }] },
      expect: { outcome: "failed", consecutiveFailures: 1, nextAtMs: 1_030_000 }
    },
    {
      name: "skipped (nothing sent): count unchanged, at the first half-open time",
      input: { sent: false, previousFailures: 3, sources: [{ _tag: "Usable", atMs: 1_050_000 }, { _tag: "Usable", atMs: 1_020_000 }] },
      expect: { outcome: "skipped", consecutiveFailures: 3, nextAtMs: 1_020_000 }
    },
    {
      name: "skipped early (a manual refresh during an outage): the plan stays",
      input: { sent: false, previousFailures: 2, plannedAtMs: 1_060_000, sources: [{ _tag: "Usable", atMs: 1_020_000 }] },
      expect: { outcome: "skipped", consecutiveFailures: 2, nextAtMs: 1_060_000 }
    },
    {
      name: "failed early during a backoff (a manual refresh): count and plan unchanged",
      input: { previousFailures: 2, plannedAtMs: 1_060_000 },
      expect: { outcome: "failed", consecutiveFailures: 2, nextAtMs: 1_060_000 }
    },
    {
      name: "failed early while healthy: the first failure counts",
      input: { previousFailures: 0, plannedAtMs: 1_200_000 },
      expect: { outcome: "failed", consecutiveFailures: 1, nextAtMs: 1_030_000 }
    },
    {
      name: "every source misconfigured: parked until the first probe",
      input: { previousFailures: 1, sources: [{ _tag: "Misconfigured", atMs: 4_600_000 }, { _tag: "Misconfigured", atMs: 4_500_000 }, { _tag: "Unusable" }] },
      expect: { outcome: "parked", consecutiveFailures: 1, nextAtMs: 4_500_000 }
    },
    {
      name: "nothing callable at all (bot without a token only): parked, probed after the parked interval",
      input: { sources: [{ _tag: "Unusable" }] },
      expect: { outcome: "parked", consecutiveFailures: 0, nextAtMs: 4_600_000 }
    },
    { name: "cap: 15 min for a 5 min ttl", input: { previousFailures: 20 }, expect: { outcome: "failed", consecutiveFailures: 21, nextAtMs: 1_900_000 } },
    { name: "cap: the ttl when above 15 min", input: { previousFailures: 20, ttlSeconds: 3600 }, expect: { outcome: "failed", consecutiveFailures: 21, nextAtMs: 4_600_000 } }
  ]
  for (const row of table) {
    it(row.name, () => assert.deepStrictEqual(RefreshPolicy.decide({ ...base, ...row.input }), row.expect))
  }

  it.prop(
    "transient trouble never parks, and a skipped round never grows the backoff",
    [FastCheck.integer({ min: 0, max: 60 }), FastCheck.boolean(), FastCheck.integer({ min: 30, max: 3600 }), FastCheck.double({ min: 0, max: 0.999999, noNaN: true })],
    ([previousFailures, sent, ttlSeconds, random01]) => {
      const decision = RefreshPolicy.decide({ ...base, previousFailures, sent, ttlSeconds, random01, sources: [{ _tag: "Usable", atMs: base.nowMs + 5_000 }, { _tag: "Misconfigured", atMs: base.nowMs + 3_600_000 }] })
      assert.notStrictEqual(decision.outcome, "parked")
      if (!sent) assert.strictEqual(decision.consecutiveFailures, previousFailures)
      assert.isAtMost(decision.nextAtMs - base.nowMs, Math.max(ttlSeconds * 1000, 900_000) * 1.2)
      assert.isAtLeast(decision.nextAtMs - base.nowMs, 5_000)
    }
  )
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

  it.effect("transient failures back off min(30 s × 2^(n−1), 15 min) ±20 % for as long as they last, and never dead-letter", () =>
    Effect.gen(function* () {
      const script = yield* TestSource
      for (const source of ["widget", "bot", "invite"] as const) {
        script.set(source, { _tag: "fail", error: { reason: "decode", message: "bad body" } })
      }
      const scheduler = yield* RefreshScheduler.RefreshScheduler
      yield* scheduler.schedule(profile())
      yield* TestClock.adjust("0 millis")
      yield* TestClock.adjust("12 hours")
      const spacing = gaps(yield* refreshTimes)
      const expected = [30, 60, 120, 240, 480, 900, 900, 900, 900, 900]
      expected.forEach((seconds, i) => {
        assert.isAtLeast(spacing[i]!, seconds * 0.8, `gap ${i + 1}`)
        assert.isAtMost(spacing[i]!, seconds * 1.2, `gap ${i + 1}`)
      })
      assert.isAtLeast(spacing.length, 45, "still retrying after 12 hours")
      for (const gap of spacing) assert.isAtMost(gap, 1080)
      const status = yield* scheduler.status
      assert.deepStrictEqual(status.deadLetters, [])
      assert.strictEqual((yield* (yield* EventLog.EventLog).query({ type: "scheduler.dead_letter" })).events.length, 0)
    }).pipe(startingAt(engine({ scheduler: { scheduleAllOnStart: false } }))), 60_000)

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

  it.effect("widget off with a bot: one 503 from the bot brings the next attempt ~30 s later, not at the widget's hourly probe", () =>
    Effect.gen(function* () {
      const script = yield* TestSource
      script.set("widget", { _tag: "fail", error: { reason: "widget_disabled", status: 403, discordCode: 50004, message: "Widget Disabled" } })
      const scheduler = yield* RefreshScheduler.RefreshScheduler
      yield* scheduler.schedule(profile({ inviteCode: undefined }))
      yield* TestClock.adjust("0 millis")
      script.set("bot", { _tag: "fail", error: { reason: "server_error", status: 503, message: "Service Unavailable" } })
      // The next round (the widget's first probe, ~30 s after) fails on the bot.
      for (let second = 0; second < 60 && (yield* refreshTimes).length < 2; second++) yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* refreshTimes).length, 2)
      script.set("bot", healthy.bot)
      const failedAt = (yield* refreshTimes).at(-1)!
      yield* TestClock.adjust("60 seconds")
      const times = yield* refreshTimes
      const next = times.find((t) => t > failedAt)!
      assert.isAtLeast((next - failedAt) / 1000, 24)
      assert.isAtMost((next - failedAt) / 1000, 36)
      assert.deepStrictEqual((yield* scheduler.status).deadLetters, [])
    }).pipe(startingAt(engine({ scheduler: { scheduleAllOnStart: false } }))))

  it.effect("every source misconfigured: parked (listed), probed 30 s later then at a doubling interval up to hourly, and at once when the profile changes", () =>
    Effect.gen(function* () {
      const script = yield* TestSource
      for (const source of ["widget", "bot"] as const) {
        script.set(source, { _tag: "fail", error: { reason: "unknown_guild", status: 404, discordCode: 10004, message: "Unknown Guild" } })
      }
      script.set("invite", { _tag: "fail", error: { reason: "unknown_invite", status: 404, discordCode: 10006, message: "Unknown Invite" } })
      const scheduler = yield* RefreshScheduler.RefreshScheduler
      yield* scheduler.schedule(profile())
      yield* TestClock.adjust("0 millis")
      yield* TestClock.adjust("4 hours")
      assert.deepStrictEqual(gaps(yield* refreshTimes), [30, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600])
      assert.deepStrictEqual((yield* scheduler.status).deadLetters, ["main"])
      // The operator fixes the guild id: probed at once, and no longer parked.
      for (const source of ["widget", "bot", "invite"] as const) script.set(source, healthy[source])
      const profiles = yield* Profiles.Profiles
      const before = (yield* refreshTimes).length
      yield* profiles.update("main", { label: "Main (fixed)" })
      yield* TestClock.adjust("0 millis")
      assert.strictEqual((yield* refreshTimes).length, before + 1)
      assert.deepStrictEqual((yield* scheduler.status).deadLetters, [])
    }).pipe(startingAt(engine({ scheduler: { scheduleAllOnStart: false } }))))
})
