/**
 * What the engine keeps per profile: the merged good data (each field with its provenance) and the outcome
 * of the latest refresh round. Serialisable (timestamps are epoch milliseconds) so any store can hold it.
 */
import { Schema } from "effect"
import { UpstreamReason } from "./Errors.js"
import { FieldProvenance, StatsFields, UpstreamSource } from "./GuildStats.js"
import { ProfileKey } from "./Identifiers.js"

/**
 * Why a view is not plainly fresh. Listed in `freshness.reasons` in this one stable order: misconfigurations
 * first (the operator must act), then transient upstream trouble, then `circuit_open` — which is always shown
 * *beside* the root cause that opened the circuit, never instead of it.
 */
export const FreshnessReason = Schema.Literal(
  "unknown_guild",
  "widget_disabled",
  "unknown_invite",
  "unauthorized",
  "rate_limited",
  "timeout",
  "upstream_error",
  "circuit_open"
)
export type FreshnessReason = typeof FreshnessReason.Type

/** The documented order of `freshness.reasons`. */
export const reasonOrder: ReadonlyArray<FreshnessReason> = FreshnessReason.literals

/** De-duplicates and sorts reasons into the documented order. */
export const orderReasons = (reasons: Iterable<FreshnessReason>): Array<FreshnessReason> => {
  const present = new Set(reasons)
  return reasonOrder.filter((reason) => present.has(reason))
}

/** Why a source gave nothing in a round: an upstream reason, or a refusal before any call. */
export const SourceErrorCode = Schema.Literal(...UpstreamReason.literals, "circuit_open", "token_missing")
export type SourceErrorCode = typeof SourceErrorCode.Type

/** The outcome of one source in the latest round. */
export const SourceReport = Schema.Struct({
  source: UpstreamSource,
  ok: Schema.Boolean,
  atMs: Schema.Number,
  durationMs: Schema.optional(Schema.Number),
  attempts: Schema.optional(Schema.Int),
  error: Schema.optional(SourceErrorCode),
  status: Schema.optional(Schema.Int),
  retryAfterMs: Schema.optional(Schema.Number),
  /** For `circuit_open`: the failure that opened the circuit. */
  cause: Schema.optional(UpstreamReason)
})
export type SourceReport = typeof SourceReport.Type

export const Snapshot = Schema.Struct({
  profile: ProfileKey,
  guildId: Schema.String,
  fields: StatsFields,
  provenance: Schema.partial(Schema.Record({ key: Schema.String, value: FieldProvenance })),
  sources: Schema.Array(SourceReport),
  attemptedAtMs: Schema.Number,
  lastSuccessAtMs: Schema.optional(Schema.Number),
  lastError: Schema.optional(Schema.Struct({ reason: Schema.String, message: Schema.String, atMs: Schema.Number })),
  /** Rounds in a row that refreshed no headline field while a source failed. */
  consecutiveFailures: Schema.Int,
  nextRefreshAtMs: Schema.Number,
  reasons: Schema.Array(FreshnessReason),
  profileVersion: Schema.Int,
  /**
   * What the latest round was (`RefreshPolicy.RoundOutcome`): `ok`, `failed`, `skipped` (nothing sent: every
   * usable circuit open or throttled) or `parked` (no usable source: every one misconfigured). Absent in
   * snapshots written before it existed.
   */
  round: Schema.optional(Schema.Literal("ok", "failed", "skipped", "parked"))
})
export type Snapshot = typeof Snapshot.Type

/** Maps a source's error to the reason shown in `freshness.reasons`. */
export const freshnessReason = (error: SourceErrorCode): FreshnessReason | undefined => {
  switch (error) {
    case "rate_limited":
      return "rate_limited"
    case "timeout":
      return "timeout"
    case "circuit_open":
      return "circuit_open"
    case "widget_disabled":
      return "widget_disabled"
    case "unauthorized":
    case "forbidden":
      return "unauthorized"
    case "unknown_guild":
    case "not_found":
      return "unknown_guild"
    case "unknown_invite":
      return "unknown_invite"
    case "server_error":
    case "transport":
    case "decode":
      return "upstream_error"
    case "token_missing":
      return undefined
  }
}

/** The reasons one source's report contributes: its own, or the root cause beside `circuit_open`. */
export const reportReasons = (report: SourceReport): ReadonlyArray<FreshnessReason> => {
  if (report.error === undefined) return []
  const own = freshnessReason(report.error)
  const cause = report.error === "circuit_open" && report.cause !== undefined ? freshnessReason(report.cause) : undefined
  return [...(cause !== undefined ? [cause] : []), ...(own !== undefined ? [own] : [])]
}
