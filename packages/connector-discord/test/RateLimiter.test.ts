/**
 * Rate limiting against the running sandbox: buckets, the global budget, long waits refused without sending,
 * and the invalid-request guard. Sandbox `violations` count every request sent into an exhausted bucket or
 * inside an announced Retry-After window. The sandbox and the connector share the TestClock: requests are real
 * HTTP, waits are virtual (exact, instant, and the same on a busy machine).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import { EventLog } from "@guildpulse/core"
import { BotSource, InviteSource, RateLimiter, TokenValidator } from "../src/index.js"
import { LARGE_GUILD_ID, SMALL_GUILD_ID, SMALL_GUILD_INVITE } from "../src/sandbox/index.js"
import { botToken, harness, onTestClock, Sandbox, sandboxStats } from "./helpers.js"


describe("buckets", () => {
  it.effect(
    "a burst of 40 requests for one guild against a 5-per-1-s bucket: 8 windows, zero 429s, zero violations",
    () =>
      Effect.gen(function* () {
        const { value, elapsedMs } = yield* onTestClock(Array.from({ length: 40 }, () => BotSource.fetch(SMALL_GUILD_ID, botToken)))
        assert.strictEqual(value.length, 40)
        const stats = yield* sandboxStats
        assert.strictEqual(stats.routes.guild?.requests, 40)
        assert.strictEqual(stats.rateLimited, 0)
        assert.strictEqual(stats.violations, 0)
        // 8 windows of 5: the first opens at once, the 8th 7 windows later — never sooner.
        assert.isAtLeast(elapsedMs, 7_000)
      }).pipe(Effect.provide(harness())),
    15_000
  )

  it.live("a wait longer than maxRateLimitWaitMs fails rate_limited without sending (invite: 5 per 5 s)", () =>
    Effect.gen(function* () {
      const calls = yield* Effect.forEach(Array.from({ length: 6 }), () => Effect.either(InviteSource.fetch(SMALL_GUILD_INVITE)))
      const refused = calls.filter((c) => c._tag === "Left").map((c) => (c._tag === "Left" ? c.left : undefined))
      assert.strictEqual(refused.length, 1)
      assert.strictEqual(refused[0]?.reason, "rate_limited")
      assert.isAbove(refused[0]?.retryAfterMs ?? 0, 2_000)
      assert.include(refused[0]?.message, "not sent")
      const stats = yield* sandboxStats
      assert.strictEqual(stats.routes.invite?.requests, 5)
      assert.strictEqual(stats.rateLimited, 0)
    }).pipe(Effect.provide(harness())))
})

describe("global budget", () => {
  it.effect(
    "two guilds in parallel share one global budget per token: no 429, no violation",
    () =>
      Effect.gen(function* () {
        // Buckets alone would allow 20 requests per second; the global budget allows 6.
        const burst = (guildId: string) => Array.from({ length: 9 }, () => BotSource.fetch(guildId, botToken))
        const { elapsedMs } = yield* onTestClock([...burst(SMALL_GUILD_ID), ...burst(LARGE_GUILD_ID)])
        const stats = yield* sandboxStats
        assert.strictEqual(stats.routes.guild?.requests, 18)
        assert.strictEqual(stats.rateLimited, 0)
        assert.strictEqual(stats.violations, 0)
        // 18 requests at 6 per window: three windows, the third ≥ 2 s after the first (never sooner).
        assert.isAtLeast(elapsedMs, 2_000)
      }).pipe(
        Effect.provide(
          harness(
            { limits: { guild: { limit: 10, windowMs: 1_000 }, globalPerSecond: 6 } },
            { globalRequestsPerSecond: 6 }
          )
        )
      ),
    10_000
  )
})

describe("invalid-request guard", () => {
  // On the TestClock: the guard's rolling window (the connector's RateLimitStore reads Effect's Clock) rolls
  // over when the test moves time, not after a real pause.
  it.effect(
    "trips at the limit (non-essential calls refused unsent, token validation still goes) and recovers",
    () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const limiter = yield* RateLimiter.RateLimiter
        const events = yield* EventLog.EventLog
        sandbox.setScenario({ mode: "invalid-token" })
        for (let i = 0; i < 3; i++) assert.strictEqual((yield* Effect.flip(BotSource.fetch(SMALL_GUILD_ID, botToken))).reason, "unauthorized")
        assert.deepInclude(yield* limiter.guard, { tripped: true, count: 3 })

        const before = sandbox.stats().totalRequests
        const refused = yield* Effect.flip(BotSource.fetch(SMALL_GUILD_ID, botToken))
        assert.deepInclude(refused, { reason: "rate_limited", scope: "guard" })
        assert.isAbove(refused.retryAfterMs ?? 0, 0)
        assert.strictEqual(sandbox.stats().totalRequests, before, "refused without sending")
        // Essential: an operator validating a token still gets Discord's answer.
        assert.strictEqual((yield* Effect.flip(TokenValidator.validateToken(botToken))).reason, "unauthorized")
        assert.strictEqual(sandbox.stats().totalRequests, before + 1)

        sandbox.clearScenarios()
        yield* TestClock.adjust("1300 millis")
        assert.strictEqual((yield* BotSource.fetch(SMALL_GUILD_ID, botToken)).name, "Pulse Makers")
        assert.deepInclude(yield* limiter.guard, { tripped: false })

        const guardEvents = (yield* events.query({ type: "ratelimit.guard" })).events.map((e) => e.outcome).reverse()
        assert.deepStrictEqual(guardEvents, ["tripped", "recovered"])
      }).pipe(
        Effect.provide(
          harness({}, { invalidRequestLimit: 3, invalidRequestWindowMs: 1_200 }).pipe(Layer.provideMerge(EventLog.layerMemory()))
        )
      ),
    10_000
  )
})
