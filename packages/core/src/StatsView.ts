/**
 * The view callers receive (the JSON shape of the HTTP API), and the pure function that builds it from a
 * profile, its snapshot and the clock: fresh → stale → degraded → demo → unavailable.
 */
import { Schema } from "effect"
import { GuildStats, hasHeadline, headlineFields, PresenceSample, SourceName, toGuildStats, UpstreamSource } from "./GuildStats.js"
import type { StatsFields } from "./GuildStats.js"
import type { Profile } from "./Profile.js"
import { FreshnessReason, SourceErrorCode } from "./Snapshot.js"
import type { Snapshot, SourceReport } from "./Snapshot.js"

export const FreshnessState = Schema.Literal("fresh", "stale", "degraded", "demo", "unavailable")
export type FreshnessState = typeof FreshnessState.Type

export const Freshness = Schema.Struct({
  state: FreshnessState,
  fetchedAt: Schema.NullOr(Schema.String),
  ageSeconds: Schema.NullOr(Schema.Number),
  expiresAt: Schema.NullOr(Schema.String),
  nextRefreshAt: Schema.NullOr(Schema.String),
  retryAfterSeconds: Schema.NullOr(Schema.Number),
  reasons: Schema.Array(FreshnessReason)
})
export type Freshness = typeof Freshness.Type

export const ViewSource = Schema.Struct({
  source: UpstreamSource,
  ok: Schema.Boolean,
  fetchedAt: Schema.optional(Schema.String),
  durationMs: Schema.optional(Schema.Number),
  error: Schema.optional(SourceErrorCode),
  retryAfterSeconds: Schema.optional(Schema.Number)
})
export type ViewSource = typeof ViewSource.Type

export const ViewProvenance = Schema.Record({
  key: Schema.String,
  value: Schema.Struct({ source: SourceName, fetchedAt: Schema.String })
})

export const StatsView = Schema.Struct({
  profile: Schema.String,
  guild: GuildStats.fields.guild,
  counts: GuildStats.fields.counts,
  presence: Schema.optional(PresenceSample),
  provenance: ViewProvenance,
  freshness: Freshness,
  sources: Schema.Array(ViewSource)
})
export type StatsView = typeof StatsView.Type

const iso = (ms: number): string => new Date(ms).toISOString()
const seconds = (ms: number): number => Math.max(0, Math.round(ms / 100) / 10)

/** The parts of a view that depend on the snapshot only (cached by the engine per snapshot). */
export interface ViewBody {
  readonly guild: StatsView["guild"]
  readonly counts: StatsView["counts"]
  readonly presence: StatsView["presence"]
  readonly provenance: StatsView["provenance"]
  readonly sources: StatsView["sources"]
}

export const viewSource = (report: SourceReport): ViewSource => ({
  source: report.source,
  ok: report.ok,
  ...(report.ok ? { fetchedAt: iso(report.atMs) } : {}),
  ...(report.durationMs !== undefined ? { durationMs: report.durationMs } : {}),
  ...(report.error !== undefined ? { error: report.error } : {}),
  ...(report.retryAfterMs !== undefined ? { retryAfterSeconds: seconds(report.retryAfterMs) } : {})
})

export const viewBody = (
  guildId: string,
  fields: StatsFields,
  provenance: Snapshot["provenance"],
  sources: ReadonlyArray<SourceReport>
): ViewBody => {
  const stats = toGuildStats(guildId, fields)
  const viewProvenance: Record<string, { source: SourceName; fetchedAt: string }> = {}
  for (const [field, p] of Object.entries(provenance)) {
    if (p !== undefined) viewProvenance[field] = { source: p.source, fetchedAt: iso(p.fetchedAtMs) }
  }
  return {
    guild: stats.guild,
    counts: stats.counts,
    presence: stats.presence,
    provenance: viewProvenance,
    sources: sources.map(viewSource)
  }
}

/** Age of the oldest headline field, or undefined when there is none. */
export const headlineFetchedAtMs = (snapshot: Pick<Snapshot, "provenance" | "fields">): number | undefined => {
  let oldest: number | undefined
  for (const field of headlineFields) {
    const p = snapshot.provenance[field]
    if (p !== undefined && snapshot.fields[field] !== undefined) oldest = oldest === undefined ? p.fetchedAtMs : Math.min(oldest, p.fetchedAtMs)
  }
  return oldest
}

/** True when the snapshot has headline data younger than `maxStaleSeconds` — something worth serving. */
export const isServable = (snapshot: Snapshot, profile: Profile, nowMs: number): boolean => {
  if (!hasHeadline(snapshot.fields)) return false
  const fetchedAt = headlineFetchedAtMs(snapshot)
  return fetchedAt !== undefined && nowMs - fetchedAt <= profile.refresh.maxStaleSeconds * 1000
}

/** Timestamps of a snapshot rendered once (ISO strings are the costly part of a view). */
export interface SnapshotTimes {
  readonly fetchedAtMs: number
  readonly fetchedAtIso: string
  readonly expiresAtIso: string
  readonly nextRefreshAtIso: string
  readonly ttlMs: number
}

export const snapshotTimes = (snapshot: Snapshot, profile: Profile): SnapshotTimes => {
  const fetchedAtMs = headlineFetchedAtMs(snapshot) ?? snapshot.attemptedAtMs
  const ttlMs = profile.refresh.ttlSeconds * 1000
  return {
    fetchedAtMs,
    fetchedAtIso: iso(fetchedAtMs),
    expiresAtIso: iso(fetchedAtMs + ttlMs),
    nextRefreshAtIso: iso(snapshot.nextRefreshAtMs),
    ttlMs
  }
}

/** The freshness of a servable snapshot (pure). */
export const freshnessOf = (
  snapshot: Snapshot,
  profile: Profile,
  nowMs: number,
  times: SnapshotTimes = snapshotTimes(snapshot, profile)
): Freshness => {
  const ageMs = Math.max(0, nowMs - times.fetchedAtMs)
  const isDemo = snapshot.provenance.online?.source === "demo" || snapshot.provenance.members?.source === "demo"
  const state: FreshnessState = isDemo
    ? "demo"
    : ageMs <= times.ttlMs
    ? "fresh"
    : snapshot.consecutiveFailures > 0 || snapshot.reasons.length > 0
    ? "degraded"
    : "stale"
  const waitMs = snapshot.nextRefreshAtMs - nowMs
  return {
    state,
    fetchedAt: times.fetchedAtIso,
    ageSeconds: Math.floor(ageMs / 1000),
    expiresAt: times.expiresAtIso,
    nextRefreshAt: times.nextRefreshAtIso,
    retryAfterSeconds: state === "degraded" && waitMs > 0 ? Math.ceil(waitMs / 1000) : null,
    reasons: snapshot.reasons
  }
}

/** Freshness when there is nothing to serve: `unavailable`, saying when the next attempt is. */
export const unavailableFreshness = (snapshot: Snapshot | undefined, nowMs: number): Freshness => ({
  state: "unavailable",
  fetchedAt: null,
  ageSeconds: null,
  expiresAt: null,
  nextRefreshAt: snapshot !== undefined ? iso(snapshot.nextRefreshAtMs) : null,
  retryAfterSeconds: snapshot !== undefined ? Math.ceil(Math.max(0, snapshot.nextRefreshAtMs - nowMs) / 1000) : 0,
  reasons: snapshot?.reasons ?? []
})

export const assembleView = (profile: string, body: ViewBody, freshness: Freshness): StatsView => ({
  profile,
  guild: body.guild,
  counts: body.counts,
  ...(body.presence !== undefined ? { presence: body.presence } : {}),
  provenance: body.provenance,
  freshness,
  sources: body.sources
})
