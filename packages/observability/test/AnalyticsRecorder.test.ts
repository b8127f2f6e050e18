import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import { AnalyticsStore, DemoSource, ProfileKey, Refresher } from "@guildpulse/core"
import * as AnalyticsRecorder from "../src/AnalyticsRecorder.js"
import * as Observability from "../src/Observability.js"
import { engine, profile, T0, TestSource } from "./fixtures.js"

const MINUTE = 60_000
const HOUR = 3_600_000
const DAY = 86_400_000
const main = ProfileKey.make("main")

const refresh = Effect.flatMap(Refresher.Refresher, (r) => Effect.ignore(r.refresh(main)))
const all = Effect.flatMap(AnalyticsStore.AnalyticsStore, (store) => store.query({ profile: main, fromMs: 0, toMs: Number.MAX_SAFE_INTEGER }))
const failing = { _tag: "fail", error: { reason: "decode", message: "malformed body" } } as const

const recorded = (options: AnalyticsRecorder.RecorderOptions = { compactEveryMs: false }) =>
  AnalyticsRecorder.layer(options).pipe(Layer.provideMerge(AnalyticsStore.layerMemory()), Layer.provideMerge(engine()))

/** A refresher without rounds (the retention test feeds the store itself; the engine's timers are not wanted). */
const noRounds = Layer.succeed(Refresher.Refresher, Refresher.Refresher.of({
  refresh: () => Effect.dieMessage("no rounds here"),
  refreshProfile: () => Effect.dieMessage("no rounds here"),
  revalidate: () => Effect.void,
  isRefreshing: () => false,
  onRound: () => Effect.void
}))

describe("AnalyticsRecorder", () => {
  it.effect("one sample per successful live refresh: online, members, boosts and the presence sample, at the round's time", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      yield* refresh
      assert.deepStrictEqual(yield* all, [{
        profile: main, atMs: T0, state: "fresh", online: 120, members: 1500, boosts: 4,
        presence: { online: 60, idle: 25, dnd: 15, sampleSize: 100 }
      }])
    }).pipe(Effect.provide(recorded())))

  it.effect("at most one per profile per minute; a failed round records nothing", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const script = yield* TestSource
      yield* refresh
      yield* TestClock.adjust("30 seconds")
      yield* refresh
      yield* TestClock.adjust("29 seconds")
      yield* refresh
      assert.deepStrictEqual((yield* all).map((s) => s.atMs), [T0], "rounds within the minute are not recorded")
      yield* TestClock.adjust("1 second")
      yield* refresh
      script.setAll(failing)
      yield* TestClock.adjust("2 minutes")
      yield* refresh
      assert.deepStrictEqual((yield* all).map((s) => s.atMs), [T0, T0 + MINUTE], "the failed round added nothing")
    }).pipe(Effect.provide(recorded())))

  it.effect("never records a value carried forward from an earlier round", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const script = yield* TestSource
      yield* refresh
      // Only the widget answers: members and boosts in the snapshot are the previous round's.
      script.set("bot", failing)
      script.set("invite", failing)
      yield* TestClock.adjust("1 minute")
      yield* refresh
      const snapshot = yield* Effect.flatMap(Refresher.Refresher, (r) => r.refresh(main))
      assert.strictEqual(snapshot.fields.members, 1500, "the snapshot still carries members")
      const last = (yield* all)[1]
      assert.deepStrictEqual(last, { profile: main, atMs: T0 + MINUTE, state: "fresh", online: 120, presence: { online: 60, idle: 25, dnd: 15, sampleSize: 100 } })
    }).pipe(Effect.provide(recorded())))

  it.effect("never records demo numbers", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      yield* refresh
      yield* TestClock.adjust("5 minutes")
      yield* refresh
      const snapshot = yield* Effect.flatMap(Refresher.Refresher, (r) => r.refresh(main))
      assert.strictEqual(snapshot.provenance.online?.source, "demo", "the round did store demo numbers")
      assert.deepStrictEqual(yield* all, [])
    }).pipe(Effect.provide(
      AnalyticsRecorder.layer({ compactEveryMs: false }).pipe(
        Layer.provideMerge(AnalyticsStore.layerMemory()),
        Layer.provideMerge(Observability.engineMemory({ profiles: [profile()], scheduler: false }, { log: false })),
        Layer.provide(DemoSource.layer)
      )
    )))

  it.effect("a restart does not record twice within the minute (the store's newest sample counts)", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const store = yield* AnalyticsStore.AnalyticsStore
      yield* store.record({ profile: main, atMs: T0 - 30_000, state: "fresh", online: 1 })
      yield* refresh
      assert.deepStrictEqual((yield* all).map((s) => s.atMs), [T0 - 30_000])
      yield* TestClock.adjust("30 seconds")
      yield* refresh
      assert.deepStrictEqual((yield* all).map((s) => s.atMs), [T0 - 30_000, T0 + 30_000])
    }).pipe(Effect.provide(recorded())))

  // The clock is set before the layer starts its schedule (from 0 the compactions would replay 56 years).
  it.effect("retention and downsampling run by themselves over simulated months (TestClock)", () =>
    Effect.zipRight(TestClock.setTime(T0), Effect.gen(function* () {
      const start = T0
      const store = yield* AnalyticsStore.AnalyticsStore
      // A sample every 30 minutes for 100 days (recorded straight into the store: the rounds' rules are the
      // tests above); compaction runs on its own every 6 hours (hourly by default; each wake-up of the TestClock
      // costs real time, so fewer here). One peak of 9000 online on day 50.
      const steps = 100 * 48
      const peakStep = 50 * 48 + 24
      for (let k = 0; k < steps; k++) {
        yield* store.record({ profile: main, atMs: start + k * 30 * MINUTE, state: "fresh", online: k === peakStep ? 9000 : 100 + (k % 10) })
        // A day at a time (the hourly compactions of the day run during the adjustment; the day's samples are
        // recorded ahead, which the tiers leave alone until they age).
        if (k % 48 === 47) yield* TestClock.adjust("1 day")
      }
      const now = start + steps * 30 * MINUTE
      const samples = yield* all
      assert.strictEqual(samples[0]!.atMs, now - 90 * DAY, "nothing older than the 90-day retention, and all of the 90 days")
      const tier = (s: AnalyticsStore.Sample) => s.bucket?.spanMs ?? 0
      const age = (s: AnalyticsStore.Sample) => now - s.atMs
      assert.isTrue(samples.filter((s) => age(s) > 31 * DAY).every((s) => tier(s) === HOUR), "hourly beyond 30 days")
      assert.isTrue(samples.filter((s) => age(s) > 3 * DAY && age(s) < 29 * DAY).every((s) => tier(s) === 5 * MINUTE), "5-minute buckets to 30 days")
      assert.isTrue(samples.filter((s) => age(s) < 47 * HOUR).every((s) => tier(s) === 0), "raw for 48 hours")
      const peakAt = start + peakStep * 30 * MINUTE
      const holding = samples.find((s) => s.atMs <= peakAt && peakAt < s.atMs + Math.max(1, tier(s)))
      assert.deepStrictEqual([tier(holding!), holding!.bucket?.online?.max], [HOUR, 9000], "the peak survives in its hourly bucket")
      assert.strictEqual(
        samples.reduce((n, s) => n + AnalyticsStore.countOf(s).count, 0),
        steps - 10 * 48,
        "the buckets stand for every refresh of the last 90 days (the first 10 days dropped)"
      )
    }).pipe(Effect.provide(AnalyticsRecorder.layer({ compactEveryMs: 6 * HOUR }).pipe(Layer.provideMerge(AnalyticsStore.layerMemory()), Layer.provide(noRounds))))), { timeout: 180_000 })
})
