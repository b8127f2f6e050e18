import { readFileSync } from "node:fs"
import { ProfileInput } from "@guildpulse/core"
import { Either, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { planImport } from "../src/index.js"

const fixture = readFileSync(new URL("./fixtures/legacy-options.json", import.meta.url), "utf8")
const plan = (json: unknown) => Either.getOrThrow(planImport(json))

describe("planImport (legacy discord_server_stats_options → profiles)", () => {
  it("turns a realistic export with several profiles into valid GuildPulse profiles", () => {
    const result = plan(fixture)
    expect(result.profiles.map((p) => [p.input.key, p.input.label, p.input.guildId, p.from])).toEqual([
      ["default", "Discord server 802345678901234567", "802345678901234567", "main"],
      ["esports", "Team Esports", "803456789012345678", "server_profiles.esports"],
      ["art_club", "Art Club (FR)", "804567890123456789", "server_profiles.Art Club"],
      ["radio", "Radio night", "805678901234567890", "server_profiles.Radio"]
    ])
    for (const p of result.profiles) expect(Schema.is(ProfileInput)(Schema.decodeUnknownSync(ProfileInput)(p.input)), p.input.key).toBe(true)
    expect(result.skipped).toEqual([{ from: "server_profiles.broken", reason: "the server id is not a Discord snowflake (17-20 digits)" }])
  })

  it("lists the profiles whose token must be set again, and never copies a token", () => {
    const result = plan(fixture)
    expect(result.needsToken).toEqual(["default", "esports"])
    expect(JSON.stringify(result)).not.toContain("ZW5j")
    // Without a token the old site read Discord's public widget only.
    const art = result.profiles.find((p) => p.input.key === "art_club")
    expect(art?.input.sources).toEqual({ widget: true, bot: false, invite: true })
    expect(result.profiles[0]?.input.sources).toEqual({ widget: true, bot: true, invite: true })
  })

  it("carries the site-wide display defaults through the shortcode mapping", () => {
    const result = plan(fixture)
    expect(result.display).toEqual({
      showOnline: true,
      showMembers: true,
      showPresence: true,
      showBoosts: true,
      showServerName: true,
      showServerAvatar: false,
      theme: "light",
      icons: { online: "🟢", members: "👥" },
      labels: { online: "Connectés", members: "Membres", boosts: "Boosts" },
      colors: { background: "#202225", accent: "#5865F2" },
      invite: { url: "https://discord.gg/pulsemakers", label: "Rejoindre le serveur", show: true },
      refreshIntervalSeconds: 10
    })
    for (const p of result.profiles) expect(p.input.display).toEqual(result.display)
    expect(result.profiles[0]?.input.inviteCode).toBe("pulsemakers")
    expect(result.profiles[0]?.input.refresh).toEqual({ ttlSeconds: 600 })
    expect(result.profiles[0]?.input.fallback).toEqual({ demo: "never" })
  })

  it("says what was not imported and why", () => {
    const { warnings } = plan(fixture)
    expect(warnings.filter((w) => w.startsWith("custom_css:"))).toHaveLength(1)
    expect(warnings.some((w) => w.startsWith("analytics_alert_recipients:"))).toBe(true)
    expect(warnings.some((w) => w.startsWith("analytics_alert_webhook:"))).toBe(false) // empty: nothing lost
    expect(warnings.some((w) => w.includes("radix"))).toBe(true)
    expect(warnings.some((w) => w.startsWith("display: refresh_interval:"))).toBe(true)
  })

  it("clamps the cache duration to the ttl range and maps demo mode to the demo fallback", () => {
    const result = plan({ server_id: "802345678901234567", cache_duration: "5", demo_mode: "1" })
    expect(result.profiles[0]?.input.refresh).toEqual({ ttlSeconds: 30 })
    expect(result.profiles[0]?.input.fallback).toEqual({ demo: "when-empty" })
    expect(plan({ server_id: "802345678901234567", cache_duration: 99999 }).profiles[0]?.input.refresh).toEqual({ ttlSeconds: 3600 })
  })

  it("normalises keys like the legacy plugin and keeps them unique", () => {
    const result = plan({ server_profiles: { a: { key: "My  Server!", server_id: "802345678901234567" }, b: { key: "my_server", server_id: "803456789012345678" } } })
    expect(result.profiles.map((p) => p.input.key)).toEqual(["my_server", "my_server-2"])
  })

  it("refuses what is not the option's JSON object", () => {
    expect(Either.isLeft(planImport("{not json"))).toBe(true)
    expect(Either.isLeft(planImport("[1,2]"))).toBe(true)
    expect(Either.isLeft(planImport(null))).toBe(true)
    expect(plan({}).warnings).toEqual(["no server_id and no server_profiles: nothing to import"])
  })

  it("skips a display option of the wrong type with a warning instead of failing", () => {
    const result = plan({ server_id: "802345678901234567", stat_bg_color: { r: 1 }, accent_color: "javascript:x" })
    expect(result.display).toEqual({})
    expect(result.warnings).toEqual(["stat_bg_color: ignored, expected text, a number or a boolean", "display: accent_color: ignored, expected a hex colour or rgb()/rgba()"])
  })
})
