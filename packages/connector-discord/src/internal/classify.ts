/**
 * Turning a Discord answer into either a decoded body or a classified `UpstreamError` (pure).
 */
import { Either, ParseResult, Schema } from "effect"
import { UpstreamError } from "@guildpulse/core"
import type { SourceName } from "@guildpulse/core"
import { ErrorBody } from "../DiscordSchemas.js"
import type { RateLimitVerdict } from "./rateLimitHeaders.js"

/** Discord JSON error codes the connector distinguishes. */
export const DiscordCode = {
  UnknownGuild: 10004,
  UnknownInvite: 10006,
  MissingAccess: 50001,
  WidgetDisabled: 50004,
  InvalidFormBody: 50035
} as const

const MAX_MESSAGE = 300

const clip = (text: string, max: number = MAX_MESSAGE): string => {
  const oneLine = text.replace(/\s+/g, " ").trim()
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine
}

const decodeErrorBody = Schema.decodeUnknownEither(ErrorBody)

export interface ParsedErrorBody {
  readonly code?: number
  readonly message?: string
  /** `text/html` error pages of a proxy: their `<title>`. */
  readonly htmlTitle?: string
}

export const parseErrorBody = (body: string): ParsedErrorBody => {
  const trimmed = body.trim()
  if (trimmed.startsWith("{")) {
    try {
      const decoded = decodeErrorBody(JSON.parse(trimmed))
      if (Either.isRight(decoded)) {
        return {
          ...(decoded.right.code !== undefined ? { code: decoded.right.code } : {}),
          ...(decoded.right.message !== undefined ? { message: clip(decoded.right.message, 200) } : {})
        }
      }
    } catch {
      // not JSON after all: fall through
    }
  }
  const title = /<title>([^<]*)<\/title>/i.exec(trimmed)?.[1]
  return title !== undefined ? { htmlTitle: clip(title, 120) } : {}
}

const describe = (status: number, parsed: ParsedErrorBody): string => {
  if (parsed.message !== undefined) return `Discord ${status}${parsed.code !== undefined ? ` (code ${parsed.code})` : ""}: ${parsed.message}`
  if (parsed.htmlTitle !== undefined) return `Discord ${status}: HTML error page from a proxy ("${parsed.htmlTitle}")`
  return `Discord ${status}`
}

/** Classifies a non-2xx answer. `verdict` is the parsed rate-limit announcement of a 429. */
export const classifyStatus = (
  source: SourceName,
  status: number,
  body: string,
  verdict: RateLimitVerdict | undefined
): UpstreamError => {
  const parsed = parseErrorBody(body)
  const code = parsed.code !== undefined ? { discordCode: parsed.code } : {}
  const base = { source, status, ...code }
  if (status === 429) {
    const retryAfterMs = verdict?.retryAfterMs
    return new UpstreamError({
      ...base,
      reason: "rate_limited",
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      global: verdict?.global ?? false,
      scope: verdict?.scope ?? "user",
      message: `${describe(status, parsed)} (scope ${verdict?.scope ?? "user"}${retryAfterMs !== undefined ? `, retry after ${retryAfterMs} ms` : ""})`
    })
  }
  if (status === 401) return new UpstreamError({ ...base, reason: "unauthorized", message: describe(status, parsed) })
  if (status === 403) {
    return new UpstreamError({
      ...base,
      reason: parsed.code === DiscordCode.WidgetDisabled ? "widget_disabled" : "forbidden",
      message: describe(status, parsed)
    })
  }
  if (status === 404) {
    const reason =
      parsed.code === DiscordCode.UnknownGuild ? "unknown_guild" : parsed.code === DiscordCode.UnknownInvite ? "unknown_invite" : "not_found"
    return new UpstreamError({ ...base, reason, message: describe(status, parsed) })
  }
  if (status >= 500) return new UpstreamError({ ...base, reason: "server_error", message: describe(status, parsed) })
  if (status === 400 && parsed.code === DiscordCode.InvalidFormBody) {
    // Discord rejected the id or code in the path itself.
    return new UpstreamError({ ...base, reason: source === "invite" ? "unknown_invite" : "unknown_guild", message: describe(status, parsed) })
  }
  if (status >= 400) return new UpstreamError({ ...base, reason: "forbidden", message: describe(status, parsed) })
  // 1xx/3xx: not an API answer (a redirect usually means a wrong base URL); nothing to retry.
  return new UpstreamError({ ...base, reason: "decode", message: `unexpected HTTP ${status} from the Discord API (check the base URL)` })
}

/** Decodes a 2xx body with `schema`; anything unusable is a `decode` error. */
export const decodeBody = <A, I>(
  source: SourceName,
  status: number,
  contentType: string | undefined,
  body: string,
  schema: Schema.Schema<A, I>
): Either.Either<A, UpstreamError> => {
  const fail = (message: string) => Either.left(new UpstreamError({ source, reason: "decode", status, message }))
  if (body.trim() === "") return fail("empty response body")
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return fail(`response is not JSON${contentType !== undefined ? ` (${clip(contentType, 60)})` : ""}`)
  }
  return Either.mapLeft(Schema.decodeUnknownEither(schema)(json), (error) =>
    new UpstreamError({ source, reason: "decode", status, message: `unexpected response shape: ${clip(ParseResult.TreeFormatter.formatErrorSync(error))}` })
  )
}
