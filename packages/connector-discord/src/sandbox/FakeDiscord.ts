/**
 * FakeDiscord: a real HTTP server (node:http) that answers like Discord's API for the endpoints GuildPulse
 * uses (widget.json, guild with counts, invite with counts, users/@me), with Discord's rate-limit headers
 * and 429s, plus a control API under `/__sandbox/` to play failure scenarios and read request statistics.
 *
 * The routes live in `internal/`: `discordRoutes.ts` (the pipeline of a Discord-route request: route,
 * method, scenario transport effects, authorization, edge failures, global and route rate limits, payload),
 * `controlRoutes.ts` (`/__sandbox/…`); this module starts the server and dispatches by path.
 *
 * The same server is the fixtures' CDN under `/cdn` (`Cdn.ts`): point the connector's `cdnUrl` at `cdnUrl`
 * and guild icons load from the sandbox.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { CDN_PATH, makeCdn } from "./Cdn.js"
import { INVITE_COUNTS_CACHE_MS } from "./Drift.js"
import { defaultFixtures, type SandboxFixtures } from "./Fixtures.js"
import { type RateLimitOptions, type RateLimits, resolveLimits } from "./RateLimiter.js"
import { InvalidScenarioError, parseScenario, type Scenario } from "./Scenario.js"
import type { SandboxStats } from "./Stats.js"
import { errorBody } from "./internal/bodies.js"
import { CONTROL_PREFIX, handleControl } from "./internal/controlRoutes.js"
import { handleDiscord } from "./internal/discordRoutes.js"
import { formatUrl, isClosed, json, write } from "./internal/http.js"
import { makeSandboxState } from "./internal/state.js"

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

/** Starts a sandbox; resolves once it is listening. */
export const start = async (options: FakeDiscordOptions = {}): Promise<FakeDiscordServer> => {
  const host = options.host ?? DEFAULT_HOST
  const state = makeSandboxState({
    clock: options.now ?? Date.now,
    fixtures: options.fixtures ?? defaultFixtures,
    limits: resolveLimits(options.limits),
    inviteCacheMs: options.inviteCountsCacheMs ?? INVITE_COUNTS_CACHE_MS
  })
  const cdn = makeCdn(state.index)

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://sandbox.invalid")
    if (url.pathname.startsWith(`${CDN_PATH}/`)) {
      const answer = cdn(req.method ?? "GET", url.pathname, url.searchParams)
      res.writeHead(answer.status, { "Content-Type": answer.contentType, "Content-Length": String(answer.body.length), ...answer.headers })
      res.end(req.method === "HEAD" ? undefined : answer.body)
      return
    }
    const work = url.pathname.startsWith(CONTROL_PREFIX) ? handleControl(state, req, res, url.pathname) : handleDiscord(state, req, res, url)
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
      state.timers.cancelAll()
      server.close((error) => (error === undefined ? resolve() : reject(error)))
      for (const res of state.held) res.destroy()
      state.held.clear()
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
    fixtures: state.fixtures,
    limits: state.limits,
    stop,
    setScenario: (scenario: Scenario) => {
      const parsed = parseScenario(scenario)
      if (!parsed.ok) throw new InvalidScenarioError(parsed.field, parsed.message)
      state.applyScenario(parsed.scenario)
    },
    clearScenarios: state.clearScenarios,
    scenarios: () => state.scenarios.list(),
    stats: (): SandboxStats => state.stats.snapshot(),
    reset: state.reset
  }
}
