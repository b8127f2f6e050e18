import type { FreshnessState, StatsView } from "@guildpulse/core"

/** The fixed clock of every rendering test: 42 s after `FETCHED_AT`. */
export const NOW_MS = Date.parse("2026-03-01T12:00:42.000Z")
export const FETCHED_AT = "2026-03-01T12:00:00.000Z"

export const freshView: StatsView = {
  profile: "main",
  guild: {
    id: "123456789012345678",
    name: "GuildPulse Lounge",
    iconUrl: "https://cdn.discordapp.com/icons/123456789012345678/a1b2c3.png",
    description: "A friendly place to talk about live numbers.",
    instantInvite: "https://discord.com/invite/gplounge"
  },
  counts: { online: 1234, members: 56789, boosts: 14, boostTier: 3 },
  presence: { online: 61, idle: 27, dnd: 12, sampleSize: 100 },
  provenance: {
    online: { source: "widget", fetchedAt: FETCHED_AT },
    members: { source: "bot", fetchedAt: FETCHED_AT },
    boosts: { source: "bot", fetchedAt: FETCHED_AT },
    presence: { source: "widget", fetchedAt: FETCHED_AT }
  },
  freshness: {
    state: "fresh",
    fetchedAt: FETCHED_AT,
    ageSeconds: 42,
    expiresAt: "2026-03-01T12:05:00.000Z",
    nextRefreshAt: "2026-03-01T12:04:30.000Z",
    retryAfterSeconds: null,
    reasons: []
  },
  sources: [
    { source: "widget", ok: true, fetchedAt: FETCHED_AT, durationMs: 85 },
    { source: "bot", ok: true, fetchedAt: FETCHED_AT, durationMs: 120 }
  ]
}

export const viewIn = (state: FreshnessState): StatsView => {
  switch (state) {
    case "fresh":
      return freshView
    case "stale":
      return { ...freshView, freshness: { ...freshView.freshness, state: "stale", ageSeconds: 400 } }
    case "degraded":
      return {
        ...freshView,
        freshness: { ...freshView.freshness, state: "degraded", ageSeconds: 1800, retryAfterSeconds: 64, reasons: ["rate_limited"] }
      }
    case "demo":
      return {
        ...freshView,
        provenance: {
          online: { source: "demo", fetchedAt: FETCHED_AT },
          members: { source: "demo", fetchedAt: FETCHED_AT }
        },
        freshness: { ...freshView.freshness, state: "demo" }
      }
    case "unavailable":
      return {
        profile: "main",
        guild: { id: "123456789012345678" },
        counts: {},
        provenance: {},
        freshness: {
          state: "unavailable",
          fetchedAt: null,
          ageSeconds: null,
          expiresAt: null,
          nextRefreshAt: "2026-03-01T12:01:12.000Z",
          retryAfterSeconds: 30,
          reasons: ["upstream_error"]
        },
        sources: [{ source: "widget", ok: false, error: "server_error" }]
      }
  }
}

/** An unavailable view whose sources failed for `reasons` (e.g. a mistyped guild id: `["unknown_guild"]`). */
export const unavailableFor = (reasons: StatsView["freshness"]["reasons"], retryAfterSeconds: number | null = 3600): StatsView => {
  const base = viewIn("unavailable")
  return { ...base, freshness: { ...base.freshness, retryAfterSeconds, reasons } }
}

/** Fresh numbers while some source is failing (e.g. the bot was rate-limited, the widget answered). */
export const partialView: StatsView = { ...freshView, freshness: { ...freshView.freshness, reasons: ["rate_limited"] } }
