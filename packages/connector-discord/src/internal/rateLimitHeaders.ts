/**
 * Parsing of Discord's rate-limit information: the `X-RateLimit-*` headers, `Retry-After`, and the 429 body.
 * Pure functions over lower-cased header records (what `@effect/platform` gives).
 */
import { Either, Schema } from "effect"
import { RateLimitBody } from "../DiscordSchemas.js"

export type HeaderRecord = Readonly<Record<string, string | undefined>>

/** What the headers of one response say about its bucket. */
export interface RateLimitHeaders {
  readonly limit?: number
  readonly remaining?: number
  /** `X-RateLimit-Reset-After` in milliseconds (relative; preferred over the absolute reset). */
  readonly resetAfterMs?: number
  /** `X-RateLimit-Reset` in epoch milliseconds (absolute; subject to clock skew). */
  readonly resetAtMs?: number
  readonly bucket?: string
  /** `X-RateLimit-Global: true`. */
  readonly global: boolean
  /** `X-RateLimit-Scope`: user, global or shared. */
  readonly scope?: string
  /** `Retry-After` in milliseconds (seconds, integer or decimal; an HTTP date is accepted too). */
  readonly retryAfterMs?: number
  /**
   * When the server processed the request, on the server's clock (epoch ms): `Reset − Reset-After`, both
   * of which Discord computes at that instant.
   */
  readonly serverTimeMs?: number
}

const finiteNumber = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (trimmed === "") return undefined
  const n = Number(trimmed)
  return Number.isFinite(n) ? n : undefined
}

const nonNegativeMs = (seconds: number | undefined): number | undefined =>
  seconds === undefined || seconds < 0 ? undefined : Math.ceil(seconds * 1000)

/** `Retry-After`: delta-seconds (Discord sends an integer; decimals accepted) or an HTTP date. */
export const parseRetryAfter = (value: string | undefined, nowMs: number): number | undefined => {
  const seconds = finiteNumber(value)
  if (seconds !== undefined) return nonNegativeMs(seconds)
  if (value === undefined) return undefined
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs)
}

export const parseRateLimitHeaders = (headers: HeaderRecord, nowMs: number): RateLimitHeaders => {
  const limit = finiteNumber(headers["x-ratelimit-limit"])
  const remaining = finiteNumber(headers["x-ratelimit-remaining"])
  const resetAfterMs = nonNegativeMs(finiteNumber(headers["x-ratelimit-reset-after"]))
  const resetSeconds = finiteNumber(headers["x-ratelimit-reset"])
  const bucket = headers["x-ratelimit-bucket"]
  const scope = headers["x-ratelimit-scope"]
  const retryAfterMs = parseRetryAfter(headers["retry-after"], nowMs)
  const resetAfterSeconds = finiteNumber(headers["x-ratelimit-reset-after"])
  const serverTimeMs =
    resetSeconds !== undefined && resetSeconds > 0 && resetAfterSeconds !== undefined && resetAfterSeconds >= 0
      ? Math.round(resetSeconds * 1000) - Math.round(resetAfterSeconds * 1000)
      : undefined
  return {
    ...(limit !== undefined && limit >= 0 ? { limit: Math.floor(limit) } : {}),
    ...(remaining !== undefined && remaining >= 0 ? { remaining: Math.floor(remaining) } : {}),
    ...(resetAfterMs !== undefined ? { resetAfterMs } : {}),
    ...(resetSeconds !== undefined && resetSeconds > 0 ? { resetAtMs: Math.round(resetSeconds * 1000) } : {}),
    ...(bucket !== undefined && bucket !== "" ? { bucket } : {}),
    global: headers["x-ratelimit-global"]?.trim().toLowerCase() === "true",
    ...(scope !== undefined && scope !== "" ? { scope: scope.trim().toLowerCase() } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(serverTimeMs !== undefined ? { serverTimeMs } : {})
  }
}

/** The bucket state to remember, when the headers carry a complete one. */
export const bucketObservation = (
  rl: RateLimitHeaders,
  nowMs: number
): { readonly limit: number; readonly remaining: number; readonly resetAfterMs: number } | undefined => {
  if (rl.limit === undefined || rl.remaining === undefined) return undefined
  // The store takes the reset relative to now: prefer Reset-After (no clock involved) over the epoch Reset.
  const resetAfterMs = rl.resetAfterMs ?? (rl.resetAtMs !== undefined ? Math.max(0, rl.resetAtMs - nowMs) : undefined)
  return resetAfterMs === undefined ? undefined : { limit: rl.limit, remaining: rl.remaining, resetAfterMs }
}

const decodeRateLimitBody = Schema.decodeUnknownEither(RateLimitBody)

/** The 429 body's `retry_after` (float seconds) and `global`, when the body is Discord's JSON. */
export const parseRateLimitBody = (body: string): { readonly retryAfterMs?: number; readonly global?: boolean } => {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return {}
  }
  const decoded = decodeRateLimitBody(json)
  if (Either.isLeft(decoded)) return {}
  const retryAfterMs = nonNegativeMs(decoded.right.retry_after)
  return {
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(decoded.right.global !== undefined ? { global: decoded.right.global } : {})
  }
}

export type RetryAfterSource = "body" | "header" | "reset-after" | "none"

export interface RateLimitVerdict {
  readonly retryAfterMs: number | undefined
  /** Which form announced the wait. */
  readonly from: RetryAfterSource
  readonly global: boolean
  /** user, global or shared (Discord's wording); inferred when the header is missing. */
  readonly scope: string
}

/**
 * What a 429 announces. The wait is taken from whichever form is present, most precise first: the body's
 * float `retry_after`, then `Retry-After` (seconds, possibly decimal), then `X-RateLimit-Reset-After`.
 */
export const rateLimitVerdict = (rl: RateLimitHeaders, body: string): RateLimitVerdict => {
  const fromBody = parseRateLimitBody(body)
  const global = rl.global || fromBody.global === true || rl.scope === "global"
  const scope = rl.scope ?? (global ? "global" : "user")
  if (fromBody.retryAfterMs !== undefined) return { retryAfterMs: fromBody.retryAfterMs, from: "body", global, scope }
  if (rl.retryAfterMs !== undefined) return { retryAfterMs: rl.retryAfterMs, from: "header", global, scope }
  if (rl.resetAfterMs !== undefined) return { retryAfterMs: rl.resetAfterMs, from: "reset-after", global, scope }
  return { retryAfterMs: undefined, from: "none", global, scope }
}
