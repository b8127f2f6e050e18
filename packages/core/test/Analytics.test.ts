import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Either, Layer, Stream } from "effect"
import { Analytics, AnalyticsStore, ProfileKey } from "../src/index.js"

const MINUTE = 60_000
const HOUR = 3_600_000
const DAY = 86_400_000
const main = ProfileKey.make("main")
const other = ProfileKey.make("other")
/** Monday 2026-11-16 00:00 UTC. */
const MONDAY = Date.UTC(2026, 10, 16)

const raw = (profile: ProfileKey, atMs: number, online: number, members?: number, boosts?: number): AnalyticsStore.Sample => ({
  profile,
  atMs,
  online,
  state: "fresh",
  ...(members !== undefined ? { members } : {}),
  ...(boosts !== undefined ? { boosts } : {})
})

/** One sample a minute for `minutes` from `fromMs`: online 100 + minute % 50, a spike of 9999 at `spikeAt`. */
const minutes = (profile: ProfileKey, fromMs: number, count: number, spikeAt = -1) =>
  Array.from({ length: count }, (_, m) => raw(profile, fromMs + m * MINUTE, m === spikeAt ? 9999 : 100 + (m % 50), 1000 + Math.floor(m / 60)))

describe("Analytics.downsample", () => {
  it("a 7-day range at one sample a minute gives exactly the requested points, the newest last, the range evenly covered", () => {
    const samples = minutes(main, MONDAY, 7 * 24 * 60, 4321)
    const newest = samples[samples.length - 1]!
    const points = Analytics.downsample(samples, { fromMs: MONDAY, toMs: MONDAY + 7 * DAY, maxPoints: 500 })
    assert.strictEqual(points.length, 500)
    const last = points[499]!
    assert.deepStrictEqual([last.atMs, last.spanMs, last.count, last.online?.avg], [newest.atMs, 0, 1, newest.online])
    assert.strictEqual(points[0]!.atMs, MONDAY, "the first slot starts at the range's start")
    const spans = points.slice(0, -1).map((p) => p.spanMs)
    assert.isAtMost(Math.max(...spans) - Math.min(...spans), 1, "equal slots (to the millisecond of rounding)")
    for (let i = 1; i < 499; i++) assert.strictEqual(points[i]!.atMs, points[i - 1]!.atMs + points[i - 1]!.spanMs, "contiguous slots")
    assert.strictEqual(points.reduce((n, p) => n + p.count, 0), samples.length, "every sample in exactly one point")
    assert.strictEqual(Math.max(...points.map((p) => p.online?.max ?? 0)), 9999, "the spike survives as a slot's max")
    assert.strictEqual(Math.min(...points.map((p) => p.online?.min ?? Infinity)), 100)
  })

  it("with no more samples than points every sample is a point; a range without samples is empty", () => {
    const samples = minutes(main, MONDAY, 10)
    const points = Analytics.downsample(samples, { fromMs: MONDAY, toMs: MONDAY + HOUR, maxPoints: 10 })
    assert.deepStrictEqual(points.map((p) => [p.atMs, p.online?.avg]), samples.map((s) => [s.atMs, s.online]))
    assert.deepStrictEqual(Analytics.downsample(samples, { fromMs: MONDAY + HOUR, toMs: MONDAY + 2 * HOUR, maxPoints: 10 }), [])
    assert.deepStrictEqual(Analytics.downsample(samples, { fromMs: MONDAY, toMs: MONDAY + HOUR, maxPoints: 1 }).map((p) => p.atMs), [MONDAY + 9 * MINUTE])
  })

  it("buckets of the store's tiers merge by their counts (a bucket is not one sample)", () => {
    const buckets = AnalyticsStore.fold(minutes(main, MONDAY, 120), 5 * MINUTE)
    const points = Analytics.downsample([...buckets, raw(main, MONDAY + 2 * HOUR, 7)], { fromMs: MONDAY, toMs: MONDAY + 4 * HOUR, maxPoints: 3 })
    assert.deepStrictEqual(points.map((p) => p.count), [60, 60, 1])
    assert.deepStrictEqual(points.map((p) => p.online?.max), [149, 149, 7])
  })
})

describe("Analytics.aggregates", () => {
  it("average, peak with its time, growth over the range, boost trend", () => {
    const samples = [
      raw(main, MONDAY, 100, 1000, 2),
      raw(main, MONDAY + DAY, 300, 1010, 3),
      raw(main, MONDAY + 2 * DAY, 200, 1050, 4),
      raw(main, MONDAY + 3 * DAY, 200, 1100, 5)
    ]
    const a = Analytics.aggregates(samples)
    assert.strictEqual(a.samples, 4)
    assert.deepStrictEqual(a.online, {
      average: 200, min: 100, peak: { value: 300, atMs: MONDAY + DAY }, first: 100, last: 200, growth: 100, growthPercent: 100
    })
    assert.deepStrictEqual([a.members?.growth, a.members?.growthPercent, a.members?.peak], [100, 10, { value: 1100, atMs: MONDAY + 3 * DAY }])
    assert.deepStrictEqual([a.boosts?.first, a.boosts?.last, a.boosts?.growth, a.boosts?.perDay, a.boosts?.direction], [2, 5, 3, 1, "up"])
    assert.deepStrictEqual(Analytics.aggregates([]), { samples: 0, firstAtMs: null, lastAtMs: null, online: null, members: null, boosts: null })
  })

  it("the peak of a bucket is its maximum, at the bucket's start; the average weighs the samples it folds", () => {
    const folded = AnalyticsStore.fold(minutes(main, MONDAY, 60, 17), HOUR)
    const a = Analytics.aggregates([...folded, raw(main, MONDAY + 2 * HOUR, 100)])
    assert.deepStrictEqual(a.online?.peak, { value: 9999, atMs: MONDAY })
    assert.strictEqual(a.samples, 61)
    const expected = (minutes(main, MONDAY, 60, 17).reduce((s, x) => s + x.online!, 0) + 100) / 61
    assert.closeTo(a.online!.average, expected, 1e-9)
  })
})

describe("Analytics.heatmap", () => {
  it("day-of-week × hour in the given time zone", () => {
    // Monday 18:00 and 18:30 UTC are Monday 19:00 in Berlin (CET, +1); Sunday 23:30 UTC is Monday 00:30 there.
    const samples = [
      raw(main, MONDAY + 18 * HOUR, 100),
      raw(main, MONDAY + 18 * HOUR + 30 * MINUTE, 300),
      raw(main, MONDAY - 30 * MINUTE, 50)
    ]
    const berlin = Analytics.heatmap(samples, "Europe/Berlin")
    assert.deepStrictEqual([berlin.average[0]![19], berlin.peak[0]![19], berlin.samples[0]![19]], [200, 300, 2])
    assert.deepStrictEqual([berlin.average[0]![0], berlin.samples[6]![23]], [50, 0])
    const utc = Analytics.heatmap(samples, "UTC")
    assert.deepStrictEqual([utc.average[0]![18], utc.average[6]![23], utc.average[0]![19]], [200, 50, null])
    const total = berlin.samples.flat().reduce((a, b) => a + b, 0)
    assert.strictEqual(total, 3)
  })

  it("a summer time zone shifts by its daylight offset (New York in July is UTC-4)", () => {
    const july = Date.UTC(2026, 6, 6, 12) // Monday 12:00 UTC = 08:00 in New York
    assert.strictEqual(Analytics.heatmap([raw(main, july, 42)], "America/New_York").average[0]![8], 42)
  })
})

describe("Analytics.compare and report", () => {
  it("several profiles on one axis: the same slots for each, null where one has nothing", () => {
    const a = minutes(main, MONDAY, 120)
    const b = minutes(other, MONDAY + HOUR, 60).map((s) => ({ ...s, online: 7 }))
    const c = Analytics.compare([{ profile: "main", samples: a }, { profile: "other", samples: b }], { fromMs: MONDAY, toMs: MONDAY + 2 * HOUR, maxPoints: 2 })
    assert.deepStrictEqual(c.axis, [MONDAY, MONDAY + HOUR])
    assert.strictEqual(c.spanMs, HOUR)
    assert.deepStrictEqual(c.series.map((s) => s.online), [[121.17, 122.83], [null, 7]], "slot averages, to 2 decimals")
  })

  it("a report: totals of the newest numbers, a growth ranking, the busiest hours of all together", () => {
    const r = Analytics.report([
      { profile: "a", label: "A", samples: [raw(main, MONDAY + 20 * HOUR, 10, 100, 1), raw(main, MONDAY + DAY + 20 * HOUR, 30, 110, 2)] },
      { profile: "b", samples: [raw(other, MONDAY + 20 * HOUR, 5, 500, 0), raw(other, MONDAY + 2 * HOUR, 1, 560, 0)] },
      { profile: "c", samples: [] }
    ], { fromMs: MONDAY, toMs: MONDAY + 7 * DAY, timeZone: "UTC" })
    assert.deepStrictEqual(r.totals, { profiles: 3, online: 31, members: 670, boosts: 2, averageOnline: 23, memberGrowth: 70, samples: 4 })
    assert.deepStrictEqual(r.growth.map((g) => [g.profile, g.growth]), [["b", 60], ["a", 10], ["c", null]])
    assert.deepStrictEqual(r.mostActiveHours[1], { day: 0, hour: 20, average: 15 }, "two servers at the same hour add up")
    assert.deepStrictEqual(r.mostActiveHours.map((h) => [h.day, h.hour]), [[1, 20], [0, 20], [0, 2]])
  })
})

const collect = (stream: Stream.Stream<string, unknown>) => Effect.map(Stream.runCollect(stream), (c) => Chunk.toArray(c).join(""))

describe("Analytics service", () => {
  const layer = Analytics.layer.pipe(Layer.provideMerge(AnalyticsStore.layerMemory()))

  it.effect("series, aggregates and heatmap read the store; export streams CSV with a delimiter and a time zone", () =>
    Effect.gen(function* () {
      const store = yield* AnalyticsStore.AnalyticsStore
      const analytics = yield* Analytics.Analytics
      for (const s of minutes(main, MONDAY, 3 * 24 * 60)) yield* store.record(s)
      yield* store.record({ profile: main, atMs: MONDAY + 3 * DAY, state: "fresh", online: 5, boosts: 3, presence: { online: 3, idle: 1, dnd: 1, sampleSize: 5 } })
      const series = yield* analytics.series(main, { fromMs: MONDAY, toMs: MONDAY + 4 * DAY, maxPoints: 100 })
      assert.strictEqual(series.points.length, 100)
      assert.deepStrictEqual([series.points[99]!.atMs, series.points[99]!.online?.avg], [MONDAY + 3 * DAY, 5])
      assert.strictEqual((yield* analytics.aggregates(main, { fromMs: MONDAY, toMs: MONDAY + 4 * DAY })).samples, 3 * 24 * 60 + 1)

      const csv = yield* collect(analytics.export(main, { fromMs: MONDAY + 3 * DAY - MINUTE, toMs: MONDAY + 4 * DAY, format: "csv", delimiter: ";", timeZone: "Europe/Berlin" }))
      assert.strictEqual(
        csv,
        "time;profile;span_seconds;samples;state;online;online_min;online_max;members;members_min;members_max;boosts;boosts_min;boosts_max;presence_online;presence_idle;presence_dnd;presence_sample_size\n" +
          "2026-11-19T00:59:00+01:00;main;0;1;fresh;119;119;119;1071;1071;1071;;;;;;;\n" +
          "2026-11-19T01:00:00+01:00;main;0;1;fresh;5;5;5;;;;3;3;3;3;1;1;5\n"
      )
      const json = JSON.parse(yield* collect(analytics.export(main, { fromMs: MONDAY, toMs: MONDAY + 4 * DAY, format: "json" }))) as Array<Analytics.ExportRow>
      assert.strictEqual(json.length, 3 * 24 * 60 + 1)
      assert.deepStrictEqual([json[0]!.time, json[0]!.online, json[0]!.boosts], ["2026-11-16T00:00:00Z", 100, null])
      const lines = (yield* collect(analytics.export(main, { fromMs: MONDAY, toMs: MONDAY + 2 * MINUTE, format: "ndjson" }))).split("\n")
      assert.deepStrictEqual(lines.map((l) => (l === "" ? null : (JSON.parse(l) as Analytics.ExportRow).online)), [100, 101, null])
      assert.strictEqual(yield* collect(analytics.export(main, { fromMs: 0, toMs: 1, format: "json" })), "[]\n", "an empty export is an empty array")
    }).pipe(Effect.provide(layer)))
})

describe("Analytics.decodeQuery", () => {
  const now = MONDAY + 10 * DAY
  const decode = (input: unknown) => Effect.runSync(Effect.either(Analytics.decodeQuery(input, now)))
  it("defaults to the last 24 h, 500 points, UTC, JSON", () => {
    const q = decode({})
    assert.deepStrictEqual(Either.getOrThrow(q), { fromMs: now - DAY, toMs: now, maxPoints: 500, timeZone: "UTC", format: "json", delimiter: ",", profiles: [] })
    assert.deepStrictEqual(
      Either.getOrThrow(decode({ range: "7d", points: "200", tz: "Europe/Berlin", delimiter: "tab", profiles: "a,b", format: "csv" })),
      { fromMs: now - 7 * DAY, toMs: now, maxPoints: 200, timeZone: "Europe/Berlin", format: "csv", delimiter: "\t", profiles: ["a", "b"] }
    )
    assert.deepStrictEqual(Either.getOrThrow(decode({ from: "2026-11-16", to: "2026-11-17T00:00:00Z" })).fromMs, MONDAY)
  })

  it("names the field of a bad value", () => {
    const fields = (input: unknown) => Either.match(decode(input), { onLeft: (e) => e.issues.map((i) => i.field), onRight: () => [] })
    assert.deepStrictEqual(fields({ tz: "Mars/Olympus" }), ["tz"])
    assert.deepStrictEqual(fields({ points: "0" }), ["points"])
    assert.deepStrictEqual(fields({ points: "many" }), ["points"])
    assert.deepStrictEqual(fields({ from: "yesterday" }), ["from"])
    assert.deepStrictEqual(fields({ from: "2026-12-01", to: "2026-11-01" }), ["from"])
    assert.deepStrictEqual(fields({ delimiter: "x" }), ["delimiter"])
    assert.deepStrictEqual(fields({ range: "1y" }), ["range"])
    assert.deepStrictEqual(fields({ from: "2024-01-01", to: "2026-01-01" }), ["from"])
  })
})
