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
        const candidates = [...results.map((r) => r.fields[field]), prev?.fields[field]]
        assert.include(candidates, value)
        const source = merged.provenance[field]!.source
        const fromSource = source === "widget" || source === "bot" || source === "invite" ? results.find((r) => r.source === source)?.fields[field] : undefined
        assert.isTrue(fromSource === value || prev?.fields[field] === value)
      }
    }
  )
})
