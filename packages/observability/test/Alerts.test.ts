import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import { AlertRules, ProfileRepository, Profiles, RateLimitStore, RefreshScheduler, Refresher } from "@guildpulse/core"
import { Alerts } from "../src/Alerts.js"
import * as Notifier from "../src/Notifier.js"
import type { AlertNotice, NotifierMessage } from "../src/Notifier.js"
import * as Observability from "../src/Observability.js"
import { engine, healthy, profile, profileKey, T0, TestSource } from "./fixtures.js"

const only = (enabled: ReadonlyArray<AlertRules.RuleId>, overrides: AlertRules.RuleSetPatch = {}): AlertRules.AlertRulesEncoded => ({
  defaults: Object.fromEntries(
    AlertRules.ruleIds.map((id) => [id, { enabled: enabled.includes(id), ...(overrides[id] ?? {}) }])
  ) as AlertRules.RuleSetPatch
})

const harness = (rules: unknown, engineOptions: Parameters<typeof engine>[0] = {}) => {
  const ops = Notifier.recordingChannel("ops")
  const pager = Notifier.recordingChannel("pager")
  const layer = Observability.layer({
    channels: [ops.channel, pager.channel],
    alertRules: rules,
    alerts: { run: false },
    digest: { run: false },
    // Samples are recorded by the refreshes themselves (one per successful live round).
    recorder: { compactEveryMs: false }
  }).pipe(Layer.provideMerge(engine(engineOptions)))
  return { ops: ops.messages, pager: pager.messages, layer }
}

const alertsOf = (messages: ReadonlyArray<NotifierMessage>) =>
  messages.filter((m): m is AlertNotice => m.kind === "alert").map((m) => `${m.status}:${m.rule}:${m.profile}`)

const evaluate = Effect.flatMap(Alerts, (alerts) => alerts.evaluate)
const refresh = (key = "main") => Effect.flatMap(Refresher.Refresher, (r) => Effect.ignore(r.refresh(profileKey(key))))
// Not retried inside the round (no backoff sleeps to drive with the TestClock).
const failing = { _tag: "fail", error: { reason: "decode", message: "malformed body" } } as const

describe("Alerts", () => {
  const stale = harness(only(["stale_data"], { stale_data: { olderThanMinutes: 5, cooldownMinutes: 30 } }))
  it.effect("stale data fires once, stays de-duplicated, and recovers", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const script = yield* TestSource
      yield* refresh()
      assert.deepStrictEqual(yield* evaluate, [])
      script.setAll(failing)
      yield* TestClock.adjust("4 minutes")
      yield* refresh()
      assert.deepStrictEqual(yield* evaluate, [], "4 min old: under the threshold")
      yield* TestClock.adjust("2 minutes")
      yield* refresh()
      const fired = yield* evaluate
      assert.deepStrictEqual(alertsOf(fired), ["firing:stale_data:main"])
      assert.strictEqual(fired[0]!.severity, "warning")
      assert.strictEqual(fired[0]!.dedupKey, "stale_data:main")
      assert.strictEqual(fired[0]!.startedAt, new Date(T0 + 6 * 60_000).toISOString())
      for (let i = 0; i < 5; i++) {
        yield* TestClock.adjust("1 minute")
        assert.deepStrictEqual(yield* evaluate, [], "no repeat while it keeps firing")
      }
      assert.strictEqual((yield* (yield* Alerts).active).length, 1)
      script.setAll(healthy.widget)
      for (const source of ["widget", "bot", "invite"] as const) script.set(source, healthy[source])
      yield* refresh()
      const resolved = yield* evaluate
      assert.deepStrictEqual(alertsOf(resolved), ["resolved:stale_data:main"])
      assert.strictEqual(resolved[0]!.id, fired[0]!.id, "the recovery names the incident")
      assert.strictEqual(resolved[0]!.resolvedAt, new Date(T0 + 11 * 60_000).toISOString())
      assert.deepStrictEqual(alertsOf(stale.ops), ["firing:stale_data:main", "resolved:stale_data:main"])
      assert.deepStrictEqual(alertsOf(stale.pager), ["firing:stale_data:main", "resolved:stale_data:main"])
      const incidents = yield* (yield* Alerts).incidents({ profile: "main" })
      assert.deepStrictEqual(incidents.map((i) => [i.rule, i.startedAtMs, i.resolvedAtMs]), [["stale_data", T0 + 6 * 60_000, T0 + 11 * 60_000]])
    }).pipe(Effect.provide(stale.layer)))

  const flapping = harness(only(["stale_data"], { stale_data: { olderThanMinutes: 5, cooldownMinutes: 30 } }))
  it.effect("cooldown: a re-fire inside the cooldown stays quiet unless it outlasts it", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const script = yield* TestSource
      const heal = () => {
        for (const source of ["widget", "bot", "invite"] as const) script.set(source, healthy[source])
      }
      yield* refresh()
      script.setAll(failing)
      yield* TestClock.adjust("6 minutes")
      yield* refresh()
      assert.deepStrictEqual(alertsOf(yield* evaluate), ["firing:stale_data:main"]) // t = 6
      heal()
      yield* refresh()
      assert.deepStrictEqual(alertsOf(yield* evaluate), ["resolved:stale_data:main"])
      // Flap: stale again at t = 12, healthy at t = 14 — inside the 30-minute cooldown: nothing at all.
      script.setAll(failing)
      yield* TestClock.adjust("6 minutes")
      yield* refresh()
      assert.deepStrictEqual(yield* evaluate, [], "suppressed by the cooldown")
      yield* TestClock.adjust("2 minutes")
      heal()
      yield* refresh()
      assert.deepStrictEqual(yield* evaluate, [], "a quiet incident recovers quietly")
      // Stale again at t = 20 and still stale when the cooldown ends (t = 36): notified then.
      script.setAll(failing)
      yield* TestClock.adjust("6 minutes")
      yield* refresh()
      assert.deepStrictEqual(yield* evaluate, [])
      yield* TestClock.adjust("15 minutes") // t = 35
      assert.deepStrictEqual(yield* evaluate, [])
      yield* TestClock.adjust("1 minute") // t = 36
      const late = yield* evaluate
      assert.deepStrictEqual(alertsOf(late), ["firing:stale_data:main"])
      assert.strictEqual(late[0]!.startedAt, new Date(T0 + 20 * 60_000).toISOString(), "the incident started at t = 20")
      heal()
      yield* refresh()
      assert.deepStrictEqual(alertsOf(yield* evaluate), ["resolved:stale_data:main"])
      const incidents = yield* (yield* Alerts).incidents()
      assert.deepStrictEqual(incidents.map((i) => i.notified), [true, false, true])
    }).pipe(Effect.provide(flapping.layer)))

  const presence = harness(only(["presence_drop"], { presence_drop: { dropPercent: 50, baselineMinutes: 10, minBaselineOnline: 10 } }))
  it.effect("presence drop against a frozen baseline: fires on the drop, recovers when the count comes back", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const script = yield* TestSource
      const minute = (online: number) =>
        Effect.gen(function* () {
          script.set("widget", { _tag: "ok", fields: { online } })
          yield* refresh()
          const notices = yield* evaluate
          yield* TestClock.adjust("1 minute")
          return alertsOf(notices)
        })
      const log: Array<string> = []
      for (let i = 0; i < 12; i++) log.push(...(yield* minute(100)))
      assert.deepStrictEqual(log, [])
      log.push(...(yield* minute(45)))
      assert.deepStrictEqual(log, ["firing:presence_drop:main"])
      // Half an hour at 45: a trailing baseline would sink to 45 and "recover"; the frozen one does not.
      for (let i = 0; i < 30; i++) log.push(...(yield* minute(45)))
      assert.deepStrictEqual(log, ["firing:presence_drop:main"])
      log.push(...(yield* minute(95)))
      assert.deepStrictEqual(log, ["firing:presence_drop:main", "resolved:presence_drop:main"])
      const notice = presence.ops.find((m): m is AlertNotice => m.kind === "alert")!
      assert.include(notice.summary, "Online fell to 45, 55 % below the 10-minute average of 100")
    }).pipe(Effect.provide(presence.layer)))

  const circuit = harness(only(["circuit_open"], { circuit_open: { openForMinutes: 10 } }))
  it.effect("circuit misconfigured for longer than N minutes fires (critical) and recovers after a fix", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const script = yield* TestSource
      script.set("bot", { _tag: "fail", error: { reason: "unauthorized", status: 401, message: "401: Unauthorized" } })
      yield* refresh()
      assert.deepStrictEqual(yield* evaluate, [])
      yield* TestClock.adjust("9 minutes")
      yield* refresh()
      assert.deepStrictEqual(yield* evaluate, [])
      yield* TestClock.adjust("1 minute")
      const fired = yield* evaluate
      assert.deepStrictEqual(alertsOf(fired), ["firing:circuit_open:main"])
      assert.strictEqual(fired[0]!.severity, "critical")
      assert.strictEqual(fired[0]!.title, "Source misconfigured")
      assert.include(fired[0]!.summary, "bot has been misconfigured for 10 min (unauthorized)")
      // The operator fixes the token: the profile changes, the next round probes at once and closes it.
      script.set("bot", healthy.bot)
      yield* (yield* Profiles.Profiles).update("main", { label: "Main (fixed)" })
      yield* refresh()
      assert.deepStrictEqual(alertsOf(yield* evaluate), ["resolved:circuit_open:main"])
    }).pipe(Effect.provide(circuit.layer)))

  const token = harness(only(["token_expiring"], { token_expiring: { withinDays: 7 } }))
  it.effect("a token set more than rotateAfterDays ago fires 'due for rotation', and recovers when it is set again", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const repo = yield* ProfileRepository.ProfileRepository
      const current = profile()
      yield* repo.put({ ...current, version: 2, token: { present: true, status: "valid", rotatedAt: new Date(T0 - 89 * 86_400_000).toISOString() } }, 1)
      assert.deepStrictEqual(yield* evaluate, [])
      yield* TestClock.adjust("1 days")
      const fired = yield* evaluate
      assert.deepStrictEqual(fired.map((n) => [n.status, n.title, n.severity]), [["firing", "Bot token due for rotation", "warning"]])
      assert.include(fired[0]!.summary, "set 90 days ago (rotate after 90)")
      yield* repo.put({ ...current, version: 3, token: { present: true, status: "valid", rotatedAt: new Date(T0 + 86_400_000).toISOString() } }, 2)
      assert.deepStrictEqual(alertsOf(yield* evaluate), ["resolved:token_expiring:main"])
    }).pipe(Effect.provide(token.layer)))

  it.effect("token expiring within N days fires, and recovers when the token is rotated", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const repo = yield* ProfileRepository.ProfileRepository
      const current = profile()
      yield* repo.put({ ...current, version: 2, token: { present: true, status: "valid", expiresAt: new Date(T0 + 10 * 86_400_000).toISOString() } }, 1)
      assert.deepStrictEqual(yield* evaluate, [])
      yield* TestClock.adjust("3 days")
      const fired = yield* evaluate
      assert.deepStrictEqual(alertsOf(fired), ["firing:token_expiring:main"])
      assert.include(fired[0]!.summary, "expires in 7 days")
      yield* repo.put({ ...current, version: 3, token: { present: true, status: "valid", expiresAt: new Date(T0 + 90 * 86_400_000).toISOString() } }, 2)
      assert.deepStrictEqual(alertsOf(yield* evaluate), ["resolved:token_expiring:main"])
      yield* repo.put({ ...current, version: 4, token: { present: true, status: "invalid" } }, 3)
      const invalid = yield* evaluate
      assert.deepStrictEqual(invalid.map((n) => [n.status, n.title, n.severity]), [], "inside the 24 h cooldown of the last notice")
      yield* TestClock.adjust("24 hours")
      assert.deepStrictEqual((yield* evaluate).map((n) => [n.status, n.title, n.severity]), [["firing", "Bot token rejected", "critical"]])
    }).pipe(Effect.provide(token.layer)))

  const dead = harness(only(["refresh_dead_lettered"]), { scheduler: { scheduleAllOnStart: false } })
  it.effect("refresh parked fires for a profile whose every source is misconfigured, and recovers when the fixed profile refreshes", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const script = yield* TestSource
      script.setAll({ _tag: "fail", error: { reason: "unknown_guild", status: 404, discordCode: 10004, message: "Unknown Guild" } })
      const scheduler = yield* RefreshScheduler.RefreshScheduler
      yield* scheduler.schedule(profile())
      yield* TestClock.adjust("12 hours")
      assert.deepStrictEqual((yield* scheduler.status).deadLetters, ["main"])
      const fired = yield* evaluate
      assert.deepStrictEqual(alertsOf(fired), ["firing:refresh_dead_lettered:main"])
      assert.strictEqual(fired[0]!.summary, "Every source of the profile is misconfigured (unknown_guild); the refresh job is parked: probed on a growing interval (30 s, doubling, up to hourly), and at once when the profile changes.")
      for (const source of ["widget", "bot", "invite"] as const) script.set(source, healthy[source])
      // The operator corrects the profile: it is probed at once.
      yield* scheduler.schedule({ ...profile(), version: 2 })
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(alertsOf(yield* evaluate), ["resolved:refresh_dead_lettered:main"])
    }).pipe(Effect.provide(dead.layer)))

  it.effect("transient failures for 12 hours never park the job (no dead-letter alert)", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const script = yield* TestSource
      script.setAll({ _tag: "fail", error: { reason: "decode", message: "bad body" } })
      const scheduler = yield* RefreshScheduler.RefreshScheduler
      yield* scheduler.schedule(profile())
      yield* TestClock.adjust("12 hours")
      assert.deepStrictEqual((yield* scheduler.status).deadLetters, [])
      assert.deepStrictEqual(alertsOf(yield* evaluate), [])
    }).pipe(Effect.provide(dead.layer)), 30_000)

  const guard = harness(only(["invalid_request_guard"], { invalid_request_guard: { threshold: 3 } }))
  it.effect("the invalid-request guard is a process-wide alert", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const store = yield* RateLimitStore.RateLimitStore
      for (let i = 0; i < 3; i++) yield* store.recordInvalid(600_000)
      const fired = yield* evaluate
      assert.deepStrictEqual(alertsOf(fired), ["firing:invalid_request_guard:*"])
      assert.strictEqual(fired[0]!.severity, "critical")
      yield* TestClock.adjust("11 minutes")
      assert.deepStrictEqual(alertsOf(yield* evaluate), ["resolved:invalid_request_guard:*"])
    }).pipe(Effect.provide(guard.layer)))

  const routed = harness({
    defaults: only(["stale_data"], { stale_data: { olderThanMinutes: 5, channels: ["pager"] } }).defaults,
    profiles: { second: { stale_data: { olderThanMinutes: 60 } } }
  }, { profiles: [profile(), profile({ key: "second" })] })
  it.effect("per-profile thresholds and per-rule channels", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const script = yield* TestSource
      yield* refresh("main")
      yield* refresh("second")
      script.setAll(failing)
      yield* TestClock.adjust("10 minutes")
      assert.deepStrictEqual(alertsOf(yield* evaluate), ["firing:stale_data:main"], "second allows 60 minutes")
      assert.deepStrictEqual(alertsOf(routed.pager), ["firing:stale_data:main"])
      assert.deepStrictEqual(routed.ops, [], "the rule routes to the pager only")
      yield* TestClock.adjust("55 minutes")
      assert.deepStrictEqual(alertsOf(yield* evaluate), ["firing:stale_data:second"])
    }).pipe(Effect.provide(routed.layer)))

  it.effect("the background loop evaluates on its own", () => {
    const ops = Notifier.recordingChannel("ops")
    const layer = Observability.layer({
      channels: [ops.channel],
      alertRules: only(["stale_data"], { stale_data: { olderThanMinutes: 5 } }),
      alerts: { evaluateEveryMs: 30_000 },
      digest: { run: false },
      recorder: false
    }).pipe(Layer.provideMerge(engine()))
    return Effect.gen(function* () {
      yield* TestClock.adjust("4 minutes")
      assert.deepStrictEqual(ops.messages, [])
      yield* TestClock.adjust("2 minutes")
      assert.deepStrictEqual(alertsOf(ops.messages), ["firing:stale_data:main"], "never refreshed: no data for 5 min")
      assert.strictEqual((ops.messages[0] as AlertNotice).title, "No data")
    }).pipe(Effect.provide(layer))
  })

  it.effect("invalid rules are refused with the offending field", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Layer.build(Observability.layer({ alertRules: { defaults: { stale_data: { olderThanMinutes: -3 } }, profiles: { "Bad Key": {} } } })).pipe(
        Effect.provide(engine()),
        Effect.scoped
      ))
      assert.strictEqual(error._tag, "ValidationError")
      const fields = error._tag === "ValidationError" ? error.issues.map((i) => i.field) : []
      assert.include(fields, "defaults.stale_data.olderThanMinutes")
      assert.isTrue(fields.some((f) => f.startsWith("profiles")))
    }))
})
