import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, TestClock } from "effect"
import { AnalyticsStore, Refresher } from "@guildpulse/core"
import type { ProfileKey } from "@guildpulse/core"
import { Alerts } from "../src/Alerts.js"
import * as Digest from "../src/Digest.js"
import * as Notifier from "../src/Notifier.js"
import type { DigestReport } from "../src/Notifier.js"
import * as Observability from "../src/Observability.js"
import { engine, profile, TestSource, profileKey } from "./fixtures.js"

const HOUR = 3_600_000

describe("Digest", () => {
  it("computes averages, peaks, growth, uptime and incidents (pure)", () => {
    const empty = Digest.compute({ profile: { key: "main" as ProfileKey, label: "Main" }, fromMs: 0, toMs: 7 * 86_400_000, samples: [], incidents: [] })
    assert.deepStrictEqual([empty.online.average, empty.members.growth, empty.freshUptime, empty.incidents.count], [null, null, null, 0])
    const digest = Digest.compute({
      profile: { key: "main" as ProfileKey, label: "Main" },
      fromMs: 0,
      toMs: 4 * HOUR,
      samples: [
        { profile: "main" as ProfileKey, atMs: 0, online: 10, members: 100, state: "fresh" },
        { profile: "main" as ProfileKey, atMs: HOUR, online: 30, members: 110, state: "fresh" },
        { profile: "main" as ProfileKey, atMs: 2 * HOUR, online: 20, members: 120, state: "degraded" },
        { profile: "main" as ProfileKey, atMs: 3 * HOUR, state: "unavailable" }
      ],
      incidents: [{ id: "x", rule: "stale_data", profile: "main", severity: "warning", title: "Data is stale", startedAtMs: HOUR, resolvedAtMs: 2 * HOUR, notified: true }],
      coverMs: HOUR
    })
    assert.deepStrictEqual(digest.online, { average: 20, peak: 30, peakAt: new Date(HOUR).toISOString() })
    assert.deepStrictEqual(digest.members, { average: 110, first: 100, last: 120, peak: 120, growth: 20, growthPercent: 20 })
    assert.strictEqual(digest.freshUptime, 0.5, "two fresh samples, each covering the ttl (an hour) of four")
    assert.deepStrictEqual(digest.incidents.byRule, { stale_data: 1 })
    assert.strictEqual(digest.incidents.items[0]!.durationMinutes, 60)
  })

  it("answers the same from the store's downsampled buckets as from the raw samples: averages, peaks, uptime", () => {
    const main = "main" as ProfileKey
    // Three hours a minute apart: one peak minute, every seventh minute stale, one without numbers.
    const raw: Array<AnalyticsStore.Sample> = Array.from({ length: 180 }, (_, m) =>
      m === 100
        ? { profile: main, atMs: m * 60_000, state: "unavailable" as const }
        : { profile: main, atMs: m * 60_000, online: m === 77 ? 900 : 40 + (m % 9), members: 1000 + m, state: m % 7 === 0 ? "stale" as const : "fresh" as const })
    const digestOf = (samples: ReadonlyArray<AnalyticsStore.Sample>) =>
      Digest.compute({ profile: { key: main, label: "Main" }, fromMs: 0, toMs: 3 * HOUR, samples, incidents: [] })
    const fromRaw = digestOf(raw)
    for (const bucketMs of [5 * 60_000, HOUR]) {
      const fromBuckets = digestOf(AnalyticsStore.fold(raw, bucketMs))
      assert.deepStrictEqual(
        [fromBuckets.samples, fromBuckets.online.average, fromBuckets.online.peak, fromBuckets.members.average, fromBuckets.members.peak, fromBuckets.freshUptime],
        [fromRaw.samples, fromRaw.online.average, 900, fromRaw.members.average, 1179, fromRaw.freshUptime]
      )
      assert.strictEqual(fromBuckets.online.peakAt, new Date(Math.floor(77 * 60_000 / bucketMs) * bucketMs).toISOString(), "the start of the bucket holding the peak")
    }
  })

  it.effect("is sent weekly on schedule through the notifiers, with the week's samples and incidents", () => {
    const ops = Notifier.recordingChannel("ops")
    const layer = Observability.layer({
      channels: [ops.channel],
      alertRules: { defaults: { stale_data: { olderThanMinutes: 30 }, presence_drop: { enabled: false }, circuit_open: { enabled: false } } },
      alerts: { run: false },
      recorder: { compactEveryMs: false }
    }).pipe(Layer.provideMerge(engine({ profiles: [profile({ refresh: { ttlSeconds: 3600, maxStaleSeconds: 604_800 } })] })))
    // Monday 2026-11-16 09:30 UTC, set before the layer starts its schedule; the digest is due Monday
    // 2026-11-23 09:00 UTC.
    return Effect.zipRight(TestClock.setTime(Date.UTC(2026, 10, 16, 9, 30)), Effect.gen(function* () {
      const script = yield* TestSource
      const refresher = yield* Refresher.Refresher
      const alerts = yield* Alerts
      const steps = 56 // every 3 hours for a week
      for (let k = 0; k < steps; k++) {
        const failing = k === 17 || k === 18
        script.set("widget", failing ? { _tag: "fail", error: { reason: "decode", message: "bad" } } : { _tag: "ok", fields: { online: 100 + (k % 8) } })
        script.set("bot", failing ? { _tag: "fail", error: { reason: "decode", message: "bad" } } : { _tag: "ok", fields: { members: 1500 + k } })
        script.set("invite", { _tag: "fail", error: { reason: "decode", message: "bad" } })
        yield* Effect.ignore(refresher.refresh(profileKey("main")))
        yield* alerts.evaluate
        yield* TestClock.adjust("3 hours")
      }
      const digests = ops.messages.filter((m): m is DigestReport => m.kind === "digest")
      assert.deepStrictEqual(digests.map((d) => d.period.to), ["2026-11-23T09:00:00.000Z"], "one digest, on Monday 09:00")
      const digest = digests[0]!
      assert.deepStrictEqual(digest.period, { from: "2026-11-16T09:00:00.000Z", to: "2026-11-23T09:00:00.000Z" })
      assert.strictEqual(digest.samples, steps - 2, "one sample per successful refresh: the two failed rounds recorded nothing")
      assert.strictEqual(digest.online.peak, 107)
      assert.strictEqual(digest.members.first, 1500)
      assert.strictEqual(digest.members.last, 1500 + steps - 1)
      assert.strictEqual(digest.members.growth, steps - 1)
      assert.strictEqual(digest.freshUptime, Math.round(((steps - 2) / 168) * 10_000) / 10_000, "each sample covers its hour of ttl, of 168 hours")
      assert.deepStrictEqual(digest.analytics, {
        timeZone: "UTC",
        latestOnline: 107,
        boosts: null,
        busiestHours: [
          { day: "Monday", hour: 6, averageOnline: 107 },
          { day: "Tuesday", hour: 6, averageOnline: 107 },
          { day: "Wednesday", hour: 6, averageOnline: 107 }
        ],
        growthRank: { rank: 1, of: 1 },
        allServers: { profiles: 1, members: 1555, online: 107, memberGrowth: 55 }
      })
      assert.strictEqual(digest.incidents.count, 1)
      assert.deepStrictEqual(
        digest.incidents.items.map((i) => [i.rule, i.durationMinutes]),
        [["stale_data", 360]],
        "stale from step 17 (data 3 h old) until step 19 refreshed it: 6 h"
      )
      const alertsSent = ops.messages.filter((m) => m.kind === "alert").map((m) => (m.kind === "alert" ? m.status : ""))
      assert.deepStrictEqual(alertsSent, ["firing", "resolved"])
    }).pipe(Effect.provide(layer)))
  })

  it.effect("Schedule.cron: nothing before Monday 09:00 UTC, one digest at it, one per week after", () => {
    const ops = Notifier.recordingChannel("ops")
    const layer = Observability.layer({ channels: [ops.channel], alerts: false, recorder: false }).pipe(
      Layer.provideMerge(engine({ profiles: [profile()] }))
    )
    const sentAt = () => ops.messages.filter((m): m is DigestReport => m.kind === "digest").map((d) => d.period.to)
    // Wednesday 2026-11-18 12:00 UTC; the next digest is due Monday 2026-11-23 09:00 UTC.
    return Effect.zipRight(TestClock.setTime(Date.UTC(2026, 10, 18, 12)), Effect.gen(function* () {
      yield* TestClock.setTime(Date.UTC(2026, 10, 23, 8, 59, 59))
      assert.deepStrictEqual(sentAt(), [])
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(sentAt(), ["2026-11-23T09:00:00.000Z"])
      yield* TestClock.adjust("7 days")
      assert.deepStrictEqual(sentAt(), ["2026-11-23T09:00:00.000Z", "2026-11-30T09:00:00.000Z"])
      yield* TestClock.adjust(Duration.minutes(7 * 24 * 60 - 1))
      assert.strictEqual(sentAt().length, 2, "not before the next Monday 09:00")
      yield* TestClock.adjust("1 minute")
      assert.deepStrictEqual(sentAt().slice(2), ["2026-12-07T09:00:00.000Z"])
    }).pipe(Effect.provide(layer)))
  })
})
