/**
 * The problem details of the HTTP API: core's `Problem` module (the one RFC 9457 wire format of every
 * GuildPulse package) re-exported, plus the adapter's own refusals, which core's `fromError` maps by tag.
 */
import { Problem as Core } from "@guildpulse/core"
import { Data } from "effect"

export const Problem = Core.Problem
export type Problem = Core.Problem
export type ProblemResponse = Core.ProblemResponse

export const {
  PROBLEM_CONTENT_TYPE,
  STORE_RETRY_AFTER_SECONDS,
  WWW_AUTHENTICATE,
  forbidden,
  fromCause,
  fromError,
  internal,
  invalid,
  invalidField,
  make,
  methodNotAllowed,
  normalizeIssues,
  notFound,
  profileNotFound,
  toHttp,
  tooManyRequests,
  unauthorized,
  unavailable
} = Core

/** Refusal of the public rate limiter (internal: never leaves the adapter as anything but a 429). */
export class RateLimited extends Data.TaggedError("RateLimited")<{ readonly retryAfterSeconds: number }> {}

/** A conditional request whose precondition does not hold (`If-Match: *` on a missing profile). */
export class PreconditionFailed extends Data.TaggedError("PreconditionFailed")<{ readonly detail: string }> {}
