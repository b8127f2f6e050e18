/** The behaviour every `AnalyticsStore` shares. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { Analytics, AnalyticsStore, ProfileKey } from "../index.js"

const main = ProfileKey.make("main")
const other = ProfileKey.make("other")
const sample = (profile: ProfileKey, atMs: number, online?: number): AnalyticsStore.Sample => ({
  profile,
  atMs,
  state: online === undefined ? "unavailable" : "fresh",
  ...(online !== undefined ? { online, members: online * 10 } : {})
})

const MINUTE = 60_000
const HOUR = 3_600_000
const DAY = 86_400_000

type Numbers = Omit<AnalyticsStore.Sample, "profile" | "atMs">

/** A sample a minute from `fromMs`, its numbers and state given by minute. */
const recordEachMinute = (
  store: AnalyticsStore.AnalyticsStore["Type"],
  profile: ProfileKey,
  fromMs: number,
  minutes: number,
  numbersAt: (minute: number) => Numbers
) => Effect.forEach(Array.from({ length: minutes }, (_, m) => m), (m) => store.record({ profile, atMs: fromMs + m * MINUTE, ...numbersAt(m) }), { discard: true })

/**
 * A sample a minute from `fromMs`: online 100–106 with one peak of 5000 at minute 77, members growing, every
 * tenth stale, minute 30 with no numbers (unavailable), the last one stale.
 */
const recordMinutes = (store: AnalyticsStore.AnalyticsStore["Type"], profile: ProfileKey, fromMs: number, minutes: number) =>
  recordEachMinute(store, profile, fromMs, minutes, (m): Numbers =>
    m === 30
      ? { state: "unavailable" }
      : { online: m === 77 ? 5000 : 100 + (m % 7), members: 1000 + m, state: m % 10 === 9 || m === minutes - 1 ? "stale" : "fresh" })

const assertSameSummary = (actual: AnalyticsStore.Summary, expected: AnalyticsStore.Summary, message?: string) => {
  assert.deepStrictEqual([actual.count, actual.fresh], [expected.count, expected.fresh], message)
  for (const field of ["online", "members"] as const) {
    const a = actual[field]
    const e = expected[field]
    assert.deepStrictEqual(a && { min: a.min, max: a.max, count: a.count }, e && { min: e.min, max: e.max, count: e.count }, message)
    assert.closeTo(a?.avg ?? NaN, e?.avg ?? NaN, 1e-9, message)
  }
}

export const describeAnalyticsStoreContract = (name: string, makeLayer: (namespace: string) => Layer.Layer<AnalyticsStore.AnalyticsStore, unknown>) =>
  describe(`AnalyticsStore contract: ${name}`, () => {
    it.effect("answers the samples of one profile in [from, to), oldest first, whatever the order they came in", () =>
      Effect.gen(function* () {
        const store = yield* AnalyticsStore.AnalyticsStore
        for (const at of [3000, 1000, 2000, 4000]) yield* store.record(sample(main, at, at / 100))
        yield* store.record(sample(other, 2500, 1))
        yield* store.record(sample(main, 2500))
        const got = yield* store.query({ profile: main, fromMs: 1000, toMs: 4000 })
        assert.deepStrictEqual(got.map((s) => s.atMs), [1000, 2000, 2500, 3000])
        assert.deepStrictEqual(got[0], sample(main, 1000, 10))
        assert.deepStrictEqual(got[2], sample(main, 2500), "a sample without numbers keeps none")
        assert.deepStrictEqual(yield* store.query({ profile: ProfileKey.make("nobody"), fromMs: 0, toMs: 10_000 }), [])
      }).pipe(Effect.provide(makeLayer("query"))))

    it.effect("keeps boosts and the presence sample; a bucket keeps min/max/avg of boosts", () =>
      Effect.gen(function* () {
        const store = yield* AnalyticsStore.AnalyticsStore
        const now = 100 * DAY
        const full: AnalyticsStore.Sample = {
          profile: main, atMs: now - HOUR, state: "fresh", online: 12, members: 340, boosts: 7,
          presence: { online: 6, idle: 4, dnd: 2, sampleSize: 12 }
        }
        yield* store.record(full)
        yield* store.record({ profile: main, atMs: now - HOUR + MINUTE, state: "fresh", boosts: 9 })
        assert.deepStrictEqual(yield* store.query({ profile: main, fromMs: 0, toMs: now }), [full, { profile: main, atMs: now - HOUR + MINUTE, state: "fresh", boosts: 9 }])
        yield* store.compact(now + 10 * DAY)
        const [bucket] = yield* store.query({ profile: main, fromMs: 0, toMs: now + 10 * DAY })
        assert.deepStrictEqual(bucket?.bucket?.boosts, { min: 7, max: 9, avg: 8, count: 2 })
        assert.deepStrictEqual([bucket?.boosts, bucket?.bucket?.count, bucket?.presence], [8, 2, undefined], "a bucket drops the presence sample")
      }).pipe(Effect.provide(makeLayer("boosts"))))

    it.effect("the same analytics from every store: series, aggregates and heatmap over a compacted week", () =>
      Effect.gen(function* () {
        const store = yield* AnalyticsStore.AnalyticsStore
        const now = 40 * DAY
        // Four days a minute ending now: after compaction the first two are 5-minute buckets.
        const from = now - 4 * DAY
        yield* recordEachMinute(store, main, from, 4 * 24 * 60, (m) => ({
          state: "fresh",
          online: m === 1000 ? 7000 : 50 + ((m * 7) % 90),
          members: 2000 + Math.floor(m / 100),
          boosts: 3 + Math.floor(m / 2000)
        }))
        yield* store.compact(now)
        const analytics = Analytics.make(store)
        const range = { fromMs: from, toMs: now }
        const series = yield* analytics.series(main, { ...range, maxPoints: 300 })
        assert.strictEqual(series.points.length, 300)
        assert.deepStrictEqual(series.points[299]?.atMs, now - MINUTE, "the newest sample is the last point")
        assert.strictEqual(Math.max(...series.points.map((p) => p.online?.max ?? 0)), 7000, "the peak survives compaction and downsampling")
        const aggregates = yield* analytics.aggregates(main, range)
        assert.deepStrictEqual(
          [aggregates.samples, aggregates.online?.peak, aggregates.members?.first, aggregates.members?.last, aggregates.boosts?.first, aggregates.boosts?.last],
          [5760, { value: 7000, atMs: from + 1000 * MINUTE }, 2000, 2057, 3, 5]
        )
        assert.closeTo(aggregates.online?.average ?? 0, (50 * 5760 + Array.from({ length: 5760 }, (_, m) => (m === 1000 ? 6950 : (m * 7) % 90)).reduce((a, b) => a + b, 0)) / 5760, 1e-9)
        const heatmap = yield* analytics.heatmap(main, { ...range, timeZone: "UTC" })
        assert.strictEqual(heatmap.samples.flat().reduce((a, b) => a + b, 0), 5760)
        assert.strictEqual(Math.max(...heatmap.peak.flat().map((v) => v ?? 0)), 7000)
      }).pipe(Effect.provide(makeLayer("analytics"))))

    it.effect("a series is core's downsample of the stored samples, also where the store downsamples itself", () =>
      Effect.gen(function* () {
        const store = yield* AnalyticsStore.AnalyticsStore
        const now = 40 * DAY
        const from = now - 4 * DAY
        // Four days a minute (two of them compacted into 5-minute buckets), two samples at the newest instant,
        // some without members, one peak.
        yield* recordEachMinute(store, main, from, 4 * 24 * 60, (m) => ({
          state: m % 11 === 0 ? "stale" : "fresh",
          online: m === 1234 ? 9000 : 40 + ((m * 13) % 97),
          ...(m % 17 === 0 ? {} : { members: 3000 + Math.floor(m / 50) }),
          boosts: 2 + Math.floor(m / 3000)
        }))
        yield* store.record({ profile: main, atMs: now - MINUTE, state: "fresh", online: 77, members: 3100 })
        yield* store.compact(now)
        const analytics = Analytics.make(store)
        for (const [fromMs, maxPoints] of [[from, 300], [from, 2], [from, 7], [from + 3 * DAY, 500], [from + DAY + 7 * MINUTE, 999], [from, 100_000]] as const) {
          const range = { profile: main, fromMs, toMs: now }
          if (store.downsampled !== undefined && maxPoints <= 999) {
            assert.isTrue(Option.isSome(yield* store.downsampled(range, maxPoints)), `the store downsamples ${maxPoints} points itself`)
          }
          const expected = Analytics.downsample(yield* store.query(range), { fromMs, toMs: now, maxPoints })
          const actual = (yield* analytics.series(main, { fromMs, toMs: now, maxPoints })).points
          const shape = (points: ReadonlyArray<Analytics.Point>) =>
            points.map((p) => [p.atMs, p.spanMs, p.count, ...(["online", "members", "boosts"] as const).map((f) => p[f] && [p[f].min, p[f].max, p[f].count])])
          assert.deepStrictEqual(shape(actual), shape(expected), `${maxPoints} points from ${fromMs}`)
          actual.forEach((p, i) => {
            for (const f of ["online", "members", "boosts"] as const) assert.closeTo(p[f]?.avg ?? 0, expected[i]?.[f]?.avg ?? 0, 1e-9)
          })
        }
      }).pipe(Effect.provide(makeLayer("downsampled"))))

    it.effect("prune drops what is older than the cut for every profile and says how many went; delete drops one series", () =>
      Effect.gen(function* () {
        const store = yield* AnalyticsStore.AnalyticsStore
        for (const at of [1000, 2000, 3000]) yield* store.record(sample(main, at, 5))
        for (const at of [1500, 3500]) yield* store.record(sample(other, at, 5))
        assert.strictEqual(yield* store.prune(2000), 2)
        assert.deepStrictEqual((yield* store.query({ profile: main, fromMs: 0, toMs: 10_000 })).map((s) => s.atMs), [2000, 3000])
        assert.deepStrictEqual((yield* store.query({ profile: other, fromMs: 0, toMs: 10_000 })).map((s) => s.atMs), [3500])
        yield* store.delete(main)
        assert.deepStrictEqual(yield* store.query({ profile: main, fromMs: 0, toMs: 10_000 }), [])
        assert.strictEqual((yield* store.query({ profile: other, fromMs: 0, toMs: 10_000 })).length, 1)
      }).pipe(Effect.provide(makeLayer("prune"))))

    it.effect("compact: raw for 48 h, 5-minute buckets to 30 days, hourly beyond, nothing past 90 days; peaks and averages survive", () =>
      Effect.gen(function* () {
        const store = yield* AnalyticsStore.AnalyticsStore
        const now = 100 * DAY
        const windows = { dropped: now - 91 * DAY, hourly: now - 40 * DAY, fine: now - 10 * DAY, raw: now - HOUR }
        yield* recordMinutes(store, main, windows.dropped, 60)
        yield* recordMinutes(store, main, windows.hourly, 120)
        yield* recordMinutes(store, main, windows.fine, 60)
        yield* recordMinutes(store, main, windows.raw, 60)
        const range = (fromMs: number, minutes: number) => store.query({ profile: main, fromMs, toMs: fromMs + minutes * MINUTE })
        const before = {
          hourly: AnalyticsStore.summarize(yield* range(windows.hourly, 120)),
          fine: AnalyticsStore.summarize(yield* range(windows.fine, 60)),
          raw: AnalyticsStore.summarize(yield* range(windows.raw, 60))
        }
        assert.strictEqual(before.hourly.online?.max, 5000, "the peak minute is in the raw data")

        assert.deepStrictEqual(yield* store.compact(now), { folded: 180, buckets: 14, dropped: 60 })
        assert.deepStrictEqual(yield* range(windows.dropped, 60), [], "past the 90-day retention")
        const hourly = yield* range(windows.hourly, 120)
        assert.deepStrictEqual(hourly.map((s) => [s.atMs, s.bucket?.spanMs, s.bucket?.count]), [[windows.hourly, HOUR, 60], [windows.hourly + HOUR, HOUR, 60]])
        assert.deepStrictEqual(hourly[1]?.bucket?.online && { min: hourly[1].bucket.online.min, max: hourly[1].bucket.online.max }, { min: 100, max: 5000 }, "the peak survives")
        assert.strictEqual(hourly[1]?.state, "stale", "a bucket has the state of its latest sample")
        const fine = yield* range(windows.fine, 60)
        assert.deepStrictEqual(fine.map((s) => [s.atMs - windows.fine, s.bucket?.spanMs, s.bucket?.count]), Array.from({ length: 12 }, (_, i) => [i * 5 * MINUTE, 5 * MINUTE, 5]))
        const raw = yield* range(windows.raw, 60)
        assert.deepStrictEqual([raw.length, raw.every((s) => s.bucket === undefined)], [60, true], "the last 48 h stay raw")
        assertSameSummary(AnalyticsStore.summarize(hourly), before.hourly)
        assertSameSummary(AnalyticsStore.summarize(fine), before.fine)
        assertSameSummary(AnalyticsStore.summarize(raw), before.raw)
        assert.deepStrictEqual(yield* store.compact(now), { folded: 0, buckets: 0, dropped: 0 }, "compacting again changes nothing")

        // A month later the 5-minute buckets and the (then 31-day-old) raw hour are hourly; the same summaries.
        const later = now + 31 * DAY
        assert.deepStrictEqual(yield* store.compact(later), { folded: 72, buckets: 2, dropped: 0 })
        const fineLater = yield* range(windows.fine, 60)
        assert.deepStrictEqual(fineLater.map((s) => [s.atMs, s.bucket?.spanMs, s.bucket?.count]), [[windows.fine, HOUR, 60]])
        assertSameSummary(AnalyticsStore.summarize(fineLater), before.fine)
        assertSameSummary(AnalyticsStore.summarize(yield* range(windows.raw, 60)), before.raw)
        assertSameSummary(AnalyticsStore.summarize(yield* range(windows.hourly, 120)), before.hourly)
        assertSameSummary(
          AnalyticsStore.summarize(yield* store.query({ profile: main, fromMs: 0, toMs: later })),
          AnalyticsStore.summarize([...(yield* range(windows.hourly, 120)), ...fineLater, ...(yield* range(windows.raw, 60))]),
          "a query across every tier"
        )
      }).pipe(Effect.provide(makeLayer("compact"))))

    it.effect("compact: a profile's own retention", () =>
      Effect.gen(function* () {
        const store = yield* AnalyticsStore.AnalyticsStore
        const now = 100 * DAY
        yield* recordMinutes(store, main, now - 20 * DAY, 5)
        yield* recordMinutes(store, other, now - 20 * DAY, 5)
        const report = yield* store.compact(now, { retentionByProfile: { [other]: 10 * DAY } })
        assert.deepStrictEqual(report, { folded: 5, buckets: 1, dropped: 5 })
        assert.deepStrictEqual(yield* store.query({ profile: other, fromMs: 0, toMs: now }), [])
        assert.strictEqual((yield* store.query({ profile: main, fromMs: 0, toMs: now }))[0]?.bucket?.count, 5)
      }).pipe(Effect.provide(makeLayer("retention"))))
  })
