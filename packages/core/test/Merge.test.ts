import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { Merge } from "../src/index.js"
import type { SourceStats, StatsFields, UpstreamSource } from "../src/index.js"

const at = (source: UpstreamSource, fields: StatsFields, fetchedAtMs = 1000): SourceStats => ({ source, fetchedAtMs, fields })

describe("Merge", () => {
  it("takes online from the widget, members from the bot, name from the bot", () => {
    const merged = Merge.merge({
      results: [
        at("invite", { online: 90, members: 900, name: "Invite name" }),
        at("widget", { online: 100, name: "Widget name", presence: { online: 60, idle: 30, dnd: 10, sampleSize: 100 } }),
        at("bot", { online: 95, members: 1000, name: "Bot name", boosts: 7, boostTier: 2 })
      ],
      previous: undefined,
      nowMs: 1000,
      maxStaleSeconds: 600
    })
    assert.deepStrictEqual(merged.fields, {
      name: "Bot name",
      online: 100,
      members: 1000,
      boosts: 7,
      boostTier: 2,
      presence: { online: 60, idle: 30, dnd: 10, sampleSize: 100 }
    })
    assert.strictEqual(merged.provenance.online?.source, "widget")
    assert.strictEqual(merged.provenance.members?.source, "bot")
    assert.strictEqual(merged.provenance.presence?.source, "widget")
  })

  const table: ReadonlyArray<{ name: string; results: Array<SourceStats>; expect: Partial<Record<"online" | "members" | "name", [number | string, string]>> }> = [
    { name: "widget down: online from bot", results: [at("bot", { online: 5, members: 50 })], expect: { online: [5, "bot"], members: [50, "bot"] } },
    { name: "bot down: members from invite", results: [at("widget", { online: 7 }), at("invite", { online: 6, members: 60 })], expect: { online: [7, "widget"], members: [60, "invite"] } },
    { name: "only invite", results: [at("invite", { online: 6, members: 60, name: "I" })], expect: { online: [6, "invite"], members: [60, "invite"], name: ["I", "invite"] } },
    { name: "widget name when bot lacks it", results: [at("widget", { name: "W" }), at("invite", { name: "I" })], expect: { name: ["W", "widget"] } }
  ]
  for (const row of table) {
    it(row.name, () => {
      const merged = Merge.merge({ results: row.results, previous: undefined, nowMs: 1000, maxStaleSeconds: 600 })
      for (const [field, [value, source]] of Object.entries(row.expect)) {
        assert.strictEqual(merged.fields[field as "online"], value, field)
        assert.strictEqual(merged.provenance[field as "online"]?.source, source, field)
      }
    })
  }

  it("carries forward a field with its own provenance while within maxStale, then drops it", () => {
    const previous = { fields: { members: 1000, online: 80 }, provenance: { members: { source: "bot" as const, fetchedAtMs: 0 }, online: { source: "widget" as const, fetchedAtMs: 0 } } }
    const within = Merge.merge({ results: [at("widget", { online: 90 }, 500_000)], previous, nowMs: 500_000, maxStaleSeconds: 600 })
    assert.strictEqual(within.fields.members, 1000)
    assert.deepStrictEqual(within.provenance.members, { source: "bot", fetchedAtMs: 0 })
    assert.strictEqual(within.fields.online, 90)
    const beyond = Merge.merge({ results: [at("widget", { online: 90 }, 600_001)], previous, nowMs: 600_001, maxStaleSeconds: 600 })
    assert.isUndefined(beyond.fields.members)
    assert.isUndefined(beyond.provenance.members)
  })

  it("uses the profile's invite code when the widget has no instant invite", () => {
    const merged = Merge.merge({ results: [at("widget", { online: 1 })], previous: undefined, nowMs: 5, maxStaleSeconds: 60, inviteCode: "abc" })
    assert.strictEqual(merged.fields.instantInvite, "https://discord.gg/abc")
    assert.strictEqual(merged.provenance.instantInvite?.source, "profile")
  })

  it("honours a per-profile priority override", () => {
    const priority = Merge.resolvePriority({ online: ["invite", "widget"] })
    const merged = Merge.merge({ results: [at("widget", { online: 1 }), at("invite", { online: 2 })], previous: undefined, nowMs: 5, maxStaleSeconds: 60, priority })
    assert.strictEqual(merged.fields.online, 2)
  })

  const counts = FastCheck.record({ online: FastCheck.option(FastCheck.nat(1_000_000), { nil: undefined }), members: FastCheck.option(FastCheck.nat(1_000_000), { nil: undefined }) })
  it.prop(
    "a merged count always equals one source's value (never a sum)",
    [counts, counts, counts, FastCheck.option(counts, { nil: undefined })],
    ([widget, bot, invite, previous]) => {
      const clean = (c: { online: number | undefined; members: number | undefined }): StatsFields => ({
        ...(c.online !== undefined ? { online: c.online } : {}),
        ...(c.members !== undefined ? { members: c.members } : {})
      })
      const results = [at("widget", clean(widget)), at("bot", clean(bot)), at("invite", clean(invite))]
      const prev = previous === undefined ? undefined : {
        fields: clean(previous),
        provenance: { online: { source: "widget" as const, fetchedAtMs: 900 }, members: { source: "bot" as const, fetchedAtMs: 900 } }
      }
      const merged = Merge.merge({ results, previous: prev, nowMs: 1000, maxStaleSeconds: 60 })
      for (const field of ["online", "members"] as const) {
        const value = merged.fields[field]
        if (value === undefined) continue
        // Provenance names the one value expected: fresh answers are stamped 1000, the carried previous 900.
        const { source, fetchedAtMs } = merged.provenance[field]!
        const expected = fetchedAtMs === 900 ? prev?.fields[field] : results.find((r) => r.source === source)?.fields[field]
        assert.strictEqual(value, expected)
      }
    }
  )

  describe("stickiness (a higher-priority value younger than 2 × ttl beats a lower-priority one)", () => {
    // ttl 60 s: the sticky window is 120 s. Fresh answers are W/B/I, carried values w/b/i, "-" is absent.
    // Columns: which sources answered this round, in this order.
    const answered = ["", "W", "B", "I", "WB", "WI", "BI", "WBI"] as const
    const table: ReadonlyArray<{ readonly previous: UpstreamSource; readonly ageSeconds: number; readonly expect: ReadonlyArray<string> }> = [
      { previous: "widget", ageSeconds: 119, expect: ["w", "W", "w", "w", "W", "W", "w", "W"] },
      { previous: "widget", ageSeconds: 120, expect: ["w", "W", "B", "I", "W", "W", "B", "W"] },
      { previous: "widget", ageSeconds: 700, expect: ["-", "W", "B", "I", "W", "W", "B", "W"] },
      { previous: "bot", ageSeconds: 119, expect: ["b", "W", "B", "b", "W", "W", "B", "W"] },
      { previous: "bot", ageSeconds: 120, expect: ["b", "W", "B", "I", "W", "W", "B", "W"] },
      { previous: "bot", ageSeconds: 700, expect: ["-", "W", "B", "I", "W", "W", "B", "W"] },
      { previous: "invite", ageSeconds: 119, expect: ["i", "W", "B", "I", "W", "W", "B", "W"] },
      { previous: "invite", ageSeconds: 120, expect: ["i", "W", "B", "I", "W", "W", "B", "W"] },
      { previous: "invite", ageSeconds: 700, expect: ["-", "W", "B", "I", "W", "W", "B", "W"] }
    ]
    const letter: Record<UpstreamSource, string> = { widget: "W", bot: "B", invite: "I" }
    const value: Record<UpstreamSource, number> = { widget: 4321, bot: 4300, invite: 4200 }
    const nowMs = 1_000_000
    for (const row of table) {
      answered.forEach((set, column) => {
        it(`online: previous ${row.previous} aged ${row.ageSeconds} s, answered [${set}] → ${row.expect[column]}`, () => {
          const results = (["widget", "bot", "invite"] as const)
            .filter((source) => set.includes(letter[source]))
            .map((source) => at(source, { online: value[source] + 1 }, nowMs))
          const previous = { fields: { online: value[row.previous] }, provenance: { online: { source: row.previous, fetchedAtMs: nowMs - row.ageSeconds * 1000 } } }
          const merged = Merge.merge({ results, previous, nowMs, maxStaleSeconds: 600, ttlSeconds: 60 })
          const expected = row.expect[column]!
          if (expected === "-") {
            assert.isUndefined(merged.fields.online)
            return
          }
          const source = (["widget", "bot", "invite"] as const).find((s) => letter[s] === expected.toUpperCase())!
          const fresh = expected === expected.toUpperCase()
          assert.strictEqual(merged.fields.online, fresh ? value[source] + 1 : value[source])
          assert.deepStrictEqual(merged.provenance.online, { source, fetchedAtMs: fresh ? nowMs : nowMs - row.ageSeconds * 1000 })
        })
      })
    }

    it("the reported case: widget and bot throttled, invite answers — the card keeps the widget's online and the bot's members", () => {
      const previous = {
        fields: { online: 4321, members: 90_000 },
        provenance: { online: { source: "widget" as const, fetchedAtMs: 0 }, members: { source: "bot" as const, fetchedAtMs: 0 } }
      }
      const merged = Merge.merge({ results: [at("invite", { online: 4200, members: 89_000 }, 300_000)], previous, nowMs: 300_000, maxStaleSeconds: 604_800, ttlSeconds: 300 })
      assert.deepStrictEqual(merged.fields, { online: 4321, members: 90_000 })
      assert.deepStrictEqual(merged.provenance, previous.provenance)
    })

    it("a misconfigured source's carried value does not stick: the sources still answering take over", () => {
      const previous = { fields: { online: 4321 }, provenance: { online: { source: "widget" as const, fetchedAtMs: 0 } } }
      const merged = Merge.merge({ results: [at("bot", { online: 4300 }, 60_000)], previous, nowMs: 60_000, maxStaleSeconds: 604_800, ttlSeconds: 300, misconfigured: new Set(["widget"]) })
      assert.deepStrictEqual(merged.provenance.online, { source: "bot", fetchedAtMs: 60_000 })
    })

    const rank = (source: string, order: ReadonlyArray<string>) => order.indexOf(source)
    const round = FastCheck.record({
      advanceSeconds: FastCheck.integer({ min: 0, max: 400 }),
      widget: FastCheck.option(FastCheck.nat(10_000), { nil: undefined }),
      bot: FastCheck.option(FastCheck.nat(10_000), { nil: undefined }),
      invite: FastCheck.option(FastCheck.nat(10_000), { nil: undefined })
    })
    it.prop(
      "a field never moves to a lower-priority source while a higher-priority value younger than 2 × ttl exists",
      [FastCheck.array(round, { minLength: 1, maxLength: 30 }), FastCheck.integer({ min: 30, max: 3600 })],
      ([rounds, ttlSeconds]) => {
        let previous: Merge.MergedFields | undefined
        let nowMs = 0
        for (const r of rounds) {
          nowMs += r.advanceSeconds * 1000
          const results = (["widget", "bot", "invite"] as const).flatMap((source) => {
            const n = r[source]
            return n === undefined ? [] : [at(source, { online: n, members: n, name: `${source}-${n}` }, nowMs)]
          })
          const merged = Merge.merge({ results, previous, nowMs, maxStaleSeconds: 604_800, ttlSeconds })
          for (const field of ["online", "members", "name"] as const) {
            const order = Merge.defaultPriority[field]
            const before = previous?.provenance[field]
            const after = merged.provenance[field]
            if (before === undefined || nowMs - before.fetchedAtMs >= 2 * ttlSeconds * 1000 || rank(before.source, order) < 0) continue
            assert.isDefined(after, field)
            assert.isAtMost(rank(after!.source, order), rank(before.source, order), `${field}: ${before.source} → ${after!.source}`)
          }
          previous = merged
        }
      }
    )
  })
})
