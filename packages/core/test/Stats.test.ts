import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Option, TestClock } from "effect"
import { Engine, EventLog, Lock, Profiles, Refresher, RefreshScheduler, SnapshotStore, Stats, type ProfileKey } from "../src/index.js"
import { engine, healthy, layerScripted, profile, TestSource, profileKey } from "./fixtures.js"

const T0 = Date.UTC(2026, 10, 25, 12)

describe("Stats.get freshness", () => {
  it.effect("cold → one foreground refresh → fresh, merged with provenance", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const stats = yield* Stats.Stats
      const view = yield* stats.get("main")
      assert.strictEqual(view.freshness.state, "fresh")
      assert.deepStrictEqual(view.counts, { online: 120, members: 1500, boosts: 4, boostTier: 1 })
      assert.strictEqual(view.guild.name, "Guild")
      assert.strictEqual(view.provenance["online"]?.source, "widget")
      assert.strictEqual(view.provenance["members"]?.source, "bot")
      assert.deepStrictEqual(view.presence, { online: 60, idle: 25, dnd: 15, sampleSize: 100 })
      assert.strictEqual(view.guild.instantInvite, "https://discord.gg/abc")
      assert.deepStrictEqual(view.freshness.reasons, [])
      assert.strictEqual(view.sources.length, 3)
    }).pipe(Effect.provide(engine())))

  it.effect("fresh → stale (served at once, revalidated in the background) → fresh", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const stats = yield* Stats.Stats
      const script = yield* TestSource
      yield* stats.get("main")
      assert.strictEqual(script.calls.widget, 1)
      yield* TestClock.adjust("61 seconds")
      script.set("widget", { _tag: "ok", fields: { online: 130 }, delayMs: 1000 })
      const stale = yield* stats.get("main")
      assert.strictEqual(stale.freshness.state, "stale")
      assert.strictEqual(stale.counts.online, 120, "the stale value is served without waiting")
      yield* TestClock.adjust("2 seconds")
      const fresh = yield* stats.get("main")
      assert.strictEqual(fresh.freshness.state, "fresh")
      assert.strictEqual(fresh.counts.online, 130)
      assert.strictEqual(script.calls.widget, 2)
    }).pipe(Effect.provide(engine())))

  it.effect("failing refreshes → degraded last-good with reasons → fresh again on recovery", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const stats = yield* Stats.Stats
      const script = yield* TestSource
      yield* stats.get("main")
      for (const source of ["widget", "bot", "invite"] as const) {
        script.set(source, { _tag: "fail", error: { reason: "server_error", status: 503, message: "Service Unavailable" } })
      }
      yield* TestClock.adjust("61 seconds")
      yield* stats.get("main") // stale, triggers a background refresh that fails
      yield* TestClock.adjust("5 seconds") // retries (≤ 2 × ≤ 4 s) finish
      const degraded = yield* stats.get("main")
      assert.strictEqual(degraded.freshness.state, "degraded")
      assert.deepStrictEqual(degraded.freshness.reasons, ["upstream_error"])
      assert.strictEqual(degraded.counts.online, 120, "last good numbers")
      assert.isNotNull(degraded.freshness.retryAfterSeconds)
      for (const source of ["widget", "bot", "invite"] as const) script.set(source, healthy[source])
      const recovered = yield* stats.get("main", { bypassCache: true })
      assert.strictEqual(recovered.freshness.state, "fresh")
      assert.deepStrictEqual(recovered.freshness.reasons, [])
    }).pipe(Effect.provide(engine())))

  it.effect("partial failure stays fresh while headline fields refresh; reasons name the failing source", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const stats = yield* Stats.Stats
      const script = yield* TestSource
      yield* stats.get("main")
      script.set("widget", { _tag: "fail", error: { reason: "widget_disabled", status: 403, discordCode: 50004, message: "Widget Disabled" } })
      // Past 2 × ttl: the widget's last online no longer outranks the bot's fresh one.
      yield* TestClock.adjust("121 seconds")
      const view = yield* stats.get("main", { bypassCache: true })
      assert.strictEqual(view.freshness.state, "fresh")
      assert.deepStrictEqual(view.freshness.reasons, ["widget_disabled"])
      assert.strictEqual(view.provenance["online"]?.source, "bot", "online now from the bot")
      assert.strictEqual(view.provenance["presence"]?.source, "widget", "presence sample carried forward")
      assert.strictEqual(view.provenance["presence"]?.fetchedAt, new Date(T0).toISOString())
    }).pipe(Effect.provide(engine())))

  it.effect("a public request once nextRefreshAt has passed (still within the ttl) starts one background round for every caller", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const stats = yield* Stats.Stats
      const script = yield* TestSource
      yield* stats.get("main")
      yield* TestClock.adjust("59500 millis") // past the planned refresh (≤ 59.4 s), before expiry (60 s)
      const views = yield* Effect.all(Array.from({ length: 10 }, () => stats.get("main")), { concurrency: "unbounded" })
      assert.deepStrictEqual(views.map((v) => v.freshness.state), Array.from({ length: 10 }, () => "fresh"))
      yield* TestClock.adjust("0 millis")
      assert.strictEqual(script.calls.widget, 2, "one revalidation for ten callers")
    }).pipe(Effect.provide(engine())))

  it.effect("stickiness: widget and bot throttled, invite answers → the widget's online and the bot's members stay (not the invite's)", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const stats = yield* Stats.Stats
      const script = yield* TestSource
      yield* stats.get("main")
      for (const source of ["widget", "bot"] as const) {
        script.set(source, { _tag: "fail", error: { reason: "rate_limited", status: 429, retryAfterMs: 5_000, message: "429" } })
      }
      yield* TestClock.adjust("61 seconds")
      const view = yield* stats.get("main", { bypassCache: true })
      assert.strictEqual(view.counts.online, 120)
      assert.strictEqual(view.counts.members, 1500)
      assert.deepStrictEqual(view.provenance["online"], { source: "widget", fetchedAt: new Date(T0).toISOString() })
      assert.deepStrictEqual(view.provenance["members"], { source: "bot", fetchedAt: new Date(T0).toISOString() })
      assert.strictEqual(view.freshness.state, "degraded", "carried numbers older than the ttl, sources failing")
      assert.deepStrictEqual(view.freshness.reasons, ["rate_limited"])
    }).pipe(Effect.provide(engine())))

  it.effect("cold and failing → unavailable with retryAfterSeconds; → demo when the profile allows it", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const stats = yield* Stats.Stats
      const script = yield* TestSource
      for (const source of ["widget", "bot", "invite"] as const) {
        script.set(source, { _tag: "fail", error: { reason: "rate_limited", status: 429, retryAfterMs: 30_000, message: "429" } })
      }
      const view = yield* stats.get("main")
      assert.strictEqual(view.freshness.state, "unavailable")
      assert.deepStrictEqual(view.counts, {})
      assert.deepStrictEqual(view.freshness.reasons, ["rate_limited"])
      // Retry after = until the next planned attempt: never before Discord's Retry-After (30 s), then the
      // failure backoff's ±20 % jitter decides (Random), so the plan stored with the snapshot is the expected value.
      const planned = yield* (yield* SnapshotStore.SnapshotStore).get(profileKey("main"))
      assert.isTrue(Option.isSome(planned))
      const plannedInMs = Option.getOrThrow(planned).nextRefreshAtMs - T0
      assert.isAtLeast(plannedInMs, 30_000, "never before Discord's Retry-After")
      assert.strictEqual(view.freshness.retryAfterSeconds, Math.ceil(plannedInMs / 1000))
      const again = yield* stats.get("main")
      assert.strictEqual(again.freshness.state, "unavailable")
      assert.strictEqual(script.calls.widget, 1, "no new upstream call before the retry-after")
    }).pipe(Effect.provide(engine())))

  it.effect("demo fallback is labelled demo and leaves once real data arrives", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const stats = yield* Stats.Stats
      const script = yield* TestSource
      for (const source of ["widget", "bot", "invite"] as const) {
        script.set(source, { _tag: "fail", error: { reason: "timeout", message: "timeout" } })
      }
      const fiber = yield* Effect.fork(stats.get("main"))
      yield* TestClock.adjust("1 minute")
      const demo = yield* Fiber.join(fiber)
      assert.strictEqual(demo.freshness.state, "demo")
      assert.strictEqual(demo.provenance["online"]?.source, "demo")
      assert.deepStrictEqual(demo.freshness.reasons, ["timeout"])
      for (const source of ["widget", "bot", "invite"] as const) script.set(source, healthy[source])
      const real = yield* stats.get("main", { bypassCache: true })
      assert.strictEqual(real.freshness.state, "fresh")
      assert.strictEqual(real.counts.online, 120)
    }).pipe(Effect.provide(engine({ profiles: [profile({ fallback: { demo: "when-empty" } })] }))))

  it.effect("1,000 concurrent cold requests cause exactly one upstream call per source", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const stats = yield* Stats.Stats
      const script = yield* TestSource
      for (const source of ["widget", "bot", "invite"] as const) script.set(source, { ...healthy[source], delayMs: 50 } as typeof healthy.widget)
      const fiber = yield* Effect.fork(Effect.all(Array.from({ length: 1000 }, () => stats.get("main")), { concurrency: "unbounded" }))
      yield* TestClock.adjust("100 millis")
      const views = yield* Fiber.join(fiber)
      assert.strictEqual(views.length, 1000)
      assert.isTrue(views.every((v) => v.freshness.state === "fresh" && v.counts.online === 120))
      assert.deepStrictEqual(script.calls, { widget: 1, bot: 1, invite: 1 })
      // In-process single flight: the callers joined one round instead of contending for the lock.
      const skipped = yield* (yield* EventLog.EventLog).query({ type: "refresh.skipped" })
      assert.strictEqual(skipped.events.length, 0)
    }).pipe(Effect.provide(engine())))

  it.effect("a missing bot token skips the bot source without counting a failure", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const stats = yield* Stats.Stats
      const script = yield* TestSource
      const view = yield* stats.get("main")
      assert.strictEqual(script.calls.bot, 0)
      assert.strictEqual(view.freshness.state, "fresh")
      assert.strictEqual(view.provenance["members"]?.source, "invite")
      assert.deepStrictEqual(view.sources.find((s) => s.source === "bot"), { source: "bot", ok: false, error: "token_missing" })
    }).pipe(Effect.provide(engine({ tokens: {} }))))

  it.effect("the snapshot records the round and events say what happened", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const stats = yield* Stats.Stats
      const store = yield* SnapshotStore.SnapshotStore
      const events = yield* EventLog.EventLog
      yield* stats.get("main")
      const snapshot = yield* store.get(profileKey("main"))
      assert.strictEqual(snapshot._tag, "Some")
      const page = yield* events.query({ profile: profileKey("main") })
      const types = page.events.map((e) => e.type)
      assert.include(types, "refresh.succeeded")
      assert.strictEqual(types.filter((t) => t === "upstream.request").length, 3)
    }).pipe(Effect.provide(engine())))
  it.effect("a round another instance stored after this one read the store answers it: no second upstream call", () => {
    // This instance reads "nothing yet"; before it takes the lease, another instance sharing the stores
    // finishes its round (modelled by a round run here and hidden from the first read) — however long after.
    let hideOnce = false
    const hiding = Layer.effect(
      SnapshotStore.SnapshotStore,
      Effect.map(SnapshotStore.SnapshotStore, (store) =>
        SnapshotStore.SnapshotStore.of({
          ...store,
          get: (key) => (hideOnce ? Effect.sync(() => ((hideOnce = false), Option.none())) : store.get(key))
        })
      )
    )
    const options = { profiles: [profile()], tokens: { main: "sandbox-token" }, scheduler: false as const }
    const layer = Engine.services(options).pipe(
      Layer.provideMerge(layerScripted()),
      Layer.provideMerge(hiding),
      Layer.provideMerge(Engine.storesMemory(options))
    )
    return Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const stats = yield* Stats.Stats
      const refresher = yield* Refresher.Refresher
      const script = yield* TestSource
      yield* refresher.refresh(profileKey("main"))
      assert.deepStrictEqual(script.calls, { widget: 1, bot: 1, invite: 1 })
      yield* TestClock.adjust("2 seconds")
      hideOnce = true
      const view = yield* stats.get("main")
      assert.strictEqual(view.freshness.state, "fresh")
      assert.strictEqual(view.sources.find((s) => s.source === "widget")?.fetchedAt, new Date(T0).toISOString())
      assert.deepStrictEqual(script.calls, { widget: 1, bot: 1, invite: 1 })
    }).pipe(Effect.provide(layer))
  })
})

describe("Stats.get input", () => {
  it.effect("unknown profile → ProfileNotFound; bad key → ValidationError naming the field", () =>
    Effect.gen(function* () {
      const stats = yield* Stats.Stats
      const missing = yield* Effect.flip(stats.get("nope"))
      assert.strictEqual(missing._tag, "ProfileNotFound")
      const bad = yield* Effect.flip(stats.get("Not A Key!"))
      assert.strictEqual(bad._tag, "ValidationError")
      if (bad._tag === "ValidationError") assert.strictEqual(bad.issues[0]?.field, "profile")
    }).pipe(Effect.provide(engine())))
})

describe("Refresher and scheduler input", () => {
  it.effect("refresh and trigger name the profile field on a bad key, and 404 an unknown one", () =>
    Effect.gen(function* () {
      const refresher = yield* Refresher.Refresher
      const scheduler = yield* RefreshScheduler.RefreshScheduler
      for (const bad of ["", "UPPER", "a/b", "x".repeat(65)]) {
        // A caller outside TypeScript: the malformed key reaches the ports unbranded.
        const e1 = yield* Effect.flip(refresher.refresh(bad as ProfileKey))
        const e2 = yield* Effect.flip(scheduler.trigger(bad as ProfileKey))
        assert.strictEqual(e1._tag, "ValidationError")
        assert.strictEqual(e2._tag, "ValidationError")
        if (e1._tag === "ValidationError") assert.strictEqual(e1.issues[0]?.field, "profile")
      }
      assert.strictEqual((yield* Effect.flip(refresher.refresh(profileKey("ghost"))))._tag, "ProfileNotFound")
    }).pipe(Effect.provide(engine())))
})

describe("Stats.needsUpstream", () => {
  it.effect("is true only when answering would wait for Discord", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const stats = yield* Stats.Stats
      const script = yield* TestSource
      assert.isTrue(yield* stats.needsUpstream(profile()), "cold")
      yield* stats.get("main")
      assert.isFalse(yield* stats.needsUpstream(profile()), "fresh snapshot")
      yield* TestClock.adjust("2 hours")
      assert.isFalse(yield* stats.needsUpstream(profile()), "stale but servable: revalidated in the background")
      for (const source of ["widget", "bot", "invite"] as const) {
        script.set(source, { _tag: "fail", error: { reason: "rate_limited", status: 429, retryAfterMs: 60_000, message: "429" } })
      }
      yield* TestClock.adjust("8 days") // beyond maxStale: nothing servable any more
      yield* stats.get("main") // a failing foreground round schedules the next attempt after the retry-after
      assert.isFalse(yield* stats.needsUpstream(profile()), "next attempt not due yet")
      yield* TestClock.adjust("61 seconds")
      assert.isTrue(yield* stats.needsUpstream(profile()), "due again")
    }).pipe(Effect.provide(engine())))
})

describe("Refresher across instances (shared Lock)", () => {
  it.effect("waits for the lease holder's snapshot instead of calling upstream", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const lock = yield* Lock.Lock
      const store = yield* SnapshotStore.SnapshotStore
      const script = yield* TestSource
      const lease = yield* lock.acquire("refresh:main", 30_000) // "another instance" is refreshing
      const fiber = yield* Effect.fork((yield* Refresher.Refresher).refresh(profileKey("main")))
      yield* TestClock.adjust("1 second")
      const theirs = { profile: profileKey("main"), guildId: profile().guildId, fields: { online: 7, members: 70 }, provenance: { online: { source: "widget" as const, fetchedAtMs: T0 + 1000 }, members: { source: "bot" as const, fetchedAtMs: T0 + 1000 } }, sources: [], attemptedAtMs: T0 + 1000, consecutiveFailures: 0, nextRefreshAtMs: T0 + 60_000, reasons: [], profileVersion: 1 }
      yield* store.put(theirs)
      yield* TestClock.adjust("200 millis")
      const snapshot = yield* Fiber.join(fiber)
      assert.strictEqual(snapshot.fields.online, 7)
      assert.deepStrictEqual(script.calls, { widget: 0, bot: 0, invite: 0 })
      if (lease._tag === "Some") yield* lock.release(lease.value)
    }).pipe(Effect.provide(engine())))

  it.effect("takes over when the lease holder dies (its lease expires)", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const lock = yield* Lock.Lock
      const script = yield* TestSource
      yield* lock.acquire("refresh:main", 30_000) // never released, never finishes
      const fiber = yield* Effect.fork((yield* Refresher.Refresher).refresh(profileKey("main")))
      yield* TestClock.adjust("31 seconds")
      const snapshot = yield* Fiber.join(fiber)
      assert.strictEqual(snapshot.fields.online, 120)
      assert.deepStrictEqual(script.calls, { widget: 1, bot: 1, invite: 1 })
    }).pipe(Effect.provide(engine())))
})

describe("Refresher fencing (a round outliving its lease)", () => {
  it.effect("the round of a refresher whose lease expired does not overwrite the newer holder's snapshot", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const lock = yield* Lock.Lock
      const store = yield* SnapshotStore.SnapshotStore
      const script = yield* TestSource
      for (const source of ["widget", "bot", "invite"] as const) script.set(source, { ...healthy[source], delayMs: 3000 })
      const fiber = yield* Effect.fork((yield* Refresher.Refresher).refresh(profileKey("main")))
      yield* TestClock.adjust("2500 millis") // our lease (2 s) has expired, the round is still waiting for answers
      const lease = yield* lock.acquire("refresh:main", 30_000) // "another instance" takes over
      assert.isTrue(lease._tag === "Some")
      const theirs = { profile: profileKey("main"), guildId: profile().guildId, fields: { online: 7, members: 70 }, provenance: { online: { source: "widget" as const, fetchedAtMs: T0 + 2500 }, members: { source: "bot" as const, fetchedAtMs: T0 + 2500 } }, sources: [], attemptedAtMs: T0 + 2500, consecutiveFailures: 0, nextRefreshAtMs: T0 + 60_000, reasons: [], profileVersion: 1 }
      assert.strictEqual(yield* store.put(theirs, { fencing: lease._tag === "Some" ? lease.value.fencing : 0 }), "stored")
      yield* TestClock.adjust("1 second")
      const snapshot = yield* Fiber.join(fiber)
      assert.deepStrictEqual(script.calls, { widget: 1, bot: 1, invite: 1 }, "our round did run")
      assert.strictEqual(snapshot.fields.online, 7, "the refresher answers with the newer snapshot")
      const stored = yield* store.get(profileKey("main"))
      assert.strictEqual(stored._tag === "Some" ? stored.value.fields.online : undefined, 7, "the stale round was not stored")
    }).pipe(Effect.provide(engine({ refresher: { lockLeaseMs: 2000 } }))))
})

describe("honest states: no made-up numbers, root causes in one order", () => {
  const fail = (reason: "unknown_guild" | "unknown_invite" | "widget_disabled" | "server_error" | "rate_limited", extra: object = {}) =>
    ({ _tag: "fail", error: { reason, message: reason, ...extra } }) as const

  it.effect("a mistyped guild id: unavailable with [unknown_guild] even when the profile allows demo numbers", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const stats = yield* Stats.Stats
      const script = yield* TestSource
      script.set("widget", fail("unknown_guild", { status: 404, discordCode: 10004 }))
      script.set("bot", fail("unknown_guild", { status: 404, discordCode: 10004 }))
      script.set("invite", fail("unknown_invite", { status: 404, discordCode: 10006 }))
      const view = yield* stats.get("main")
      assert.strictEqual(view.freshness.state, "unavailable")
      assert.deepStrictEqual(view.counts, {})
      assert.deepStrictEqual(view.freshness.reasons, ["unknown_guild", "unknown_invite"])
      assert.strictEqual(view.freshness.retryAfterSeconds, 30, "first probe 30 s after the misconfiguration was seen")
      // A manual refresh meets the misconfigured circuits: the root causes stay, circuit_open is added last.
      const again = yield* stats.get("main", { bypassCache: true })
      assert.strictEqual(again.freshness.state, "unavailable")
      assert.deepStrictEqual(again.freshness.reasons, ["unknown_guild", "unknown_invite", "circuit_open"])
      assert.strictEqual(script.calls.widget, 1)
    }).pipe(Effect.provide(engine({ profiles: [profile({ fallback: { demo: "when-empty" } })] }))))

  it.effect("widget off, no token, an invite of another guild: unavailable with [widget_disabled, unknown_invite]", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const stats = yield* Stats.Stats
      const script = yield* TestSource
      script.set("widget", fail("widget_disabled", { status: 403, discordCode: 50004 }))
      script.set("invite", fail("unknown_invite", { status: 404 }))
      const view = yield* stats.get("main")
      assert.strictEqual(view.freshness.state, "unavailable")
      assert.deepStrictEqual(view.counts, {})
      assert.deepStrictEqual(view.freshness.reasons, ["widget_disabled", "unknown_invite"])
      assert.strictEqual(script.calls.bot, 0, "no token: the bot is not called")
    }).pipe(Effect.provide(engine({ tokens: {}, profiles: [profile({ fallback: { demo: "when-empty" } })] }))))

  it.effect("by default (fallback never) a cold profile that cannot be refreshed is unavailable, not demo", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const profiles = yield* Profiles.Profiles
      const created = yield* profiles.create({ key: "fresh-one", label: "New", guildId: "223456789012345678" })
      assert.deepStrictEqual(created.fallback, { demo: "never" })
      const script = yield* TestSource
      for (const source of ["widget", "bot", "invite"] as const) script.set(source, fail("server_error", { status: 503 }))
      const fiber = yield* Effect.fork((yield* Stats.Stats).get("fresh-one"))
      yield* TestClock.adjust("10 seconds")
      const view = yield* Fiber.join(fiber)
      assert.strictEqual(view.freshness.state, "unavailable")
      assert.deepStrictEqual(view.counts, {})
      assert.deepStrictEqual(view.freshness.reasons, ["upstream_error"])
    }).pipe(Effect.provide(engine())))

  it.effect("reasons keep the root cause beside circuit_open, in the documented order", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const stats = yield* Stats.Stats
      const script = yield* TestSource
      yield* stats.get("main")
      script.set("widget", fail("widget_disabled", { status: 403, discordCode: 50004 }))
      script.set("bot", fail("server_error", { status: 503 }))
      script.set("invite", fail("rate_limited", { status: 429, retryAfterMs: 600_000 }))
      const rounds: Array<ReadonlyArray<string>> = []
      for (let i = 0; i < 6; i++) {
        const fiber = yield* Effect.fork(stats.get("main", { bypassCache: true }))
        yield* TestClock.adjust("10 seconds")
        rounds.push((yield* Fiber.join(fiber)).freshness.reasons)
      }
      assert.deepStrictEqual(rounds, [
        ["widget_disabled", "rate_limited", "upstream_error"],
        ["widget_disabled", "rate_limited", "upstream_error", "circuit_open"],
        ["widget_disabled", "rate_limited", "upstream_error", "circuit_open"],
        ["widget_disabled", "rate_limited", "upstream_error", "circuit_open"],
        ["widget_disabled", "rate_limited", "upstream_error", "circuit_open"],
        ["widget_disabled", "rate_limited", "upstream_error", "circuit_open"]
      ])
    }).pipe(Effect.provide(engine())))
})
