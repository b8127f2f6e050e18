/**
 * Connector settings: where Discord is, how long one attempt may take, the request budgets, and the
 * invalid-request guard. Every default is a named constant below; `layerConfig` reads the environment
 * (docs/architecture.md §10), `layer` takes options in code.
 */
import { Config, ConfigError, Context, Effect, Either, Layer } from "effect"

export const DEFAULT_BASE_URL = "https://discord.com/api"
export const API_VERSION = 10
export const DEFAULT_CDN_URL = "https://cdn.discordapp.com"
export const PROJECT_URL = "https://github.com/guildpulse/guildpulse"
/** Kept equal to package.json's version (a test checks it). */
export const CONNECTOR_VERSION = "0.1.0"
/** Discord asks for `DiscordBot (<url>, <version>)`; without one Cloudflare may block (code 40333). */
export const DEFAULT_USER_AGENT = `DiscordBot (${PROJECT_URL}, ${CONNECTOR_VERSION})`
/** One HTTP attempt (connect, send, headers and body); docs/architecture.md §3 per-attempt timeout. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000
/** Discord's documented global limit per bot token. */
export const DEFAULT_GLOBAL_REQUESTS_PER_SECOND = 50
/** Budget for calls without a token (limited per egress IP by Discord). */
export const DEFAULT_UNAUTHENTICATED_REQUESTS_PER_SECOND = 50
/**
 * Added to the 1 s global window, on top of the round-trip time the in-process budget already accounts for
 * (a place is held until 1 s after the answer): absorbs timer and millisecond-rounding jitter, and is the
 * whole safety margin of the store's fixed window when several instances share a budget.
 */
export const DEFAULT_GLOBAL_WINDOW_MARGIN_MS = 5
/** A known wait longer than this is not spent inside a call: the call fails `rate_limited` with the wait. */
export const DEFAULT_MAX_RATE_LIMIT_WAIT_MS = 2_000
/** A tenth of Discord's 10,000 per 10 minutes Cloudflare ban threshold. */
export const DEFAULT_INVALID_REQUEST_LIMIT = 1_000
export const DEFAULT_INVALID_REQUEST_WINDOW_MS = 600_000
/** `retryAfterMs` of a call refused by the tripped guard (the guard is re-checked on every call). */
export const DEFAULT_GUARD_RETRY_AFTER_MS = 60_000
/** A 429 that announces no wait at all (e.g. from a proxy) blocks its scope this long. */
export const DEFAULT_UNANNOUNCED_RETRY_AFTER_MS = 5_000
export const DEFAULT_ICON_SIZE = 256
export const DEFAULT_BANNER_SIZE = 1024
/** Names the unauthenticated budget in the `RateLimitStore`: instances behind one egress IP share it. */
export const DEFAULT_EGRESS_ID = "default"

export interface DiscordOptions {
  /** API base without the version, e.g. `https://discord.com/api` or `${sandbox.url}/api`. */
  readonly baseUrl: string
  readonly cdnUrl: string
  readonly userAgent: string
  readonly requestTimeoutMs: number
  readonly globalRequestsPerSecond: number
  readonly unauthenticatedRequestsPerSecond: number
  readonly globalWindowMarginMs: number
  readonly maxRateLimitWaitMs: number
  readonly invalidRequestLimit: number
  readonly invalidRequestWindowMs: number
  readonly guardRetryAfterMs: number
  readonly unannouncedRetryAfterMs: number
  /** `?size=` of icon URLs: a power of two from 16 to 4096. */
  readonly iconSize: number
  readonly bannerSize: number
  readonly egressId: string
  /**
   * Also emit `@effect/platform`'s `http.client` span per request (nested in `discord.request`, with the
   * request and response headers as attributes, Authorization redacted). Off by default: `discord.request`
   * already carries method, path, status and rate-limit state, and header attributes cost ~0.1 ms a call.
   */
  readonly httpClientSpans: boolean
}

export const defaultOptions: DiscordOptions = {
  baseUrl: DEFAULT_BASE_URL,
  cdnUrl: DEFAULT_CDN_URL,
  userAgent: DEFAULT_USER_AGENT,
  requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  globalRequestsPerSecond: DEFAULT_GLOBAL_REQUESTS_PER_SECOND,
  unauthenticatedRequestsPerSecond: DEFAULT_UNAUTHENTICATED_REQUESTS_PER_SECOND,
  globalWindowMarginMs: DEFAULT_GLOBAL_WINDOW_MARGIN_MS,
  maxRateLimitWaitMs: DEFAULT_MAX_RATE_LIMIT_WAIT_MS,
  invalidRequestLimit: DEFAULT_INVALID_REQUEST_LIMIT,
  invalidRequestWindowMs: DEFAULT_INVALID_REQUEST_WINDOW_MS,
  guardRetryAfterMs: DEFAULT_GUARD_RETRY_AFTER_MS,
  unannouncedRetryAfterMs: DEFAULT_UNANNOUNCED_RETRY_AFTER_MS,
  iconSize: DEFAULT_ICON_SIZE,
  bannerSize: DEFAULT_BANNER_SIZE,
  egressId: DEFAULT_EGRESS_ID,
  httpClientSpans: false
}

export class DiscordConfig extends Context.Tag("@guildpulse/connector-discord/DiscordConfig")<DiscordConfig, DiscordOptions>() {}

const invalid = (path: string, message: string): ConfigError.ConfigError => ConfigError.InvalidData([path], message)

const normalizeBase = (field: string, raw: string): Either.Either<string, ConfigError.ConfigError> => {
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    return Either.left(invalid(field, `must be an absolute http(s) URL, got '${raw}'`))
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return Either.left(invalid(field, "must use http or https"))
  if (url.username !== "" || url.password !== "") return Either.left(invalid(field, "must not contain credentials"))
  url.search = ""
  url.hash = ""
  // Accept `…/api/v10` too: the version is added per request.
  const path = url.pathname.replace(/\/+$/, "").replace(/\/v\d+$/, "")
  return Either.right(`${url.origin}${path}`)
}

const isPowerOfTwoSize = (n: number): boolean => Number.isInteger(n) && n >= 16 && n <= 4096 && (n & (n - 1)) === 0

/** Fills in defaults and validates; errors name the option. */
export const resolve = (options: Partial<DiscordOptions> = {}): Either.Either<DiscordOptions, ConfigError.ConfigError> =>
  Either.gen(function* () {
    const merged: DiscordOptions = { ...defaultOptions, ...stripUndefined(options) }
    const baseUrl = yield* normalizeBase("baseUrl", merged.baseUrl)
    const cdnUrl = yield* normalizeBase("cdnUrl", merged.cdnUrl)
    const positiveInts = [
      "requestTimeoutMs",
      "globalRequestsPerSecond",
      "unauthenticatedRequestsPerSecond",
      "invalidRequestLimit",
      "invalidRequestWindowMs",
      "guardRetryAfterMs",
      "unannouncedRetryAfterMs"
    ] as const
    for (const key of positiveInts) {
      const value = merged[key]
      if (!Number.isInteger(value) || value < 1) return yield* Either.left(invalid(key, `must be an integer >= 1, got ${value}`))
    }
    for (const key of ["globalWindowMarginMs", "maxRateLimitWaitMs"] as const) {
      const value = merged[key]
      if (!Number.isFinite(value) && value !== Infinity) return yield* Either.left(invalid(key, "must be a number"))
      if (value < 0) return yield* Either.left(invalid(key, `must be >= 0, got ${value}`))
    }
    for (const key of ["iconSize", "bannerSize"] as const) {
      if (!isPowerOfTwoSize(merged[key])) return yield* Either.left(invalid(key, "must be a power of two from 16 to 4096"))
    }
    if (merged.userAgent.trim() === "") return yield* Either.left(invalid("userAgent", "must not be empty"))
    if (merged.egressId.trim() === "") return yield* Either.left(invalid("egressId", "must not be empty"))
    return { ...merged, baseUrl, cdnUrl }
  })

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {}
  for (const [k, v] of Object.entries(value)) if (v !== undefined) (out as Record<string, unknown>)[k] = v
  return out
}

export const make = (options: Partial<DiscordOptions> = {}): Effect.Effect<DiscordOptions, ConfigError.ConfigError> =>
  Either.match(resolve(options), { onLeft: Effect.fail, onRight: Effect.succeed })

export const layer = (options: Partial<DiscordOptions> = {}): Layer.Layer<DiscordConfig, ConfigError.ConfigError> =>
  Layer.effect(DiscordConfig, make(options))

/**
 * The environment of docs/architecture.md §10: `DISCORD_API_BASE_URL` (default Discord's), plus optional
 * `DISCORD_CDN_URL`, `DISCORD_USER_AGENT`, `DISCORD_REQUEST_TIMEOUT_MS`, `DISCORD_GLOBAL_REQUESTS_PER_SECOND`,
 * `DISCORD_UNAUTHENTICATED_REQUESTS_PER_SECOND`, `DISCORD_MAX_RATE_LIMIT_WAIT_MS`,
 * `DISCORD_INVALID_REQUEST_LIMIT`, `DISCORD_INVALID_REQUEST_WINDOW_MS`, `DISCORD_EGRESS_ID`,
 * `DISCORD_HTTP_CLIENT_SPANS`.
 */
export const fromEnv: Config.Config<Partial<DiscordOptions>> = Config.all({
  baseUrl: Config.string("DISCORD_API_BASE_URL").pipe(Config.withDefault(DEFAULT_BASE_URL)),
  cdnUrl: Config.string("DISCORD_CDN_URL").pipe(Config.withDefault(DEFAULT_CDN_URL)),
  userAgent: Config.string("DISCORD_USER_AGENT").pipe(Config.withDefault(DEFAULT_USER_AGENT)),
  requestTimeoutMs: Config.integer("DISCORD_REQUEST_TIMEOUT_MS").pipe(Config.withDefault(DEFAULT_REQUEST_TIMEOUT_MS)),
  globalRequestsPerSecond: Config.integer("DISCORD_GLOBAL_REQUESTS_PER_SECOND").pipe(
    Config.withDefault(DEFAULT_GLOBAL_REQUESTS_PER_SECOND)
  ),
  unauthenticatedRequestsPerSecond: Config.integer("DISCORD_UNAUTHENTICATED_REQUESTS_PER_SECOND").pipe(
    Config.withDefault(DEFAULT_UNAUTHENTICATED_REQUESTS_PER_SECOND)
  ),
  maxRateLimitWaitMs: Config.integer("DISCORD_MAX_RATE_LIMIT_WAIT_MS").pipe(Config.withDefault(DEFAULT_MAX_RATE_LIMIT_WAIT_MS)),
  invalidRequestLimit: Config.integer("DISCORD_INVALID_REQUEST_LIMIT").pipe(Config.withDefault(DEFAULT_INVALID_REQUEST_LIMIT)),
  invalidRequestWindowMs: Config.integer("DISCORD_INVALID_REQUEST_WINDOW_MS").pipe(
    Config.withDefault(DEFAULT_INVALID_REQUEST_WINDOW_MS)
  ),
  egressId: Config.string("DISCORD_EGRESS_ID").pipe(Config.withDefault(DEFAULT_EGRESS_ID)),
  httpClientSpans: Config.boolean("DISCORD_HTTP_CLIENT_SPANS").pipe(Config.withDefault(false))
})

/**
 * Options read with Effect `Config`, in the Effect monorepo's shape: a `Config` of the options or a record of one
 * `Config` per option (`{ baseUrl: Config.string("MY_BASE"), requestTimeoutMs: Config.succeed(5000) }`, a `Config.Config.Wrap`);
 * the environment (`fromEnv`) by default. Options left out take their defaults.
 */
export const layerConfig = (config: Config.Config.Wrap<Partial<DiscordOptions>> = fromEnv): Layer.Layer<DiscordConfig, ConfigError.ConfigError> =>
  Layer.effect(DiscordConfig, Effect.flatMap(Config.unwrap<Partial<DiscordOptions>>(config), make))
