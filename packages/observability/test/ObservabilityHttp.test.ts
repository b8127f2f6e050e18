import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import { AlertRulesStore, EventLog, ProfileRepository, Refresher, StoreError } from "@guildpulse/core"
import * as Notifier from "../src/Notifier.js"
import * as Observability from "../src/Observability.js"
import { make, ObservabilityHttp, parseEventQuery } from "../src/ObservabilityHttp.js"
import { engine, profile, T0, profileKey } from "./fixtures.js"

const ops = Notifier.recordingChannel("ops")
const app = Observability.layer({ channels: [ops.channel], alerts: { run: false }, digest: false, recorder: false }).pipe(
  Layer.provideMerge(engine({ profiles: [profile(), profile({ key: "other" })] }))
)

interface EventsBody {
  readonly events: ReadonlyArray<{ readonly id: string; readonly type: string; readonly profile?: string; readonly level: string }>
  readonly nextCursor: string | null
}

describe("ObservabilityHttp", () => {
  it.effect("/v1/events: filters, pages with a cursor, and shows a limited key only its profiles", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const refresher = yield* Refresher.Refresher
      yield* refresher.refresh(profileKey("main"))
      yield* refresher.refresh(profileKey("other"))
      yield* (yield* EventLog.EventLog).emit({ level: "error", type: "store.state", message: "redis reconnecting" })
      const http = yield* ObservabilityHttp
      const all = JSON.parse((yield* http.events({})).body) as EventsBody
      // main: 3 upstream calls + 1 refresh; other (no token: bot skipped): 2 + 1; one process-wide event.
      assert.strictEqual(all.events.length, 8)
      assert.strictEqual(all.events[0]!.type, "store.state", "newest first")
      const refreshes = JSON.parse((yield* http.events({ type: "refresh", profile: "main" })).body) as EventsBody
      assert.deepStrictEqual(refreshes.events.map((e) => [e.type, e.profile]), [["refresh.succeeded", "main"]])
      const errors = JSON.parse((yield* http.events({ level: "error" })).body) as EventsBody
      assert.deepStrictEqual(errors.events.map((e) => e.type), ["store.state"])
      // Paging.
      const first = JSON.parse((yield* http.events({ limit: "4" })).body) as EventsBody
      assert.strictEqual(first.events.length, 4)
      assert.isString(first.nextCursor)
      const second = JSON.parse((yield* http.events({ limit: "4", cursor: first.nextCursor! })).body) as EventsBody
      assert.strictEqual(second.events.length, 4)
      assert.isTrue(second.events.every((e) => e.id < first.events[3]!.id))
      // A key limited to "other" sees only other's events: not main's, not process-wide ones.
      const limited = { profiles: new Set(["other"]) }
      const mine = JSON.parse((yield* http.events({}, limited)).body) as EventsBody
      assert.isAbove(mine.events.length, 0)
      assert.isTrue(mine.events.every((e) => e.profile === "other"))
      const theirs = JSON.parse((yield* http.events({ profile: "main" }, limited)).body) as EventsBody
      assert.deepStrictEqual(theirs, { events: [], nextCursor: null })
      // Time window.
      const future = JSON.parse((yield* http.events({ since: new Date(T0 + 1000).toISOString() })).body) as EventsBody
      assert.deepStrictEqual(future.events, [])
    }).pipe(Effect.provide(app)))

  it.effect("/v1/events: bad input is a ValidationError naming each field", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(parseEventQuery({ limit: "5000", level: "loud", since: "yesterday", profile: "Not A Key", type: "nope", cursor: "x y", foo: "1" }))
      assert.deepStrictEqual(error.issues.map((i) => i.field).sort(), ["cursor", "foo", "level", "limit", "profile", "since", "type"])
      const repeated = yield* Effect.flip(parseEventQuery({ level: ["info", "warn"] }))
      assert.deepStrictEqual(repeated.issues, [{ field: "level", message: "must be given once" }])
      const ok = yield* parseEventQuery({ profile: ["main", "a,b"], since: "1764072000000", until: "2026-11-25T12:00:00Z", limit: "10" })
      assert.deepStrictEqual(ok, { profile: [profileKey("main"), profileKey("a"), profileKey("b")], sinceMs: 1764072000000, untilMs: Date.UTC(2026, 10, 25, 12), limit: 10 })
    }))

  it.effect("its errors are problem+json in the one GuildPulse wire format (urn type, title, code, no-store)", () =>
    Effect.gen(function* () {
      const down = new StoreError({ store: "alert-rules", reason: "unavailable", message: "test: down" })
      const http = yield* make.pipe(Effect.provideService(AlertRulesStore.AlertRulesStore, { get: Effect.fail(down), put: () => Effect.fail(down) }))
      const answer = yield* http.getAlertRules
      assert.strictEqual(answer.status, 503)
      assert.deepStrictEqual(answer.headers, { "content-type": "application/problem+json; charset=utf-8", "cache-control": "no-store" })
      assert.deepStrictEqual(JSON.parse(answer.body), {
        type: "urn:guildpulse:problem:store_unavailable",
        title: "Service Unavailable",
        status: 503,
        detail: "the alert rules store is unreachable",
        code: "store_unavailable"
      })
    }).pipe(Effect.provide(app)))

  it.effect("/readyz, /v1/health, /metrics and the alert rules endpoints", () =>
    Effect.gen(function* () {
      const http = yield* ObservabilityHttp
      const ready = yield* http.readiness
      assert.deepStrictEqual([ready.status, JSON.parse(ready.body).status], [200, "ready"])
      const health = yield* http.health()
      assert.strictEqual(health.status, 200)
      assert.strictEqual(health.headers["content-type"], "application/json; charset=utf-8")
      assert.strictEqual(health.headers["cache-control"], "no-store")
      const metrics = yield* http.metrics()
      assert.match(metrics.headers["content-type"]!, /^text\/plain; version=0\.0\.4/)
      assert.include(metrics.body, "# TYPE guildpulse_queue_depth gauge")
      // Alert rules.
      assert.deepStrictEqual(JSON.parse((yield* http.getAlertRules).body), {})
      const put = yield* http.putAlertRules({ defaults: { stale_data: { olderThanMinutes: 15 } }, profiles: { main: { presence_drop: { enabled: false } } } })
      assert.strictEqual(put.status, 200)
      assert.deepStrictEqual(JSON.parse((yield* http.getAlertRules).body).defaults, { stale_data: { olderThanMinutes: 15 } })
      const bad = yield* Effect.flip(http.putAlertRules({ defaults: { stale_data: { olderThanMinutes: "soon" } } }))
      assert.strictEqual(bad._tag, "ValidationError")
      assert.strictEqual(bad.issues[0]!.field, "defaults.stale_data.olderThanMinutes")
      const test = yield* http.testAlert({})
      assert.strictEqual(test.status, 200)
      assert.deepStrictEqual(JSON.parse(test.body).results.map((r: { channel: string; ok: boolean }) => [r.channel, r.ok]), [["ops", true]])
      assert.strictEqual(ops.messages.length, 1)
      const badTest = yield* Effect.flip(http.testAlert({ channels: "ops" }))
      assert.strictEqual(badTest.issues[0]!.field, "channels")
      // Deleting a profile does not break health.
      yield* (yield* ProfileRepository.ProfileRepository).delete(profileKey("other"))
      assert.strictEqual((yield* http.health()).status, 200)
    }).pipe(Effect.provide(app)))
})
