import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Metric, TestClock } from "effect"
import { ProfileRepository, Profiles, RefreshScheduler, Refresher, Stats } from "@guildpulse/core"
import { Alerts } from "../src/Alerts.js"
import * as Metrics from "../src/Metrics.js"
import * as Notifier from "../src/Notifier.js"
import * as Observability from "../src/Observability.js"
import { ObservabilityHttp } from "../src/ObservabilityHttp.js"
import { Prometheus } from "../src/Prometheus.js"
import * as PrometheusModule from "../src/Prometheus.js"
import { engine, profile, T0, TestSource, profileKey } from "./fixtures.js"
import { parse, value } from "./prometheus.js"

const recording = Notifier.recordingChannel("ops")

const app = (options: Parameters<typeof engine>[0] = {}) =>
  Observability.layer({ channels: [recording.channel], alerts: { run: false }, digest: { run: false }, recorder: false }).pipe(
    Layer.provideMerge(engine(options))
  )

const scrape = Effect.gen(function* () {
  const http = yield* ObservabilityHttp
  const answer = yield* http.metrics()
  assert.strictEqual(answer.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
  return parse(answer.body)
})

describe("Prometheus exposition", () => {
  it.effect("exports every family of §7 with the right names, types and values after known traffic", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const script = yield* TestSource
      script.set("invite", { _tag: "fail", error: { reason: "server_error", status: 503, message: "bad gateway" }, delayMs: 40 })
      script.set("widget", { _tag: "ok", fields: { online: 120 }, delayMs: 70 })
      const refresher = yield* Refresher.Refresher
      const stats = yield* Stats.Stats
      yield* Effect.fork(refresher.refresh(profileKey("main")))
      yield* TestClock.adjust("10 seconds") // retries of the failing invite source back off inside the round
      yield* Effect.fork(refresher.refresh(profileKey("main")))
      yield* TestClock.adjust("10 seconds")
      for (let i = 0; i < 3; i++) yield* stats.get("main")
      yield* (yield* Alerts).sendTest()
      // A family defined twice (another package, another description) must not repeat a series.
      yield* Metric.increment(Metric.tagged(Metric.counter("guildpulse_alerts_sent_total", { description: "a twin", incremental: true }), "channel", "ops"))
      yield* TestClock.adjust("70 seconds")
      const m = yield* scrape

      // Types and naming conventions.
      for (const family of Metrics.families.filter((f) => f.recordedBy !== "connector")) {
        assert.strictEqual(m.types.get(family.name), family.type, family.name)
        if (family.type === "counter") assert.match(family.name, /_total$/)
        if (family.type === "histogram") assert.match(family.name, /_seconds$/)
      }
      for (const name of m.types.keys()) {
        if (name.startsWith("guildpulse_")) assert.include(Metrics.families.map((f) => f.name), name, `${name} is documented`)
      }

      // Counters.
      assert.strictEqual(value(m, "guildpulse_upstream_requests_total", { source: "widget", outcome: "ok", status_class: "2xx" }), 2)
      assert.strictEqual(value(m, "guildpulse_upstream_requests_total", { source: "invite", outcome: "server_error", status_class: "5xx" }), 2)
      assert.strictEqual(value(m, "guildpulse_refresh_jobs_total", { outcome: "partial" }), 2)
      assert.strictEqual(value(m, "guildpulse_stats_served_total", { state: "fresh" }), 3)
      assert.strictEqual(value(m, "guildpulse_cache_lookups_total", { result: "hit" }), 3)
      assert.strictEqual(value(m, "guildpulse_alerts_sent_total", { channel: "ops", rule: "test", outcome: "sent" }), 1)

      // Histogram: base unit seconds, cumulative buckets, +Inf = count, sum.
      const buckets = m.series.filter((s) => s.name === "guildpulse_upstream_request_duration_seconds_bucket" && s.labels["source"] === "widget")
      assert.deepStrictEqual(buckets.map((b) => b.labels["le"]), ["0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"])
      assert.deepStrictEqual(buckets.map((b) => b.value), [0, 0, 2, 2, 2, 2, 2, 2, 2, 2], "two calls of 70 ms each")
      assert.strictEqual(value(m, "guildpulse_upstream_request_duration_seconds_count", { source: "widget" }), 2)
      assert.closeTo(value(m, "guildpulse_upstream_request_duration_seconds_sum", { source: "widget" })!, 0.14, 1e-9)
      const invite = m.series.filter((s) => s.name === "guildpulse_upstream_request_duration_seconds_bucket" && s.labels["source"] === "invite")
      assert.strictEqual(invite.find((b) => b.labels["le"] === "0.1")!.value, 0, "a failing call with retries takes longer than one attempt")

      // Gauges.
      assert.strictEqual(value(m, "guildpulse_guild_online", { profile: "main" }), 120)
      assert.strictEqual(value(m, "guildpulse_guild_members", { profile: "main" }), 1500)
      assert.strictEqual(value(m, "guildpulse_circuit_state", { profile: "main", source: "invite" }), 0, "sampled at scrape time: closed")
      // The second round fetched members at +10 s; now is +90 s.
      assert.strictEqual(value(m, "guildpulse_snapshot_age_seconds", { profile: "main" }), 80)
      assert.strictEqual(value(m, "guildpulse_queue_depth"), 0)
      assert.strictEqual(value(m, "guildpulse_dead_letters"), 0)
      assert.strictEqual(value(m, "guildpulse_refresh_lag_seconds"), 0)
    }).pipe(Effect.provide(app())))

  it.effect("scheduler gauges, circuit state and profile filtering", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const script = yield* TestSource
      script.setAll({ _tag: "fail", error: { reason: "unauthorized", status: 401, message: "401" } })
      const scheduler = yield* RefreshScheduler.RefreshScheduler
      yield* scheduler.schedule(profile())
      yield* (yield* ProfileRepository.ProfileRepository).put(profile({ key: "second" }), 0)
      yield* scheduler.schedule(profile({ key: "second" }))
      yield* TestClock.adjust("1 second")
      const m = yield* scrape
      assert.strictEqual(value(m, "guildpulse_queue_depth"), 2)
      assert.strictEqual(value(m, "guildpulse_circuit_state", { profile: "main", source: "bot" }), 4, "misconfigured")
      const http = yield* ObservabilityHttp
      const restricted = parse((yield* http.metrics({ profiles: new Set(["second"]) })).body)
      assert.isUndefined(value(restricted, "guildpulse_circuit_state", { profile: "main", source: "bot" }))
      assert.strictEqual(value(restricted, "guildpulse_circuit_state", { profile: "second", source: "widget" }), 4)
      assert.strictEqual(value(restricted, "guildpulse_circuit_state", { profile: "second", source: "bot" }), 0, "no token: skipped, closed")
      assert.strictEqual(value(restricted, "guildpulse_queue_depth"), 2)
    }).pipe(Effect.provide(app({ scheduler: { scheduleAllOnStart: false } }))))

  it.effect("drops the series of a deleted profile", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const script = yield* TestSource
      script.setAll({ _tag: "ok", fields: { online: 42, members: 900 } })
      const profiles = yield* Profiles.Profiles
      yield* profiles.create({ key: "doomed", label: "Doomed", guildId: "81384788765712384", sources: { widget: true, bot: false, invite: false } })
      yield* Effect.ignore((yield* Refresher.Refresher).refresh(profileKey("doomed")))
      const before = yield* scrape
      assert.strictEqual(value(before, "guildpulse_guild_online", { profile: "doomed" }), 42)
      assert.strictEqual(value(before, "guildpulse_circuit_state", { profile: "doomed", source: "widget" }), 0)
      assert.strictEqual(value(before, "guildpulse_snapshot_age_seconds", { profile: "doomed" }), 0)
      yield* profiles.delete("doomed")
      const after = yield* scrape
      assert.deepStrictEqual(after.series.filter((s) => s.labels["profile"] === "doomed"), [])
      assert.strictEqual(value(after, "guildpulse_circuit_state", { profile: "main", source: "widget" }), 0, "other profiles keep theirs")
    }).pipe(Effect.provide(app())))

  it.effect("can export guildpulse families only", () =>
    Effect.gen(function* () {
      yield* Effect.fork(Effect.void) // some fiber metrics exist
      const prometheus = yield* Prometheus
      const text = yield* prometheus.scrape
      assert.notInclude(text, "effect_fiber")
      assert.notInclude(text, "target_info")
      assert.include(text, "guildpulse_")
    }).pipe(Effect.provide(PrometheusModule.layer({ include: (name) => name.startsWith("guildpulse_"), withoutTargetInfo: true }))))
})
