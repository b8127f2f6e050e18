/**
 * RFC 9457 problem details, the one wire format of every HTTP error GuildPulse answers (the Express adapter's
 * API, observability's operator routes, the demo pages): `application/problem+json`
 * `{type, title, status, detail, code, errors?}`, where `type` is `urn:guildpulse:problem:<code>`, `code` is
 * stable and machine-readable and `errors` names the offending fields. Engine errors map onto statuses here,
 * in one place. Framework-free: a host writes `toHttp(response)` (or its own writer) to the wire.
 */
import { Cause, Schema } from "effect"
import { ValidationIssue } from "./Errors.js"

export const Problem = Schema.Struct({
  type: Schema.String.annotations({ description: "URI of the problem type: urn:guildpulse:problem:<code>" }),
  title: Schema.String,
  status: Schema.Int,
  detail: Schema.String,
  code: Schema.String.annotations({ description: "Stable machine-readable code, e.g. validation_failed" }),
  errors: Schema.optional(Schema.Array(ValidationIssue.annotations({ identifier: "FieldError" })))
}).annotations({ identifier: "Problem", description: "RFC 9457 problem details" })
export type Problem = typeof Problem.Type

export const PROBLEM_CONTENT_TYPE = "application/problem+json; charset=utf-8"
/** How long a client should wait after a store failure or while the engine starts. */
export const STORE_RETRY_AFTER_SECONDS = 5

export interface ProblemResponse {
  readonly problem: Problem
  readonly headers: Readonly<Record<string, string>>
}

const titles: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  412: "Precondition Failed",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable"
}

export const make = (
  status: number,
  code: string,
  detail: string,
  options: { readonly errors?: ReadonlyArray<ValidationIssue>; readonly headers?: Readonly<Record<string, string>> } = {}
): ProblemResponse => ({
  problem: {
    type: `urn:guildpulse:problem:${code}`,
    title: titles[status] ?? "Error",
    status,
    detail,
    code,
    ...(options.errors !== undefined && options.errors.length > 0 ? { errors: options.errors } : {})
  },
  headers: options.headers ?? {}
})

const expectedActual = /^Expected (.+), actual (.+)$/s
const MAX_ALTERNATIVES_LENGTH = 240
/** Messages echo the offending value; keep them short. */
const MAX_MESSAGE_LENGTH = 300
const clip = (message: string) => (message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH)}…` : message)

/**
 * Tidies the issues of a schema decoded with `errors: "all"`: an optional field also reports "Expected
 * undefined" and a union reports one issue per member. Callers want one message per field that says what
 * was expected, so: drop the `undefined` alternative when something more specific is said about the field or
 * below it, fold "Expected A / Expected B … actual X" into "Expected one of A | B, actual X", drop duplicates.
 */
export const normalizeIssues = (issues: ReadonlyArray<ValidationIssue>): ReadonlyArray<ValidationIssue> => {
  const specific = (field: string, self: ValidationIssue) =>
    issues.some((other) => other !== self && (other.field === field || other.field.startsWith(`${field}.`)) && !/^Expected undefined, actual /.test(other.message))
  const kept = issues.filter((issue) => !(/^Expected undefined, actual /.test(issue.message) && specific(issue.field, issue)))
  const byField = new Map<string, Array<string>>()
  for (const issue of kept) byField.set(issue.field, [...(byField.get(issue.field) ?? []), issue.message])
  const out: Array<ValidationIssue> = []
  for (const [field, messages] of byField) {
    const unique = [...new Set(messages)]
    const alternatives = unique.map((m) => expectedActual.exec(m))
    if (unique.length > 1 && alternatives.every((m) => m !== null) && new Set(alternatives.map((m) => m![2])).size === 1) {
      let expected = alternatives.map((m) => m![1]).join(" | ")
      if (expected.length > MAX_ALTERNATIVES_LENGTH) expected = `${expected.slice(0, MAX_ALTERNATIVES_LENGTH)}…`
      out.push({ field, message: clip(`Expected one of ${expected}, actual ${alternatives[0]![2]}`) })
    } else {
      for (const message of unique) out.push({ field, message: clip(message) })
    }
  }
  return out
}

/** Input that names the offending fields: a 400 with `errors`. */
export const invalid = (issues: ReadonlyArray<ValidationIssue>, detail?: string): ProblemResponse => {
  const errors = normalizeIssues(issues)
  return make(400, "validation_failed", detail ?? errors.map((i) => `${i.field}: ${i.message}`).join("; ").slice(0, 1000), { errors })
}

export const invalidField = (field: string, message: string): ProblemResponse => invalid([{ field, message }])

export const WWW_AUTHENTICATE = 'Bearer realm="guildpulse"'

export const unauthorized = (reason: "missing_credentials" | "invalid_credentials" | "expired" | "revoked"): ProblemResponse =>
  reason === "missing_credentials"
    ? make(401, "unauthorized", "This endpoint needs an 'Authorization: Bearer <key>' header.", {
        headers: { "WWW-Authenticate": WWW_AUTHENTICATE }
      })
    : make(401, "unauthorized", "The bearer credential is not valid.", {
        headers: { "WWW-Authenticate": `${WWW_AUTHENTICATE}, error="invalid_token"` }
      })

export const forbidden = (detail: string): ProblemResponse => make(403, "forbidden", detail)

export const notFound = (detail = "No such resource."): ProblemResponse => make(404, "not_found", detail)

export const profileNotFound = (profile: string): ProblemResponse =>
  make(404, "profile_not_found", `Profile '${profile.slice(0, 80)}' does not exist.`)

export const methodNotAllowed = (method: string, allow: ReadonlyArray<string>): ProblemResponse =>
  make(405, "method_not_allowed", `${method.slice(0, 16)} is not allowed here; allowed: ${allow.join(", ")}.`, {
    headers: { Allow: allow.join(", ") }
  })

export const tooManyRequests = (retryAfterSeconds: number): ProblemResponse =>
  make(429, "rate_limited", `Too many requests from this client for answers that need a call to Discord; retry in ${retryAfterSeconds} s (cached answers are still served).`, {
    headers: { "Retry-After": String(retryAfterSeconds) }
  })

export const unavailable = (detail: string, retryAfterSeconds = STORE_RETRY_AFTER_SECONDS): ProblemResponse =>
  make(503, "unavailable", detail, { headers: { "Retry-After": String(retryAfterSeconds) } })

export const internal = (): ProblemResponse =>
  make(500, "internal_error", "An unexpected error occurred; it has been logged.")

/**
 * Maps an expected failure of the engine (or a host's `RateLimited` / `PreconditionFailed` refusal, by tag) to a
 * problem; `undefined` for anything else.
 */
export const fromError = (error: unknown): ProblemResponse | undefined => {
  if (typeof error !== "object" || error === null || !("_tag" in error)) return undefined
  const e = error as { readonly _tag: string } & Record<string, unknown>
  switch (e._tag) {
    case "ValidationError":
      return invalid(e["issues"] as ReadonlyArray<ValidationIssue>)
    case "ProfileNotFound":
      return profileNotFound(String(e["profile"]))
    case "Conflict": {
      const expected = e["expectedVersion"]
      const actual = e["actualVersion"]
      const detail =
        e["reason"] === "already_exists"
          ? `Profile '${String(e["key"])}' already exists.`
          : `Profile '${String(e["key"])}' is at version ${actual === undefined ? "?" : String(actual)}, not ${expected === undefined ? "?" : String(expected)}; reload it and retry.`
      return make(409, "conflict", detail)
    }
    case "Unauthorized":
      return unauthorized(e["reason"] as "missing_credentials")
    case "Forbidden":
      return forbidden(String(e["detail"]))
    case "StoreError":
      return unavailable(`A store is unavailable (${String(e["store"])}: ${String(e["reason"])}); retry shortly.`)
    case "PreconditionFailed":
      return make(412, "precondition_failed", String(e["detail"]))
    case "RateLimited":
      return tooManyRequests(e["retryAfterSeconds"] as number)
    case "TokenRefused":
      // The reason is the code (invalid_token, not_a_bot, bot_not_in_guild); the message never holds the token.
      return make(422, String(e["reason"]), `Discord refused the token: ${String(e["message"])}. Nothing was stored.`, {
        errors: [{ field: "token", message: String(e["message"]) }]
      })
    case "UpstreamError":
      return make(503, "discord_unavailable", `Discord could not be asked (${String(e["reason"])}); nothing was changed. Retry shortly.`, {
        headers: { "Retry-After": String(Math.max(1, Math.ceil(((e["retryAfterMs"] as number | undefined) ?? STORE_RETRY_AFTER_SECONDS * 1000) / 1000))) }
      })
    default:
      return undefined
  }
}

/** The problem for a failed exit: expected failures map; defects and interruptions are a 500 (log them). */
export const fromCause = (cause: Cause.Cause<unknown>): { readonly response: ProblemResponse; readonly defect: boolean } => {
  const failure = Cause.failureOption(cause)
  if (failure._tag === "Some") {
    const mapped = fromError(failure.value)
    if (mapped !== undefined) return { response: mapped, defect: false }
  }
  return { response: internal(), defect: true }
}

/** The answer on the wire: status, headers (content type, `no-store`, the problem's own) and the JSON body. */
export const toHttp = (
  response: ProblemResponse
): { readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string } => ({
  status: response.problem.status,
  headers: { "content-type": PROBLEM_CONTENT_TYPE, "cache-control": "no-store", ...response.headers },
  body: JSON.stringify(response.problem)
})
