/**
 * The engine (core's `Engine.layerMemory`) with `DiscordLive` against the sandbox: real numbers with
 * provenance, an outage turning the view `degraded`, core's retry honouring the connector's Retry-After,
 * and no trace of the bot token in logs, spans or events.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Clock, Duration, Effect, Exit, Fiber, Layer, Logger, LogLevel, TestClock, Tracer } from "effect"
import { Engine, EventLog, RateLimitStore, Stats } from "@guildpulse/core"
import { DiscordLive } from "../src/index.js"
import {
  countsAt,
  defaultFixtures,
  FakeDiscord,
  presenceBreakdownAt,
  SANDBOX_BOT_TOKEN,
  SMALL_GUILD_ID,
  SMALL_GUILD_INVITE
} from "../src/sandbox/index.js"
import type { FakeDiscordServer } from "../src/sandbox/index.js"
import type { DiscordConfig } from "../src/index.js"
import { profileFor } from "./helpers.js"

const small = defaultFixtures.guilds.find((g) => g.id === SMALL_GUILD_ID)!

/** Where the TestClock starts: a fixed instant, so the sandbox's per-minute counts are the same on every run. */
const START_MS = Date.UTC(2026, 0, 15, 12, 0, 0)

/**
 * The engine and the sandbox share the TestClock: requests are real HTTP, time moves only when the test says so
 * (or, in `driven`, to let a retry's wait end), so nothing here depends on how busy the machine is.
 */
const testTime = Effect.gen(function* () {
  yield* TestClock.setTime(START_MS)
  const clock = yield* Effect.clock
  return { now: () => clock.unsafeCurrentTimeMillis(), advance: (ms: number) => TestClock.adjust(Duration.millis(ms)) }
})

/**
 * Runs `effect`, moving the TestClock to each wake-up that is due within a second (core's retry waits), never to
 * farther ones (attempt timeouts), so a request on the wire is never timed out by the test.
 */
const driven = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(effect)
    while (fiber.unsafePoll() === null) {
      yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
      const now = yield* Clock.currentTimeMillis
      const soon = [...(yield* TestClock.sleeps())].filter((at) => at - now <= 1_000)
      if (soon.length > 0) yield* TestClock.adjust(Duration.millis(Math.max(0, Math.min(...soon) - now)))
    }
    return yield* Fiber.join(fiber)
  })

/** Runs `body` with the engine and the connector against a fresh sandbox, with every log and span captured. */
const withEngine = <A, E>(
  body: (sandbox: FakeDiscordServer, time: Effect.Effect.Success<typeof testTime>) => Effect.Effect<A, E, Engine.Services>,
  options: Partial<DiscordConfig.DiscordOptions> = {}
) =>
  Effect.gen(function* () {
    const time = yield* testTime
    const sandbox = yield* Effect.acquireRelease(
      Effect.promise(() => FakeDiscord.start({ now: time.now })),
      (s) => Effect.promise(() => s.stop())
    )
    const logs: Array<string> = []
    const spans: Array<Tracer.Span> = []
    const baseTracer = yield* Effect.tracer
    const tracer = Tracer.make({
      span: (name, parent, context, links, startTime, kind, spanOptions) => {
        const span = baseTracer.span(name, parent, context, links, startTime, kind, spanOptions)
        spans.push(span)
        return span
      },
      context: (f, fiber) => baseTracer.context(f, fiber)
    })
    const engine = Engine.layerMemory({
      profiles: [profileFor(SMALL_GUILD_ID, { inviteCode: SMALL_GUILD_INVITE, ttlSeconds: 30 })],
      tokens: { main: SANDBOX_BOT_TOKEN },
      scheduler: false
    }).pipe(Layer.provide(DiscordLive.layer({ baseUrl: `${sandbox.url}/api`, ...options })))
    const capture = Logger.replace(
      Logger.defaultLogger,
      Logger.make((entry) => void logs.push(Logger.jsonLogger.log(entry)))
    )
    const result = yield* Effect.gen(function* () {
      const value = yield* body(sandbox, time)
      const events = (yield* (yield* EventLog.EventLog).query({ limit: 1_000 })).events
      return { value, events }
    }).pipe(
      Effect.provide(Layer.merge(engine, capture)),
      Logger.withMinimumLogLevel(LogLevel.All),
      Effect.withTracer(tracer)
    )
    return { ...result, logs, spans, sandbox }
  })

/** What an exporter ships of a span: name, attributes, events, and for a failure the rendered cause. */
const spanText = (span: Tracer.Span): string =>
  JSON.stringify(
    {
      name: span.name,
      attributes: [...span.attributes],
      events: (span as unknown as { events?: unknown }).events ?? [],
      status:
        span.status._tag === "Started" ? "open" : Exit.isSuccess(span.status.exit) ? "ok" : Cause.pretty(span.status.exit.cause)
    },
    (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)
  )

describe("engine + DiscordLive against the sandbox", () => {
  it.scoped("Stats.get gives the small guild's numbers with provenance; an outage turns it degraded", () =>
    Effect.gen(function* () {
      const { value } = yield* withEngine((sandbox, time) =>
        Effect.gen(function* () {
          const stats = yield* Stats.Stats
          const fresh = yield* stats.get("main")
          const nowMs = time.now()
          // The outage: every route answers 503 after the ttl has passed.
          yield* time.advance(31_000)
          sandbox.setScenario({ mode: "outage" })
          // core retries the 503s after its backoff: `driven` lets those waits end.
          const degraded = yield* driven(stats.get("main", { bypassCache: true }))
          return { fresh, degraded, nowMs }
        })
      )
      const { fresh, degraded, nowMs } = value
      const counts = countsAt(small, nowMs)
      assert.strictEqual(fresh.freshness.state, "fresh")
      assert.strictEqual(fresh.guild.name, "Pulse Makers")
      assert.strictEqual(fresh.counts.online, counts.presenceCount)
      assert.strictEqual(fresh.counts.members, counts.memberCount)
      assert.strictEqual(fresh.counts.boosts, small.premiumSubscriptionCount)
      assert.strictEqual(fresh.counts.boostTier, small.premiumTier)
      assert.deepStrictEqual(fresh.presence, { ...presenceBreakdownAt(small, nowMs), sampleSize: counts.presenceCount })
      assert.strictEqual(fresh.guild.iconUrl, `https://cdn.discordapp.com/icons/${SMALL_GUILD_ID}/${small.icon}.png?size=256`)
      assert.strictEqual(fresh.guild.instantInvite, `https://discord.com/invite/${SMALL_GUILD_INVITE}`)
      assert.strictEqual(fresh.provenance["online"]?.source, "widget")
      assert.strictEqual(fresh.provenance["members"]?.source, "bot")
      assert.strictEqual(fresh.provenance["name"]?.source, "bot")
      assert.strictEqual(fresh.provenance["presence"]?.source, "widget")
      assert.deepStrictEqual(fresh.sources.map((s) => [s.source, s.ok]), [["widget", true], ["bot", true], ["invite", true]])

      assert.strictEqual(degraded.freshness.state, "degraded")
      assert.include(degraded.freshness.reasons, "upstream_error")
      assert.strictEqual(degraded.counts.members, counts.memberCount, "last good numbers are served")
      assert.strictEqual(degraded.provenance["members"]?.fetchedAt, fresh.provenance["members"]?.fetchedAt)
      assert.isTrue(degraded.sources.every((s) => !s.ok && s.error === "server_error"))
    }), 20_000)

  it.scoped("core's retry waits out the Retry-After the connector reports, without violations", () =>
    Effect.gen(function* () {
      const { value, sandbox } = yield* withEngine((sandbox, time) =>
        Effect.gen(function* () {
          sandbox.setScenario({ mode: "rate-limited", target: { route: "guild" }, params: { retryAfterSeconds: 0.3 } })
          const started = time.now()
          const view = yield* driven((yield* Stats.Stats).get("main", { bypassCache: true }))
          return { view, elapsedMs: time.now() - started }
        })
      )
      const bot = value.view.sources.find((s) => s.source === "bot")
      assert.strictEqual(bot?.error, "rate_limited")
      assert.strictEqual(bot?.retryAfterSeconds, 0.3)
      const stats = sandbox.stats()
      assert.strictEqual(stats.routes.guild?.requests, 3, "one attempt and core's two retries")
      assert.strictEqual(stats.violations, 0)
      assert.isAtLeast(value.elapsedMs, 600, "each retry waited at least the announced 300 ms")
      // Widget and invite still refreshed the headline numbers.
      assert.strictEqual(value.view.provenance["online"]?.source, "widget")
    }), 20_000)

  it.scoped("the bot token never appears in logs, spans or events", () =>
    Effect.gen(function* () {
      const { logs, spans, events } = yield* withEngine(
        (sandbox, time) =>
          Effect.gen(function* () {
            const stats = yield* Stats.Stats
            yield* stats.get("main")
            for (const scenario of [
              { mode: "invalid-token" },
              { mode: "rate-limited", params: { retryAfterSeconds: 0.05 } },
              { mode: "connection-reset" },
              { mode: "malformed", params: { kind: "wrong-types" } }
            ] as const) {
              sandbox.setScenario(scenario)
              yield* time.advance(31_000)
              yield* driven(stats.get("main", { bypassCache: true }))
              sandbox.clearScenarios()
            }
          }),
        { httpClientSpans: true }
      )
      const corpus = [...logs, ...spans.map(spanText), ...events.map((e) => JSON.stringify(e))]
      assert.isAbove(logs.length, 0)
      assert.isAbove(events.filter((e) => e.type === "upstream.attempt" && e.rateLimit !== undefined).length, 0)
      assert.isAbove(events.filter((e) => e.type === "ratelimit.hit").length, 0)
      const requestSpans = spans.filter((s) => s.name === "discord.request")
      assert.isAbove(requestSpans.length, 0)
      // The platform's http.client span lists the Authorization header — redacted.
      const authorization = spans.flatMap((s) => [...s.attributes].filter(([k]) => k === "http.request.header.authorization"))
      assert.isAbove(authorization.length, 0)
      for (const [, value] of authorization) assert.strictEqual(value, "<redacted>")
      for (const text of corpus) assert.notInclude(text, SANDBOX_BOT_TOKEN)
      assert.notInclude(corpus.join("\n"), "guildpulse-bot.0000")
    }), 20_000)

  it.scopedLive("composed on the engine's own stores, the connector spends the engine's RateLimitStore", () =>
    Effect.gen(function* () {
      const sandbox = yield* Effect.acquireRelease(Effect.promise(() => FakeDiscord.start()), (s) => Effect.promise(() => s.stop()))
      const options = {
        profiles: [profileFor(SMALL_GUILD_ID, { inviteCode: SMALL_GUILD_INVITE })],
        tokens: { main: SANDBOX_BOT_TOKEN },
        scheduler: false as const
      }
      const layer = Engine.services(options).pipe(
        Layer.provideMerge(Layer.orDie(DiscordLive.layerWithStore({ baseUrl: `${sandbox.url}/api` }))),
        Layer.provideMerge(Engine.storesMemory(options)),
        Layer.provideMerge(Logger.minimumLogLevel(LogLevel.Error))
      )
      const invalid = yield* Effect.gen(function* () {
        sandbox.setScenario({ mode: "invalid-token" })
        const view = yield* (yield* Stats.Stats).get("main")
        assert.strictEqual(view.sources.find((s) => s.source === "bot")?.error, "unauthorized")
        return yield* (yield* RateLimitStore.RateLimitStore).invalidCount(600_000)
      }).pipe(Effect.provide(layer))
      assert.strictEqual(invalid, 1, "the 401 was counted in the engine's store")
    }))
})
