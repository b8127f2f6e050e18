/**
 * Tagged errors of the engine. Upstream trouble is modelled as data (`UpstreamError`) and becomes a
 * freshness state of the view; it never reaches a caller of `Stats.get` as a failure.
 */
import { Data, Schema } from "effect"
import type { SourceName } from "./GuildStats.js"

export const UpstreamReason = Schema.Literal(
  "rate_limited",
  "unauthorized",
  "forbidden",
  "not_found",
  "widget_disabled",
  "unknown_guild",
  "unknown_invite",
  "server_error",
  "timeout",
  "transport",
  "decode"
)
export type UpstreamReason = typeof UpstreamReason.Type

/** A failed call to one Discord source, classified. */
export class UpstreamError extends Data.TaggedError("UpstreamError")<{
  readonly source: SourceName
  readonly reason: UpstreamReason
  readonly status?: number
  readonly discordCode?: number
  readonly retryAfterMs?: number
  readonly global?: boolean
  readonly scope?: string
  readonly message: string
}> {}

/** A call refused because the circuit for (profile, source) is open. */
export class CircuitOpen extends Data.TaggedError("CircuitOpen")<{
  readonly profile: string
  readonly source: SourceName
  readonly state: "open" | "half_open" | "throttled" | "misconfigured"
  readonly retryAfterMs: number
  /** The failure that opened the circuit (the root cause shown beside `circuit_open`), when known. */
  readonly reason?: UpstreamReason
}> {}

export class ProfileNotFound extends Schema.TaggedError<ProfileNotFound>()("ProfileNotFound", {
  profile: Schema.String
}) {
  override get message(): string {
    return `Profile '${this.profile}' does not exist`
  }
}

export const ValidationIssue = Schema.Struct({
  /** Dotted path of the offending field, e.g. `refresh.ttlSeconds`. */
  field: Schema.String,
  message: Schema.String
})
export type ValidationIssue = typeof ValidationIssue.Type

export class ValidationError extends Schema.TaggedError<ValidationError>()("ValidationError", {
  issues: Schema.Array(ValidationIssue)
}) {
  override get message(): string {
    return this.issues.map((issue) => `${issue.field}: ${issue.message}`).join("; ")
  }
}

export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", {
  reason: Schema.Literal("missing_credentials", "invalid_credentials", "expired", "revoked")
}) {}

export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", {
  reason: Schema.Literal("missing_scope", "profile_not_allowed"),
  detail: Schema.String
}) {}

export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", {
  reason: Schema.Literal("version_mismatch", "already_exists"),
  entity: Schema.String,
  key: Schema.String,
  expectedVersion: Schema.optional(Schema.Number),
  actualVersion: Schema.optional(Schema.Number)
}) {}

export class StoreError extends Data.TaggedError("StoreError")<{
  readonly reason: "unavailable" | "corrupt" | "timeout"
  readonly store: string
  readonly message: string
  readonly cause?: unknown
}> {}
