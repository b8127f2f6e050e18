/**
 * The structured event of docs/architecture.md §7: one JSON object per thing that happened. Logs are the same events.
 */
import { Schema } from "effect"

export const EventLevel = Schema.Literal("debug", "info", "warn", "error")
export type EventLevel = typeof EventLevel.Type

/**
 * `upstream.request` is one source call of a refresh round as the engine sees it (after retries, with
 * `attempt`); `upstream.attempt` is one HTTP request as a connector sends it.
 */
export const EventType = Schema.Literal(
  "upstream.request",
  "upstream.attempt",
  "refresh.succeeded",
  "refresh.failed",
  "refresh.skipped",
  "fallback.served",
  "circuit.transition",
  "ratelimit.hit",
  "ratelimit.guard",
  "scheduler.job",
  "scheduler.dead_letter",
  "alert.sent",
  "alert.failed",
  "token.set",
  "token.removed",
  "token.validated",
  "token.invalid",
  "token.rotation_due",
  "token.reencrypted",
  "key.created",
  "key.revoked",
  "profile.created",
  "profile.updated",
  "profile.deleted",
  "store.state"
)
export type EventType = typeof EventType.Type

export const RateLimitInfo = Schema.Struct({
  limit: Schema.optional(Schema.Number),
  remaining: Schema.optional(Schema.Number),
  resetAfterMs: Schema.optional(Schema.Number),
  bucket: Schema.optional(Schema.String),
  scope: Schema.optional(Schema.String)
})

export const GuildPulseEvent = Schema.Struct({
  /** Monotonic per log; the cursor of `/v1/events`. */
  id: Schema.optional(Schema.String),
  ts: Schema.String,
  level: EventLevel,
  type: EventType,
  profile: Schema.optional(Schema.String),
  source: Schema.optional(Schema.String),
  outcome: Schema.optional(Schema.String),
  durationMs: Schema.optional(Schema.Number),
  status: Schema.optional(Schema.Number),
  discordCode: Schema.optional(Schema.Number),
  retryAfterMs: Schema.optional(Schema.Number),
  rateLimit: Schema.optional(RateLimitInfo),
  circuit: Schema.optional(Schema.Struct({ from: Schema.String, to: Schema.String })),
  attempt: Schema.optional(Schema.Number),
  jobId: Schema.optional(Schema.String),
  traceId: Schema.optional(Schema.String),
  spanId: Schema.optional(Schema.String),
  message: Schema.String
})
export type GuildPulseEvent = typeof GuildPulseEvent.Type
/** An event as emitted: `id` and `ts` are filled by the log when absent. */
export type EventInput = Omit<GuildPulseEvent, "id" | "ts"> & { readonly ts?: string }
