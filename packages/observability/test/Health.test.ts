import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import { Engine, EventLog, ProfileRepository, Refresher, SnapshotStore, Stats, StoreError } from "@guildpulse/core"
import { Health } from "../src/Health.js"
import * as HealthModule from "../src/Health.js"
import * as Observability from "../src/Observability.js"
import { ObservabilityHttp } from "../src/ObservabilityHttp.js"
import { engine, layerScripted, profile, T0, TestSource, profileKey } from "./fixtures.js"

const app = (options: Parameters<typeof engine>[0] = {}) =>
  Observability.layer({ alerts: false, digest: false, recorder: false }).pipe(Layer.provideMerge(engine(options)))

describe("Health", () => {
  it.effect("reports freshness, last success/error, circuits, error rate and p50/p95, fallback ratio, headroom, job and token", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const repo = yield* ProfileRepository.ProfileRepository
      yield* repo.put({ ...profile(), version: 2, token: { present: true, status: "valid", expiresAt: new Date(T0 + 3 * 86_400_000).toISOString() } }, 1)
      const script = yield* TestSource
      const refresher = yield* Refresher.Refresher
      const stats = yield* Stats.Stats
      // Four rounds: widget answers in 100, 200, 300, 400 ms; invite fails (not retried) in two of them.
      for (let i = 1; i <= 4; i++) {
        script.set("widget", { _tag: "ok", fields: { online: 100 + i }, delayMs: i * 100 })
        script.set("invite", i % 2 === 0 ? { _tag: "fail", error: { reason: "decode", message: "unexpected body" } } : { _tag: "ok", fields: { members: 1490 } })
        yield* Effect.fork(refresher.refresh(profileKey("main")))
        yield* TestClock.adjust("1 second")
      }
      yield* stats.get("main")
      yield* stats.get("main")
      // Two minutes later (past the 60 s ttl) a round fails entirely: the data is served as degraded.
      yield* TestClock.adjust("2 minutes")
      script.setAll({ _tag: "fail", error: { reason: "decode", message: "unexpected body" } })
      yield* refresher.refresh(profileKey("main"))
      yield* stats.get("main")
      // What the Discord connector emits per HTTP call: rate-limit headers (not counted as a second call).
      yield* (yield* EventLog.EventLog).emit({
        level: "debug", type: "upstream.request", profile: "main", source: "bot", outcome: "ok", durationMs: 50, status: 200,
        rateLimit: { bucket: "guild:123", limit: 10, remaining: 2, resetAfterMs: 1000 }, message: "GET /guilds/{guild.id} → 200 in 50 ms"
      })
      const report = yield* (yield* Health).report()
      assert.strictEqual(report.ready, true)
      assert.strictEqual(report.profiles.length, 1)
      const main = report.profiles[0]!
      assert.strictEqual(main.profile, "main")
      const failedAt = new Date(T0 + 124_000).toISOString()
      assert.strictEqual(main.freshness.state, "degraded")
      assert.strictEqual(main.lastSuccessAt, new Date(T0 + 3_400).toISOString())
      assert.deepStrictEqual(main.lastError, { reason: "decode", message: "unexpected body", at: failedAt })
      const widget = main.sources.find((s) => s.source === "widget")!
      // 0 (the failure), 100, 200, 300, 400 ms: mean 200, nearest-rank p50 = 200, p95 = 400.
      assert.deepStrictEqual(widget.window, { requests: 5, errors: 1, errorRate: 0.2, meanMs: 200, p50Ms: 200, p95Ms: 400 })
      assert.deepStrictEqual(widget.circuit, { state: "closed", since: null, retryAt: null })
      const invite = main.sources.find((s) => s.source === "invite")!
      assert.deepStrictEqual([invite.window.requests, invite.window.errors, invite.window.errorRate], [5, 3, 0.6])
      assert.deepStrictEqual(invite.last, { ok: false, at: failedAt, error: "decode", durationMs: 0 })
      assert.strictEqual(main.sources.find((s) => s.source === "bot")!.window.requests, 5, "the connector's per-call event is not a second call")
      assert.deepStrictEqual(main.served, { total: 3, fallback: 1, ratio: 1 / 3, byState: { fresh: 2, degraded: 1 } })
      assert.strictEqual(main.fallbackRatio, 1 / 3)
      assert.strictEqual(main.rateLimit.headroom, 0.2)
      assert.strictEqual(main.token.status, "valid")
      assert.strictEqual(main.token.daysUntilExpiry, 2.9)
      assert.strictEqual(main.job.scheduled, false)
      assert.strictEqual(main.status, "degraded")
      assert.includeMembers([...main.reasons], ["degraded_data", "error_rate:invite", "token_expiring"])
      assert.strictEqual(report.status, "degraded")
      // An hour later the windows are empty again.
      yield* TestClock.adjust("61 minutes")
      const later = (yield* (yield* Health).report()).profiles[0]!
      assert.strictEqual(later.sources.find((s) => s.source === "widget")!.window.requests, 0)
      assert.strictEqual(later.fallbackRatio, null)
    }).pipe(Effect.provide(app())))

  it.effect("a profile without data is down; circuits and dead letters show; keys see only their profiles", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const script = yield* TestSource
      yield* (yield* Refresher.Refresher).refresh(profileKey("second"))
      script.setAll({ _tag: "fail", error: { reason: "unknown_guild", status: 404, discordCode: 10004, message: "Unknown Guild" } })
      yield* Effect.ignore((yield* Refresher.Refresher).refresh(profileKey("main")))
      const report = yield* (yield* Health).report()
      const main = report.profiles.find((p) => p.profile === "main")!
      assert.strictEqual(main.status, "down")
      assert.strictEqual(main.freshness.state, "unavailable")
      assert.includeMembers([...main.reasons], ["no_data", "circuit_misconfigured:widget"])
      assert.strictEqual(main.sources[0]!.circuit.state, "misconfigured")
      assert.strictEqual(main.sources[0]!.circuit.since, new Date(T0).toISOString())
      assert.strictEqual(main.sources[0]!.circuit.retryAt, new Date(T0 + 30_000).toISOString())
      assert.strictEqual(report.status, "degraded", "one of two profiles is down")
      const http = yield* ObservabilityHttp
      const onlySecond = JSON.parse((yield* http.health({ profiles: new Set(["second"]) })).body) as HealthModule.HealthReport
      assert.deepStrictEqual(onlySecond.profiles.map((p) => p.profile), ["second"])
      assert.notInclude(JSON.stringify(onlySecond), "\"main\"")
      const onlyMain = JSON.parse((yield* http.health({ profiles: new Set(["main"]) })).body) as HealthModule.HealthReport
      assert.strictEqual(onlyMain.status, "down", "every visible profile is down")
      // Without data but with demo fallback allowed, a profile is down too (demo numbers stand in).
      const demoOnly = yield* HealthModule.make().pipe(Effect.flatMap((h) => h.report({ profiles: new Set(["demo"]) })))
      assert.deepStrictEqual(demoOnly.profiles.map((p) => [p.profile, p.freshness.state, p.status, p.reasons[0]]), [["demo", "demo", "down", "demo_fallback"]])
    }).pipe(Effect.provide(app({ profiles: [profile(), profile({ key: "second" }), profile({ key: "demo", fallback: { demo: "when-empty" } })] }))))

  it.effect("token: the token the engine uses (seeded into the vault) is present, and valid once the bot answered", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const before = (yield* (yield* Health).report()).profiles.find((p) => p.profile === "main")!
      assert.deepStrictEqual(before.token, { status: "valid", present: true, expiresAt: null, daysUntilExpiry: null })
      yield* (yield* Refresher.Refresher).refresh(profileKey("main"))
      const main = (yield* (yield* Health).report()).profiles.find((p) => p.profile === "main")!
      assert.strictEqual(main.sources.find((s) => s.source === "bot")?.last?.ok, true)
      assert.deepStrictEqual(main.token, { status: "valid", present: true, expiresAt: null, daysUntilExpiry: null })
      const none = (yield* (yield* Health).report()).profiles.find((p) => p.profile === "tokenless")!
      assert.deepStrictEqual(none.token, { status: "missing", present: false, expiresAt: null, daysUntilExpiry: null })
      // A refused token is reported invalid.
      const script = yield* TestSource
      script.set("bot", { _tag: "fail", error: { reason: "unauthorized", status: 401, message: "401: Unauthorized" } })
      yield* TestClock.adjust("2 minutes")
      yield* (yield* Refresher.Refresher).refresh(profileKey("main"))
      const refused = (yield* (yield* Health).report()).profiles.find((p) => p.profile === "main")!
      assert.strictEqual(refused.token.status, "invalid")
      assert.strictEqual(refused.token.problem, "Discord refused the token (unauthorized)", "health says why")
    }).pipe(Effect.provide(app({ profiles: [profile(), profile({ key: "tokenless" })], tokens: { main: "sandbox-token" } }))))

  it.effect("readiness fails when a store is unreachable", () => {
    const brokenSnapshots = Layer.succeed(SnapshotStore.SnapshotStore, SnapshotStore.SnapshotStore.of({
      get: () => Effect.fail(new StoreError({ reason: "unavailable", store: "snapshots", message: "connection refused" })),
      put: () => Effect.fail(new StoreError({ reason: "unavailable", store: "snapshots", message: "connection refused" })),
      delete: () => Effect.void
    }))
    const options = { profiles: [profile()], scheduler: false } as const
    const stores = Observability.instrumentStores(Layer.merge(Engine.storesMemory(options), brokenSnapshots), { log: false })
    const broken = Engine.services(options).pipe(Layer.provideMerge(stores), Layer.provideMerge(layerScripted()))
    return Effect.gen(function* () {
      const http = yield* ObservabilityHttp
      const ready = yield* http.readiness
      assert.strictEqual(ready.status, 503)
      assert.strictEqual(ready.headers["retry-after"], "5")
      const body = JSON.parse(ready.body) as { status: string; checks: Record<string, { ok: boolean; detail?: string }> }
      assert.strictEqual(body.status, "not_ready")
      assert.deepStrictEqual([body.checks["snapshotStore"]!.ok, body.checks["snapshotStore"]!.detail], [false, "snapshot store unreachable"])
      assert.strictEqual(body.checks["profileStore"]!.ok, true)
      const report = yield* (yield* Health).report()
      assert.strictEqual(report.status, "down")
      assert.strictEqual(report.ready, false)
    }).pipe(Effect.provide(Observability.layer({ alerts: false, digest: false, recorder: false }).pipe(Layer.provideMerge(broken))))
  })

  it("profile status rules", () => {
    const base = {
      freshness: "fresh" as const, servingDemoFallback: false, circuits: [], deadLettered: false, tokenStatus: "valid" as const,
      tokenDays: null, usesToken: true, windows: [], tokenWarningDays: 7, minCallsForErrorRate: 4
    }
    assert.deepStrictEqual(HealthModule.profileStatus(base), { status: "ok", reasons: [] })
    assert.deepStrictEqual(HealthModule.profileStatus({ ...base, freshness: "demo", servingDemoFallback: true }).status, "down")
    assert.deepStrictEqual(HealthModule.profileStatus({ ...base, freshness: "stale" }).status, "ok", "stale-while-revalidate is normal")
    assert.deepStrictEqual(HealthModule.profileStatus({ ...base, deadLettered: true }).reasons, ["dead_lettered"])
    assert.deepStrictEqual(HealthModule.profileStatus({ ...base, circuits: [{ source: "bot", state: "throttled" }] }).status, "ok", "throttling is not failure")
    assert.deepStrictEqual(HealthModule.profileStatus({ ...base, tokenDays: -1 }).reasons, ["token_expired"])
    assert.deepStrictEqual(HealthModule.profileStatus({ ...base, usesToken: false, tokenStatus: "invalid" }).status, "ok")
    assert.deepStrictEqual(
      HealthModule.profileStatus({ ...base, windows: [{ source: "widget", window: { requests: 3, errors: 3, errorRate: 1, meanMs: 1, p50Ms: 1, p95Ms: 1 } }] }).status,
      "ok",
      "too few calls to judge"
    )
  })
})
