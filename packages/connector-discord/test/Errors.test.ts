/**
 * Every sandbox scenario (and a few answers the sandbox cannot give, from a scripted server) maps to the
 * right `UpstreamError` reason, status, Discord code and rate-limit details.
 */
import { createServer } from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Layer, TestClock } from "effect"
import type { UpstreamError } from "@guildpulse/core"
import { BotSource, DiscordLive, InviteSource, RateLimiter, TokenValidator, WidgetSource } from "../src/index.js"
import type { DiscordClient } from "../src/index.js"
import {
  FOREIGN_GUILD_ID,
  MALFORMED_KINDS,
  SMALL_GUILD_ID,
  SMALL_GUILD_INVITE,
  UNKNOWN_GUILD_ID,
  UNKNOWN_INVITE,
  WIDGET_DISABLED_GUILD_ID
} from "../src/sandbox/index.js"
import type { Scenario } from "../src/sandbox/index.js"
import { botToken, harness, json, quiet, RELAXED, RELAXED_CLIENT, Sandbox, sandboxStats, scriptedServer } from "./helpers.js"

const widget = WidgetSource.fetch(SMALL_GUILD_ID)
const bot = BotSource.fetch(SMALL_GUILD_ID, botToken)
const invite = InviteSource.fetch(SMALL_GUILD_INVITE)

const failure = <A, R>(effect: Effect.Effect<A, UpstreamError, R>) => Effect.flip(effect)

/** Waits (without moving time) until a fiber sleeps on the TestClock: the connector is waiting out a window. */
const waitUntilSleeping = Effect.iterate(false, {
  while: (sleeping) => !sleeping,
  body: () => Effect.zipRight(Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve))), Effect.map(TestClock.sleeps(), (s) => s.length > 0))
}).pipe(Effect.asVoid)

const withScenario = (scenario: Scenario) => Effect.flatMap(Sandbox, (s) => Effect.sync(() => s.setScenario(scenario)))

const Relaxed = (options: Parameters<typeof harness>[1] = {}) => harness({ limits: RELAXED }, { ...RELAXED_CLIENT, ...options })

describe("Discord error answers", () => {
  it.live("401 / 403 50004 / 404 10004 / 404 10006 from the fixtures", () =>
    Effect.gen(function* () {
      const disabled = yield* failure(WidgetSource.fetch(WIDGET_DISABLED_GUILD_ID))
      assert.deepInclude(disabled, { reason: "widget_disabled", status: 403, discordCode: 50004, source: "widget" })
      const unknownWidget = yield* failure(WidgetSource.fetch(UNKNOWN_GUILD_ID))
      assert.deepInclude(unknownWidget, { reason: "unknown_guild", status: 404, discordCode: 10004 })
      const foreign = yield* failure(BotSource.fetch(FOREIGN_GUILD_ID, botToken))
      assert.deepInclude(foreign, { reason: "unknown_guild", status: 404, discordCode: 10004, source: "bot" })
      const unknownInvite = yield* failure(InviteSource.fetch(UNKNOWN_INVITE))
      assert.deepInclude(unknownInvite, { reason: "unknown_invite", status: 404, discordCode: 10006, source: "invite" })
      const notASnowflake = yield* failure(WidgetSource.fetch("12345"))
      assert.deepInclude(notASnowflake, { reason: "unknown_guild" })
      assert.strictEqual(notASnowflake.status, undefined, "not sent")
    }).pipe(Effect.provide(Relaxed())))

  it.live("scenarios widget-disabled, unknown-guild, invalid-token", () =>
    Effect.gen(function* () {
      yield* withScenario({ mode: "widget-disabled", target: { guildId: SMALL_GUILD_ID } })
      assert.deepInclude(yield* failure(widget), { reason: "widget_disabled", discordCode: 50004 })
      yield* withScenario({ mode: "unknown-guild", target: { guildId: SMALL_GUILD_ID } })
      assert.deepInclude(yield* failure(widget), { reason: "unknown_guild", discordCode: 10004 })
      assert.deepInclude(yield* failure(bot), { reason: "unknown_guild", discordCode: 10004 })
      assert.deepInclude(yield* failure(invite), { reason: "unknown_invite", discordCode: 10006 })
      yield* withScenario({ mode: "healthy" })
      yield* withScenario({ mode: "invalid-token" })
      assert.deepInclude(yield* failure(bot), { reason: "unauthorized", status: 401 })
      assert.deepInclude(yield* failure(TokenValidator.validateToken(botToken)), { reason: "unauthorized", status: 401 })
      // Public calls carry no token and are unaffected.
      assert.strictEqual((yield* widget).name, "Pulse Makers")
    }).pipe(Effect.provide(Relaxed())))

  it.live("outage 500/503 (JSON) and 502/504 (a proxy's HTML page) → server_error", () =>
    Effect.gen(function* () {
      for (const status of [500, 502, 503, 504] as const) {
        yield* withScenario({ mode: "outage", params: { status } })
        const error = yield* failure(bot)
        assert.deepInclude(error, { reason: "server_error", status })
        if (status === 502 || status === 504) assert.include(error.message, "HTML error page")
      }
    }).pipe(Effect.provide(Relaxed())))

  it.live("flapping: every Nth request fails", () =>
    Effect.gen(function* () {
      yield* withScenario({ mode: "flapping", params: { failEveryN: 2, status: 502 } })
      const outcomes = yield* Effect.forEach([1, 2, 3, 4], () => Effect.either(widget))
      assert.deepStrictEqual(
        outcomes.map((o) => (o._tag === "Right" ? "ok" : o.left.reason)),
        ["ok", "server_error", "ok", "server_error"]
      )
    }).pipe(Effect.provide(Relaxed())))

  it.live("malformed 200s of every kind, on every route → decode", () =>
    Effect.gen(function* () {
      for (const kind of MALFORMED_KINDS) {
        yield* withScenario({ mode: "malformed", params: { kind } })
        for (const call of [widget, bot, invite, TokenValidator.validateToken(botToken)] as const) {
          const error = yield* failure<unknown, DiscordClient.DiscordClient>(call)
          assert.strictEqual(error.reason, "decode", `${kind}: ${error.message}`)
          assert.strictEqual(error.status, 200)
        }
      }
    }).pipe(Effect.provide(Relaxed())))

  it.live("slow beyond the attempt timeout, and a held socket → timeout", () =>
    Effect.gen(function* () {
      // A minute of latency against a 300 ms attempt timeout: the answer can only be the timeout.
      yield* withScenario({ mode: "slow", params: { latencyMs: 60_000 } })
      assert.deepInclude(yield* failure(bot), { reason: "timeout" })
      yield* withScenario({ mode: "timeout", target: { route: "widget" } })
      assert.deepInclude(yield* failure(widget), { reason: "timeout", source: "widget" })
    }).pipe(Effect.provide(Relaxed({ requestTimeoutMs: 300 }))))

  it.live("connection reset and connection refused → transport", () =>
    Effect.gen(function* () {
      yield* withScenario({ mode: "connection-reset" })
      assert.deepInclude(yield* failure(bot), { reason: "transport" })
      assert.deepInclude(yield* failure(widget), { reason: "transport" })
    }).pipe(Effect.provide(Relaxed())))

  it.live("connection refused → transport", () =>
    Effect.gen(function* () {
      const port = yield* Effect.async<number>((resume) => {
        const probe = createServer()
        probe.listen(0, "127.0.0.1", () => {
          const p = (probe.address() as { port: number }).port
          probe.close(() => resume(Effect.succeed(p)))
        })
      })
      const error = yield* failure(bot.pipe(Effect.provide(Layer.orDie(DiscordLive.layer({ baseUrl: `http://127.0.0.1:${port}/api` })))))
      assert.strictEqual(error.reason, "transport")
      assert.include(error.message, "ECONNREFUSED")
    }))
})

describe("429 answers", () => {
  // On the TestClock, shared by the sandbox and the connector: the wait is exact, whatever the machine's load.
  it.effect("a bucket 429 from the sandbox: body retry_after preferred over the rounded header, scope user", () =>
    Effect.gen(function* () {
      yield* withScenario({ mode: "rate-limited", target: { route: "guild" }, params: { retryAfterSeconds: 0.35 } })
      const error = yield* failure(bot)
      assert.deepInclude(error, { reason: "rate_limited", status: 429, retryAfterMs: 350, global: false, scope: "user" })
      // The next call waits out the announced window instead of sending into it.
      const sent = (yield* sandboxStats).totalRequests
      const again = yield* Effect.fork(failure(bot))
      yield* waitUntilSleeping
      yield* TestClock.adjust("349 millis")
      assert.isNull(again.unsafePoll(), "still waiting 1 ms before the window ends")
      assert.strictEqual((yield* sandboxStats).totalRequests, sent, "nothing sent inside the window")
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual((yield* Fiber.join(again)).reason, "rate_limited")
      const stats = yield* sandboxStats
      assert.strictEqual(stats.violations, 0)
      assert.strictEqual(stats.rateLimited, 2)
      const guard = yield* Effect.flatMap(RateLimiter.RateLimiter, (l) => l.guard)
      assert.strictEqual(guard.count, 2, "429s count as invalid requests")
    }).pipe(Effect.provide(Relaxed())))

  it.live("scope shared: classified, but not an invalid request", () =>
    Effect.gen(function* () {
      yield* withScenario({ mode: "rate-limited", target: { route: "guild" }, params: { retryAfterSeconds: 0.2, scope: "shared" } })
      assert.deepInclude(yield* failure(bot), { reason: "rate_limited", scope: "shared", retryAfterMs: 200 })
      const guard = yield* Effect.flatMap(RateLimiter.RateLimiter, (l) => l.guard)
      assert.strictEqual(guard.count, 0)
    }).pipe(Effect.provide(Relaxed())))

  it.effect("a global 429: global, scope global; the whole token waits", () =>
    Effect.gen(function* () {
      yield* withScenario({ mode: "global-rate-limit", params: { retryAfterSeconds: 0.3 } })
      assert.deepInclude(yield* failure(bot), { reason: "rate_limited", global: true, scope: "global", retryAfterMs: 300 })
      yield* withScenario({ mode: "healthy" })
      // Another guild, same token: still inside the global Retry-After window, so it waits.
      const sent = (yield* sandboxStats).totalRequests
      const other = yield* Effect.fork(BotSource.fetch("613425648685547541", botToken))
      yield* waitUntilSleeping
      yield* TestClock.adjust("299 millis")
      assert.isNull(other.unsafePoll(), "still waiting 1 ms before the window ends")
      assert.strictEqual((yield* sandboxStats).totalRequests, sent, "nothing sent inside the window")
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(other)
      assert.strictEqual((yield* sandboxStats).violations, 0)
    }).pipe(Effect.provide(Relaxed())))

  it.effect("a global Retry-After longer than maxRateLimitWaitMs: the next call is refused unsent as global, not as its bucket", () =>
    Effect.gen(function* () {
      yield* withScenario({ mode: "global-rate-limit", params: { retryAfterSeconds: 30 } })
      assert.deepInclude(yield* failure(bot), { reason: "rate_limited", global: true, scope: "global", retryAfterMs: 30_000 })
      yield* withScenario({ mode: "healthy" })
      const sent = (yield* sandboxStats).totalRequests
      const refused = yield* failure(BotSource.fetch("613425648685547541", botToken))
      assert.deepInclude(refused, { reason: "rate_limited", global: true, scope: "global", retryAfterMs: 30_000 })
      assert.include(refused.message, "announced global Retry-After")
      assert.strictEqual((yield* sandboxStats).totalRequests, sent, "nothing sent inside the window")
    }).pipe(Effect.provide(Relaxed())))

  it.scopedLive("Retry-After in seconds, in decimals, body-only, and Reset-After-only", () =>
    Effect.gen(function* () {
      const forms: ReadonlyArray<{ headers: Record<string, string>; body: unknown; expectMs: number; global: boolean }> = [
        { headers: { "retry-after": "2" }, body: { message: "You are being rate limited." }, expectMs: 2_000, global: false },
        { headers: { "retry-after": "1.25" }, body: {}, expectMs: 1_250, global: false },
        { headers: {}, body: { message: "You are being rate limited.", retry_after: 0.75, global: false }, expectMs: 750, global: false },
        { headers: { "x-ratelimit-reset-after": "0.420" }, body: {}, expectMs: 420, global: false },
        { headers: { "retry-after": "1" }, body: { retry_after: 0.6, global: true }, expectMs: 600, global: true }
      ]
      for (const form of forms) {
        const server = yield* scriptedServer((_req, res) => json(res, 429, form.body, form.headers))
        const error = yield* failure(bot.pipe(Effect.provide(Layer.merge(Layer.orDie(DiscordLive.layer({ baseUrl: `${server.url}/api` })), quiet))))
        assert.deepInclude(error, { reason: "rate_limited", retryAfterMs: form.expectMs, global: form.global }, JSON.stringify(form))
        assert.strictEqual(error.scope, form.global ? "global" : "user")
      }
    }))

  // On the TestClock (the scripted server is real, its answers carry no clock): the wait is exact.
  it.scoped("a body-only retry_after is honoured before the next send", () =>
    Effect.gen(function* () {
      const server = yield* scriptedServer((_req, res, i) =>
        i === 0
          ? json(res, 429, { message: "You are being rate limited.", retry_after: 0.4, global: false })
          : json(res, 200, { id: SMALL_GUILD_ID, name: "G", approximate_member_count: 5, approximate_presence_count: 1 })
      )
      const program = Effect.gen(function* () {
        assert.strictEqual((yield* failure(bot)).retryAfterMs, 400)
        const again = yield* Effect.fork(bot)
        yield* waitUntilSleeping
        const now = yield* Clock.currentTimeMillis
        assert.deepStrictEqual([...(yield* TestClock.sleeps())].map((wake) => wake - now), [400], "waits out the announced 400 ms")
        yield* TestClock.adjust("399 millis")
        assert.isNull(again.unsafePoll(), "still waiting 1 ms before the window ends")
        yield* TestClock.adjust("1 millis")
        assert.strictEqual((yield* Fiber.join(again)).members, 5)
      })
      yield* program.pipe(Effect.provide(Layer.merge(DiscordLive.layer({ baseUrl: `${server.url}/api` }), quiet)))
      assert.strictEqual(server.requests.length, 2)
    }))
})
