/**
 * The engine (core's `Engine.layerMemory`) with `DiscordLive` against the sandbox: real numbers with
 * provenance, an outage turning the view `degraded`, core's retry honouring the connector's Retry-After,
 * and no trace of the bot token in logs, spans or events.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Clock, Duration, Effect, Exit, Layer, Logger, LogLevel, Tracer } from "effect"
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

/** Wall clock plus an adjustable shift, shared by the engine and the sandbox (HTTP needs real time). */
const shiftedClock = () => {
  let shiftMs = 0
  const base = Clock.make()
  const clock: Clock.Clock = {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => base.unsafeCurrentTimeMillis() + shiftMs,
    unsafeCurrentTimeNanos: () => base.unsafeCurrentTimeNanos() + BigInt(shiftMs) * 1_000_000n,
    currentTimeMillis: Effect.sync(() => base.unsafeCurrentTimeMillis() + shiftMs),
    currentTimeNanos: Effect.sync(() => base.unsafeCurrentTimeNanos() + BigInt(shiftMs) * 1_000_000n),
    sleep: (duration) => base.sleep(duration)
  }
  return { clock, now: () => Date.now() + shiftMs, advance: (ms: number) => void (shiftMs += ms) }
}

/** Runs `body` with the engine and the connector against a fresh sandbox, with every log and span captured. */
const withEngine = <A, E>(
  body: (sandbox: FakeDiscordServer, time: ReturnType<typeof shiftedClock>) => Effect.Effect<A, E, Engine.Services>,
  options: Partial<DiscordConfig.DiscordOptions> = {}
) =>
  Effect.gen(function* () {
    const time = shiftedClock()
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
      Effect.withTracer(tracer),
      Effect.withClock(time.clock)
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
  it.scopedLive("Stats.get gives the small guild's numbers with provenance; an outage turns it degraded", () =>
    Effect.gen(function* () {
      const { value } = yield* withEngine((sandbox, time) =>
        Effect.gen(function* () {
          const stats = yield* Stats.Stats
          const fresh = yield* stats.get("main")
          const nowMs = time.now()
          // The outage: every route answers 503 after the ttl has passed.
          time.advance(31_000)
          sandbox.setScenario({ mode: "outage" })
          const degraded = yield* stats.get("main", { bypassCache: true })
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

  it.scopedLive("core's retry waits out the Retry-After the connector reports, without violations", () =>
    Effect.gen(function* () {
      const { value, sandbox } = yield* withEngine((sandbox) =>
        Effect.gen(function* () {
          sandbox.setScenario({ mode: "rate-limited", target: { route: "guild" }, params: { retryAfterSeconds: 0.3 } })
          const started = Date.now()
          const view = yield* (yield* Stats.Stats).get("main", { bypassCache: true })
          return { view, elapsedMs: Date.now() - started }
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

  it.scopedLive("the bot token never appears in logs, spans or events", () =>
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
              time.advance(31_000)
              yield* stats.get("main", { bypassCache: true })
              sandbox.clearScenarios()
            }
            yield* Effect.sleep(Duration.millis(60))
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
