/**
 * The Discord routes (widget.json, guild, invite, users/@me), as a pipeline of stages, in order:
 *   route match (404) → method (405) → scenario transport effects (slow latency, connection-reset, timeout)
 *   → authorization (401) → edge failures (outage, flapping: 5xx without rate-limit headers)
 *   → global limit per bot / per IP (429 global) → route bucket (429 user, or the rate-limited scenario)
 *   → payload (malformed, widget-disabled, unknown-guild, fixtures).
 * Each stage answers (and the pipeline ends) or lets the request through.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { countsAt, inviteCountsAt } from "../Drift.js"
import type { BotFixture } from "../Fixtures.js"
import type { BucketState, ViolationInfo } from "../RateLimiter.js"
import {
  DEFAULT_FAIL_EVERY_N,
  DEFAULT_MALFORMED_KIND,
  DEFAULT_OUTAGE_STATUS,
  DEFAULT_RETRY_AFTER_SECONDS,
  type RouteName,
  type ScenarioMode,
  type ScenarioParams
} from "../Scenario.js"
import type { StatsRoute } from "../Stats.js"
import {
  guildBody,
  invalidSnowflake,
  inviteBody,
  malformedPage,
  meBody,
  METHOD_NOT_ALLOWED,
  NOT_FOUND,
  outagePage,
  type Page,
  UNAUTHORIZED,
  UNKNOWN_GUILD,
  UNKNOWN_INVITE,
  WIDGET_DISABLED,
  widgetBody
} from "./bodies.js"
import { isClosed, json, write } from "./http.js"
import { isSnowflake, matchDiscordRoute, wantsCounts } from "./routes.js"
import type { SandboxState } from "./state.js"

type Auth = { readonly kind: "none" } | { readonly kind: "bot"; readonly token: string } | { readonly kind: "malformed" }

const parseAuthorization = (header: string | undefined): Auth => {
  if (header === undefined || header.trim() === "") return { kind: "none" }
  const m = /^Bot\s+(\S+)\s*$/.exec(header)
  return m?.[1] === undefined ? { kind: "malformed" } : { kind: "bot", token: m[1] }
}

const clientIp = (req: IncomingMessage): string => {
  const raw = req.socket.remoteAddress ?? "unknown"
  return raw.startsWith("::ffff:") ? raw.slice(7) : raw
}

/** Milliseconds as Discord's seconds-with-3-decimals, rounded up so clients never wake up early. */
const seconds = (ms: number): string => (Math.ceil(ms) / 1000).toFixed(3)

const bucketHeaders = (bucket: BucketState): Record<string, string> => ({
  "X-RateLimit-Limit": String(bucket.limit),
  "X-RateLimit-Remaining": String(bucket.remaining),
  "X-RateLimit-Reset": seconds(bucket.resetAtMs),
  "X-RateLimit-Reset-After": seconds(bucket.resetAfterMs),
  "X-RateLimit-Bucket": bucket.bucket
})

const rateLimited = (retryAfterMs: number, global: boolean): Page => ({
  contentType: "application/json",
  body: `{"message":"You are being rate limited.","retry_after":${seconds(retryAfterMs)},"global":${global}${global ? ',"code":0' : ""}}`
})

const retryAfterHeader = (retryAfterMs: number): string => String(Math.max(1, Math.ceil(retryAfterMs / 1000)))

/** One Discord request on its way through the pipeline. */
interface Call {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly url: URL
  readonly route: RouteName
  readonly major: string
  readonly mode: ScenarioMode
  readonly params: ScenarioParams
  /** How many requests the active scenario has matched (flapping). */
  readonly matched: number | undefined
  readonly reply: (status: number, page: Page, headers?: Record<string, string>, sharedScope?: boolean) => void
}

/** Latency, connection reset and held requests; false when the request must go no further. */
const transport = async (state: SandboxState, call: Call, latencyMs: number): Promise<boolean> => {
  if (latencyMs > 0) await state.timers.delay(latencyMs)
  if (call.mode === "connection-reset") {
    state.stats.outcome(call.route, "connection-reset")
    call.req.socket.destroy()
    return false
  }
  if (call.mode === "timeout") {
    if (call.params.holdMs === undefined) {
      state.stats.outcome(call.route, "timeout")
      state.held.add(call.res)
      call.res.on("close", () => state.held.delete(call.res))
      return false
    }
    await state.timers.delay(call.params.holdMs)
  }
  return true
}

/** A token, when sent, must be valid on every route; guild and @me need one. */
const authorize = (state: SandboxState, call: Call): { readonly ok: true; readonly bot: BotFixture | undefined } | { readonly ok: false } => {
  const auth = parseAuthorization(call.req.headers.authorization)
  if (auth.kind !== "none") {
    const bot = auth.kind === "bot" ? state.index.botsByToken.get(auth.token) : undefined
    return bot === undefined || call.mode === "invalid-token" ? { ok: false } : { ok: true, bot }
  }
  return call.route === "guild" || call.route === "me" ? { ok: false } : { ok: true, bot: undefined }
}

/** Edge failures come from in front of the API and carry no rate-limit headers. */
const edgeFailure = (call: Call): NonNullable<ScenarioParams["status"]> | undefined => {
  const status = call.params.status ?? DEFAULT_OUTAGE_STATUS
  if (call.mode === "outage") return status
  if (call.mode === "flapping" && call.matched !== undefined && call.matched % (call.params.failEveryN ?? DEFAULT_FAIL_EVERY_N) === 0) return status
  return undefined
}

/** The global and the route limits; returns the route bucket's headers, or undefined after a 429. */
const rateLimit = (state: SandboxState, call: Call, bot: BotFixture | undefined, nowMs: number): Record<string, string> | undefined => {
  const { limiter } = state
  const identity = bot === undefined ? `ip:${clientIp(call.req)}` : `bot:${bot.user.id}`
  const major = call.route === "me" ? "" : call.major
  const noteViolation = (violation: ViolationInfo | undefined): void => {
    if (violation !== undefined) state.stats.violation({ atMs: nowMs, route: call.route, major, identity, ...violation })
  }
  const retryAfterMs = (call.params.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS) * 1000

  const global = call.mode === "global-rate-limit"
    ? limiter.scenarioGlobal(identity, retryAfterMs, nowMs)
    : limiter.consumeGlobal(identity, bot !== undefined, nowMs)
  if (!global.allowed) {
    noteViolation(global.violation)
    call.reply(429, rateLimited(global.retryAfterMs, true), {
      "Retry-After": retryAfterHeader(global.retryAfterMs),
      "X-RateLimit-Global": "true",
      "X-RateLimit-Scope": "global"
    })
    return undefined
  }

  const key = { identity, route: call.route, major }
  const bucket = call.mode === "rate-limited" ? limiter.scenarioRoute(key, retryAfterMs, nowMs) : limiter.consumeRoute(key, nowMs)
  const headers = bucketHeaders(bucket.bucket)
  if (!bucket.allowed) {
    noteViolation(bucket.violation)
    const scope = call.mode === "rate-limited" ? (call.params.scope ?? "user") : "user"
    call.reply(
      429,
      rateLimited(bucket.retryAfterMs, false),
      { ...headers, "Retry-After": retryAfterHeader(bucket.retryAfterMs), "X-RateLimit-Scope": scope },
      scope === "shared"
    )
    return undefined
  }
  return headers
}

/** The answer from the fixtures (or the payload scenarios: malformed, widget-disabled, unknown-guild). */
const payload = (state: SandboxState, call: Call, bot: BotFixture | undefined, headers: Record<string, string>, nowMs: number): void => {
  const { major, mode, reply, route } = call
  const withCounts = wantsCounts(call.url.searchParams)
  const ok = (body: Record<string, unknown>): void =>
    mode === "malformed"
      ? reply(200, malformedPage(route, call.params.kind ?? DEFAULT_MALFORMED_KIND, body), headers)
      : reply(200, json(body), headers)

  switch (route) {
    case "widget":
    case "guild": {
      if (!isSnowflake(major)) return reply(400, json(invalidSnowflake("guild_id", major)), headers)
      const guild = state.index.guilds.get(major)
      const visible = guild !== undefined && mode !== "unknown-guild" && (route === "widget" || bot?.guildIds.includes(major) === true)
      if (!visible) return reply(404, json(UNKNOWN_GUILD), headers)
      const widgetEnabled = guild.widgetEnabled && mode !== "widget-disabled"
      if (route === "widget") {
        if (!widgetEnabled) return reply(403, json(WIDGET_DISABLED), headers)
        return ok(widgetBody(guild, countsAt(guild, nowMs), nowMs))
      }
      return ok(guildBody(guild, withCounts ? countsAt(guild, nowMs) : undefined, { widgetEnabled }))
    }
    case "invite": {
      const invite = state.index.invites.get(major)
      const guild = invite === undefined ? undefined : state.index.guilds.get(invite.guildId)
      if (invite === undefined || guild === undefined || mode === "unknown-guild") return reply(404, json(UNKNOWN_INVITE), headers)
      return ok(inviteBody(invite, guild, withCounts ? inviteCountsAt(guild, nowMs, state.inviteCacheMs) : undefined))
    }
    case "me":
      // Authorization guarantees a bot here.
      return bot === undefined ? reply(401, json(UNAUTHORIZED)) : ok(meBody(bot))
  }
}

export const handleDiscord = async (state: SandboxState, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
  const match = matchDiscordRoute(url.pathname)
  const statsRoute: StatsRoute = match?.route ?? "unmatched"
  state.stats.request(statsRoute)
  const reply = (status: number, page: Page, headers?: Record<string, string>, sharedScope?: boolean): void => {
    if (isClosed(res)) {
      state.stats.outcome(statsRoute, "timeout")
      return
    }
    state.stats.outcome(statsRoute, status, sharedScope === true ? { sharedScope } : undefined)
    write(res, status, page, headers)
  }
  if (match === undefined) return reply(404, json(NOT_FOUND))
  if (req.method !== "GET") return reply(405, json(METHOD_NOT_ALLOWED))

  const { major, route } = match
  const guildId = route === "invite" ? state.index.invites.get(major)?.guildId : route === "me" ? undefined : major
  const decision = state.scenarios.decide({
    route,
    ...(guildId === undefined ? {} : { guildId }),
    ...(route === "invite" ? { inviteCode: major } : {})
  })
  const active = decision.active
  const call: Call = {
    req,
    res,
    url,
    route,
    major,
    mode: active?.scenario.mode ?? "healthy",
    params: active?.scenario.params ?? {},
    matched: active?.matched,
    reply
  }

  if (!(await transport(state, call, decision.latencyMs))) return
  const auth = authorize(state, call)
  if (!auth.ok) return reply(401, json(UNAUTHORIZED))
  const edge = edgeFailure(call)
  if (edge !== undefined) return reply(edge, outagePage(edge))
  // Rate limits are evaluated when the request is processed, i.e. after any injected latency.
  const nowMs = state.clock()
  const headers = rateLimit(state, call, auth.bot, nowMs)
  if (headers === undefined) return
  payload(state, call, auth.bot, headers, nowMs)
}
