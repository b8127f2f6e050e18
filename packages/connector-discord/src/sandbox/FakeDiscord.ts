/**
 * FakeDiscord: a real HTTP server (node:http) that answers like Discord's API for the endpoints GuildPulse
 * uses (widget.json, guild with counts, invite with counts, users/@me), with Discord's rate-limit headers
 * and 429s, plus a control API under `/__sandbox/` to play failure scenarios and read request statistics.
 *
 * Pipeline of a Discord-route request, in order:
 *   route match (404) → method (405) → scenario transport effects (slow latency, connection-reset, timeout)
 *   → authorization (401) → edge failures (outage, flapping: 5xx without rate-limit headers)
 *   → global limit per bot / per IP (429 global) → route bucket (429 user, or the rate-limited scenario)
 *   → payload (malformed, widget-disabled, unknown-guild, fixtures).
 * Rate limits are evaluated when the request is processed, i.e. after any injected latency.
 *
 * The same server is the fixtures' CDN under `/cdn` (`Cdn.ts`): point the connector's `cdnUrl` at `cdnUrl`
 * and guild icons load from the sandbox.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { CDN_PATH, makeCdn } from "./Cdn.js"
import { countsAt, INVITE_COUNTS_CACHE_MS, inviteCountsAt } from "./Drift.js"
import { type BotFixture, defaultFixtures, indexFixtures, type SandboxFixtures, summarizeFixtures } from "./Fixtures.js"
import {
  type BucketState,
  type GlobalDecision,
  type RateLimitOptions,
  type RateLimits,
  resolveLimits,
  SandboxRateLimiter,
  type ViolationInfo
} from "./RateLimiter.js"
import {
  DEFAULT_FAIL_EVERY_N,
  DEFAULT_MALFORMED_KIND,
  DEFAULT_OUTAGE_STATUS,
  DEFAULT_RETRY_AFTER_SECONDS,
  InvalidScenarioError,
  parseScenario,
  type Scenario,
  ScenarioRegistry
} from "./Scenario.js"
import { type SandboxStats, type StatsRoute, StatsRecorder } from "./Stats.js"
import {
  errorBody,
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
} from "./internal/bodies.js"
import { isSnowflake, matchDiscordRoute, wantsCounts } from "./internal/routes.js"

export interface FakeDiscordOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number
  /** Default "127.0.0.1". */
  readonly host?: string
  /** Replaces the default fixture set (spread `defaultFixtures` to extend it). */
  readonly fixtures?: SandboxFixtures
  /** Overrides of `DEFAULT_RATE_LIMITS`. */
  readonly limits?: RateLimitOptions
  /** The sandbox clock in epoch milliseconds (drift, rate limits, stats); default `Date.now`. */
  readonly now?: () => number
  /** Step of the invite endpoint's cached counts; default `INVITE_COUNTS_CACHE_MS` (5 minutes), 0 = live. */
  readonly inviteCountsCacheMs?: number
}

export interface FakeDiscordServer {
  /** Base URL without path, e.g. `http://127.0.0.1:43121`; Discord's API lives under `${url}/api`. */
  readonly url: string
  /** The connector's `baseUrl` for this sandbox: `${url}/api`. */
  readonly apiUrl: string
  /** The connector's `cdnUrl` for this sandbox: `${url}/cdn`, where the fixtures' icons, banners and avatars are. */
  readonly cdnUrl: string
  readonly port: number
  readonly host: string
  readonly fixtures: SandboxFixtures
  readonly limits: RateLimits
  /** Closes the server, dropping held and keep-alive connections. Idempotent. */
  stop(): Promise<void>
  /** Validates and activates a scenario; throws `InvalidScenarioError` (with `field`) on bad input. */
  setScenario(scenario: Scenario): void
  clearScenarios(): void
  scenarios(): ReadonlyArray<Scenario>
  stats(): SandboxStats
  /** Resets counters, scenarios and rate-limit buckets. */
  reset(): void
}

export const DEFAULT_HOST = "127.0.0.1"
const MAX_CONTROL_BODY_BYTES = 64 * 1024

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

const rateLimitedBody = (retryAfterMs: number, global: boolean): string =>
  `{"message":"You are being rate limited.","retry_after":${seconds(retryAfterMs)},"global":${global}${global ? ',"code":0' : ""}}`

const retryAfterHeader = (retryAfterMs: number): string => String(Math.max(1, Math.ceil(retryAfterMs / 1000)))

const json = (value: unknown): Page => ({ contentType: "application/json", body: JSON.stringify(value) })

const isClosed = (res: ServerResponse): boolean => res.writableEnded || res.destroyed || res.socket === null || res.socket.destroyed

const formatUrl = (host: string, port: number): string => {
  const reachable = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host
  return `http://${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`
}

/** Starts a sandbox; resolves once it is listening. */
export const start = async (options: FakeDiscordOptions = {}): Promise<FakeDiscordServer> => {
  const host = options.host ?? DEFAULT_HOST
  const clock = options.now ?? Date.now
  const fixtures = options.fixtures ?? defaultFixtures
  const index = indexFixtures(fixtures)
  const limits = resolveLimits(options.limits)
  const inviteCacheMs = options.inviteCountsCacheMs ?? INVITE_COUNTS_CACHE_MS
  const limiter = new SandboxRateLimiter(limits)
  const scenarios = new ScenarioRegistry()
  const stats = new StatsRecorder()
  const timers = new Set<NodeJS.Timeout>()
  const held = new Set<ServerResponse>()
  const cdn = makeCdn(index)

  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer)
        resolve()
      }, ms)
      timers.add(timer)
    })

  const write = (res: ServerResponse, status: number, page: Page, headers: Record<string, string> = {}): void => {
    if (isClosed(res)) return
    res.writeHead(status, { "Content-Type": page.contentType, "Content-Length": String(Buffer.byteLength(page.body)), ...headers })
    res.end(page.body)
  }

  const clearScenarios = (): void => {
    scenarios.clear()
    limiter.clearScenarioWindows()
  }

  const applyScenario = (scenario: Scenario): void => {
    scenarios.set(scenario)
    if (scenario.mode === "healthy" && scenario.target === undefined) limiter.clearScenarioWindows()
  }

  const handleDiscord = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const match = matchDiscordRoute(url.pathname)
    const statsRoute: StatsRoute = match?.route ?? "unmatched"
    stats.request(statsRoute)
    const reply = (status: number, page: Page, headers?: Record<string, string>, sharedScope?: boolean): void => {
      if (isClosed(res)) {
        stats.outcome(statsRoute, "timeout")
        return
      }
      stats.outcome(statsRoute, status, sharedScope === true ? { sharedScope } : undefined)
      write(res, status, page, headers)
    }
    if (match === undefined) return reply(404, json(NOT_FOUND))
    if (req.method !== "GET") return reply(405, json(METHOD_NOT_ALLOWED))

    const { route, major } = match
    const invite = route === "invite" ? index.invites.get(major) : undefined
    const guildId = route === "invite" ? invite?.guildId : route === "me" ? undefined : major
    const decision = scenarios.decide({
      route,
      ...(guildId === undefined ? {} : { guildId }),
      ...(route === "invite" ? { inviteCode: major } : {})
    })
    const active = decision.active
    const mode = active?.scenario.mode ?? "healthy"
    const params = active?.scenario.params ?? {}

    // Transport-level behaviour first: it happens before Discord would even look at the request.
    if (decision.latencyMs > 0) await delay(decision.latencyMs)
    if (mode === "connection-reset") {
      stats.outcome(route, "connection-reset")
      req.socket.destroy()
      return
    }
    if (mode === "timeout") {
      if (params.holdMs === undefined) {
        stats.outcome(route, "timeout")
        held.add(res)
        res.on("close", () => held.delete(res))
        return
      }
      await delay(params.holdMs)
    }

    // Authorization: a token, when sent, must be valid on every route; guild and @me need one.
    const auth = parseAuthorization(req.headers.authorization)
    let bot: BotFixture | undefined
    if (auth.kind !== "none") {
      bot = auth.kind === "bot" ? index.botsByToken.get(auth.token) : undefined
      if (bot === undefined || mode === "invalid-token") return reply(401, json(UNAUTHORIZED))
    } else if (route === "guild" || route === "me") {
      return reply(401, json(UNAUTHORIZED))
    }

    // Edge failures come from in front of the API and carry no rate-limit headers.
    if (mode === "outage") return reply(params.status ?? DEFAULT_OUTAGE_STATUS, outagePage(params.status ?? DEFAULT_OUTAGE_STATUS))
    if (mode === "flapping" && active !== undefined && active.matched % (params.failEveryN ?? DEFAULT_FAIL_EVERY_N) === 0) {
      return reply(params.status ?? DEFAULT_OUTAGE_STATUS, outagePage(params.status ?? DEFAULT_OUTAGE_STATUS))
    }

    const nowMs = clock()
    const identity = bot === undefined ? `ip:${clientIp(req)}` : `bot:${bot.user.id}`
    const bucketMajor = route === "me" ? "" : major
    const noteViolation = (violation: ViolationInfo | undefined): void => {
      if (violation !== undefined) stats.violation({ atMs: nowMs, route, major: bucketMajor, identity, ...violation })
    }
    const retryAfterMs = (params.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS) * 1000

    const global: GlobalDecision =
      mode === "global-rate-limit"
        ? limiter.scenarioGlobal(identity, retryAfterMs, nowMs)
        : limiter.consumeGlobal(identity, bot !== undefined, nowMs)
    if (!global.allowed) {
      noteViolation(global.violation)
      return reply(429, { contentType: "application/json", body: rateLimitedBody(global.retryAfterMs, true) }, {
        "Retry-After": retryAfterHeader(global.retryAfterMs),
        "X-RateLimit-Global": "true",
        "X-RateLimit-Scope": "global"
      })
    }

    const key = { identity, route, major: bucketMajor }
    const bucket = mode === "rate-limited" ? limiter.scenarioRoute(key, retryAfterMs, nowMs) : limiter.consumeRoute(key, nowMs)
    const headers = bucketHeaders(bucket.bucket)
    if (!bucket.allowed) {
      noteViolation(bucket.violation)
      const scope = mode === "rate-limited" ? (params.scope ?? "user") : "user"
      return reply(
        429,
        { contentType: "application/json", body: rateLimitedBody(bucket.retryAfterMs, false) },
        { ...headers, "Retry-After": retryAfterHeader(bucket.retryAfterMs), "X-RateLimit-Scope": scope },
        scope === "shared"
      )
    }

    const withCounts = wantsCounts(url.searchParams)
    const ok = (body: Record<string, unknown>): void =>
      mode === "malformed"
        ? reply(200, malformedPage(route, params.kind ?? DEFAULT_MALFORMED_KIND, body), headers)
        : reply(200, json(body), headers)

    switch (route) {
      case "widget":
      case "guild": {
        if (!isSnowflake(major)) return reply(400, json(invalidSnowflake("guild_id", major)), headers)
        const guild = index.guilds.get(major)
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
        const guild = invite === undefined ? undefined : index.guilds.get(invite.guildId)
        if (invite === undefined || guild === undefined || mode === "unknown-guild") return reply(404, json(UNKNOWN_INVITE), headers)
        return ok(inviteBody(invite, guild, withCounts ? inviteCountsAt(guild, nowMs, inviteCacheMs) : undefined))
      }
      case "me":
        // Auth above guarantees a bot here.
        return bot === undefined ? reply(401, json(UNAUTHORIZED)) : ok(meBody(bot))
    }
  }

  const readBody = (req: IncomingMessage): Promise<string | undefined> =>
    new Promise((resolve, reject) => {
      const chunks: Array<Buffer> = []
      let size = 0
      req.on("data", (chunk: Buffer) => {
        size += chunk.length
        if (size > MAX_CONTROL_BODY_BYTES) {
          resolve(undefined)
          req.destroy()
          return
        }
        chunks.push(chunk)
      })
      req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
      req.on("error", reject)
    })

  const badRequest = (res: ServerResponse, field: string, message: string): void =>
    write(res, 400, json({ message, field }))

  const handleControl = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const method = req.method ?? "GET"
    const allow = (methods: ReadonlyArray<string>): boolean => {
      if (methods.includes(method)) return true
      write(res, 405, json(METHOD_NOT_ALLOWED), { Allow: methods.join(", ") })
      return false
    }
    switch (path) {
      case "/__sandbox/scenario": {
        if (!allow(["GET", "PUT", "DELETE"])) return
        if (method === "GET") return write(res, 200, json({ scenarios: scenarios.list() }))
        if (method === "DELETE") {
          clearScenarios()
          return write(res, 200, json({ ok: true, scenarios: [] }))
        }
        const text = await readBody(req)
        if (text === undefined) return badRequest(res, "body", `body: larger than ${MAX_CONTROL_BODY_BYTES} bytes`)
        let input: unknown
        try {
          input = JSON.parse(text)
        } catch {
          return badRequest(res, "body", "body: not valid JSON")
        }
        const parsed = parseScenario(input)
        if (!parsed.ok) return badRequest(res, parsed.field, parsed.message)
        applyScenario(parsed.scenario)
        return write(res, 200, json({ ok: true, scenarios: scenarios.list() }))
      }
      case "/__sandbox/stats":
        if (!allow(["GET"])) return
        return write(res, 200, json(stats.snapshot()))
      case "/__sandbox/reset":
        if (!allow(["POST"])) return
        reset()
        return write(res, 200, json({ ok: true }))
      case "/__sandbox/fixtures":
        if (!allow(["GET"])) return
        return write(res, 200, json({ ...summarizeFixtures(fixtures), limits, now: clock() }))
      default:
        return write(res, 404, json(NOT_FOUND))
    }
  }

  const reset = (): void => {
    stats.reset()
    scenarios.clear()
    limiter.reset()
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://sandbox.invalid")
    if (url.pathname.startsWith(`${CDN_PATH}/`)) {
      const answer = cdn(req.method ?? "GET", url.pathname, url.searchParams)
      res.writeHead(answer.status, { "Content-Type": answer.contentType, "Content-Length": String(answer.body.length), ...answer.headers })
      res.end(req.method === "HEAD" ? undefined : answer.body)
      return
    }
    const work = url.pathname.startsWith("/__sandbox/") ? handleControl(req, res, url.pathname) : handleDiscord(req, res, url)
    work.catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error)
      if (!isClosed(res) && !res.headersSent) write(res, 500, json(errorBody(0, `500: Internal Server Error (sandbox: ${message})`)))
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port

  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= new Promise<void>((resolve, reject) => {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      server.close((error) => (error === undefined ? resolve() : reject(error)))
      for (const res of held) res.destroy()
      held.clear()
      server.closeAllConnections()
    })
    return stopping
  }

  const url = formatUrl(host, port)
  return {
    url,
    apiUrl: `${url}/api`,
    cdnUrl: `${url}${CDN_PATH}`,
    port,
    host,
    fixtures,
    limits,
    stop,
    setScenario: (scenario) => {
      const parsed = parseScenario(scenario)
      if (!parsed.ok) throw new InvalidScenarioError(parsed.field, parsed.message)
      applyScenario(parsed.scenario)
    },
    clearScenarios,
    scenarios: () => scenarios.list(),
    stats: () => stats.snapshot(),
    reset
  }
}
