/**
 * CORS for the public GET routes (the `<guildpulse-stats>` element polls the stats endpoint from other
 * sites), and — only when explicitly configured — for the admin routes (a dashboard on another origin).
 */
import type { Headers } from "./internal/http.js"

export interface CorsOptions {
  /** Origins allowed to read the public routes: a list (`https://example.com`) or `*` (default). */
  readonly origins: ReadonlyArray<string> | "*"
  /** Origins allowed to call the admin routes with a bearer key; none by default. */
  readonly adminOrigins?: ReadonlyArray<string>
  /** How long browsers may cache a preflight answer (default 600 s). */
  readonly maxAgeSeconds?: number
}

export const DEFAULT_CORS: CorsOptions = { origins: "*" }
const EXPOSED = "ETag, Retry-After, Link"
const PUBLIC_ALLOWED_HEADERS = "If-None-Match, Authorization"
const ADMIN_ALLOWED_HEADERS = "Authorization, Content-Type, If-Match, If-None-Match"

export interface Cors {
  /** Adds the headers of a simple (non-preflight) response. */
  readonly apply: (headers: Headers, origin: string | undefined, admin: boolean) => void
  /** The headers of a preflight answer (without status), or undefined when the origin is not allowed. */
  readonly preflight: (origin: string | undefined, admin: boolean, methods: ReadonlyArray<string>) => Headers | undefined
}

const normalize = (origin: string) => origin.replace(/\/+$/, "").toLowerCase()

export const make = (options: CorsOptions | false | undefined): Cors => {
  if (options === false) return { apply: () => undefined, preflight: () => undefined }
  const config = options ?? DEFAULT_CORS
  const anyOrigin = config.origins === "*"
  const publicOrigins = new Set(config.origins === "*" ? [] : config.origins.map(normalize))
  const adminOrigins = new Set((config.adminOrigins ?? []).map(normalize))
  const maxAge = String(config.maxAgeSeconds ?? 600)

  const allowedOrigin = (origin: string | undefined, admin: boolean): string | undefined => {
    if (origin === undefined) return undefined
    if (admin) return adminOrigins.has(normalize(origin)) ? origin : undefined
    if (anyOrigin) return "*"
    return publicOrigins.has(normalize(origin)) ? origin : undefined
  }

  return {
    apply: (headers, origin, admin) => {
      if (!admin && anyOrigin) {
        headers["Access-Control-Allow-Origin"] = "*"
        headers["Access-Control-Expose-Headers"] = EXPOSED
        return
      }
      // The answer depends on Origin: shared caches must key on it.
      headers["Vary"] = headers["Vary"] === undefined ? "Origin" : `${headers["Vary"]}, Origin`
      const allowed = allowedOrigin(origin, admin)
      if (allowed !== undefined) {
        headers["Access-Control-Allow-Origin"] = allowed
        headers["Access-Control-Expose-Headers"] = EXPOSED
      }
    },
    preflight: (origin, admin, methods) => {
      const allowed = allowedOrigin(origin, admin)
      if (allowed === undefined) return undefined
      const headers: Headers = {
        "Access-Control-Allow-Origin": allowed,
        "Access-Control-Allow-Methods": methods.join(", "),
        "Access-Control-Allow-Headers": admin ? ADMIN_ALLOWED_HEADERS : PUBLIC_ALLOWED_HEADERS,
        "Access-Control-Max-Age": maxAge
      }
      if (allowed !== "*") headers["Vary"] = "Origin"
      return headers
    }
  }
}
