/**
 * A standalone GuildPulse HTTP server: an Express app with the router at `/`, 404/500 problems for
 * everything else, `trust proxy` as configured, timeouts that do not let a stalled client hold a connection
 * (headers 10 s, whole request 30 s, idle keep-alive 5 s), and a graceful `close()` that stops accepting
 * connections, lets requests in flight finish, and disposes the runtime (scheduler fibers, stores).
 *
 * `ServerConfig` reads PORT (8787), HOST (127.0.0.1), GUILDPULSE_ADMIN_KEY, GUILDPULSE_PUBLIC_URL and the
 * GUILDPULSE_*_TIMEOUT_MS overrides with Effect `Config`.
 */
import { createServer as createHttpServer, type RequestListener, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from "express"
import { Config, Effect, Option, Redacted, type ConfigError } from "effect"
import { guildPulse, normalizePublicUrl, type GuildPulseOptions, type GuildPulseRouter } from "./GuildPulse.js"
import { sendProblem } from "./internal/http.js"
import * as Problem from "./Problem.js"

/** How long the server waits for a client. Node's defaults (60 s / 300 s, checked every 30 s) let a stalled
 * request hold a connection for up to 79 s / 319 s. */
export interface ServerTimeouts {
  /** Time to receive the complete request headers; 408 after it (default 10 s). */
  readonly headersMs?: number
  /** Time to receive the complete request, headers and body; 408 after it (default 30 s, ≥ headersMs). */
  readonly requestMs?: number
  /** How long an idle keep-alive connection stays open (default 5 s). */
  readonly keepAliveMs?: number
  /** How often expired header/request timers are checked (default 1 s; bounds the overshoot of both). */
  readonly checkIntervalMs?: number
}

export const DEFAULT_TIMEOUTS: Required<ServerTimeouts> = {
  headersMs: 10_000,
  requestMs: 30_000,
  keepAliveMs: 5_000,
  checkIntervalMs: 1_000
}

const positiveMs = (name: string, value: number) => {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`timeouts.${name} must be a positive integer (milliseconds), got ${value}`)
  return value
}

/** The effective timeouts (defaults filled in, checked: positive integers, headers ≤ request). */
export const resolveTimeouts = (timeouts: ServerTimeouts = {}): Required<ServerTimeouts> => {
  const resolved = {
    headersMs: positiveMs("headersMs", timeouts.headersMs ?? DEFAULT_TIMEOUTS.headersMs),
    requestMs: positiveMs("requestMs", timeouts.requestMs ?? Math.max(DEFAULT_TIMEOUTS.requestMs, timeouts.headersMs ?? 0)),
    keepAliveMs: positiveMs("keepAliveMs", timeouts.keepAliveMs ?? DEFAULT_TIMEOUTS.keepAliveMs),
    checkIntervalMs: positiveMs("checkIntervalMs", timeouts.checkIntervalMs ?? DEFAULT_TIMEOUTS.checkIntervalMs)
  }
  if (resolved.headersMs > resolved.requestMs) throw new RangeError("timeouts.headersMs must not exceed timeouts.requestMs")
  return resolved
}

/** A Node HTTP server for `handler` (an Express app) with the given timeouts (defaults: `DEFAULT_TIMEOUTS`). */
export const httpServer = (handler: RequestListener, timeouts?: ServerTimeouts): Server => {
  const t = resolveTimeouts(timeouts)
  const server = createHttpServer(
    { headersTimeout: t.headersMs, requestTimeout: t.requestMs, keepAliveTimeout: t.keepAliveMs, connectionsCheckingInterval: t.checkIntervalMs },
    handler
  )
  // Set as properties too: the options object of older Node 20 releases does not take keepAliveTimeout.
  server.headersTimeout = t.headersMs
  server.requestTimeout = t.requestMs
  server.keepAliveTimeout = t.keepAliveMs
  return server
}

export type ServerOptions = GuildPulseOptions & {
  /** Client timeouts of the HTTP server (see `ServerTimeouts`; defaults in `DEFAULT_TIMEOUTS`). */
  readonly timeouts?: ServerTimeouts
  /** Express `trust proxy` (e.g. `1` behind one reverse proxy, or `"loopback"`); default false. */
  readonly trustProxy?: boolean | number | string | ReadonlyArray<string>
  /** Dispose the runtime on `close()` (default true — the server owns the engine). */
  readonly disposeRuntimeOnClose?: boolean
  /** How long `close()` waits for requests in flight before cutting connections (default 10 s). */
  readonly shutdownTimeoutMs?: number
  /**
   * Your own handlers (pages, routers), served ahead of GuildPulse's routes; they share the server's 404 and
   * error answers (problem+json, never a stack trace) and its timeouts.
   */
  readonly before?: ReadonlyArray<RequestHandler>
}

export interface Listening {
  readonly url: string
  readonly port: number
  readonly host: string
  readonly server: Server
  /** Graceful: stop accepting, finish requests in flight (bounded), dispose the runtime. */
  readonly close: () => Promise<void>
}

export interface GuildPulseServer {
  readonly app: Express
  readonly router: GuildPulseRouter
  readonly listen: (port?: number, host?: string) => Promise<Listening>
}

const isPublicUrl = (value: string): boolean => {
  try {
    normalizePublicUrl(value)
    return true
  } catch {
    return false
  }
}

export const DEFAULT_PORT = 8787
export const DEFAULT_HOST = "127.0.0.1"
export const MIN_ADMIN_KEY_LENGTH = 16

export const createServer = (options: ServerOptions): GuildPulseServer => {
  const timeouts = resolveTimeouts(options.timeouts)
  const app = express()
  app.disable("x-powered-by")
  app.set("etag", false)
  if (options.trustProxy !== undefined) app.set("trust proxy", options.trustProxy)
  const router = guildPulse(options)
  for (const handler of options.before ?? []) app.use(handler)
  app.use(router)
  app.use((req: Request, res: Response) =>
    sendProblem(res, Problem.notFound(`No route for ${req.method.slice(0, 16)} ${req.path.slice(0, 200)}.`))
  )
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error)
    const status = typeof error === "object" && error !== null ? (error as { status?: unknown }).status : undefined
    if (typeof status === "number" && status >= 400 && status < 500) {
      return sendProblem(res, Problem.make(status, "bad_request", "The request could not be processed."))
    }
    console.error("[guildpulse/adapter-express] unexpected error", error instanceof Error ? error.name : typeof error)
    sendProblem(res, Problem.internal())
  })

  const listen = (port = DEFAULT_PORT, host = DEFAULT_HOST) =>
    new Promise<Listening>((resolve, reject) => {
      const server = httpServer(app, timeouts)
      server.once("error", reject)
      server.listen(port, host)
      server.once("listening", () => {
        server.off("error", reject)
        const address = server.address() as AddressInfo
        const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address
        let closing: Promise<void> | undefined
        const close = () =>
          (closing ??= new Promise<void>((done) => {
            const timer = setTimeout(() => server.closeAllConnections(), options.shutdownTimeoutMs ?? 10_000)
            timer.unref()
            server.close(() => {
              clearTimeout(timer)
              done()
            })
            server.closeIdleConnections()
          }).then(() => (options.disposeRuntimeOnClose === false ? undefined : router.runtime.dispose())))
        resolve({ url: `http://${shownHost}:${address.port}`, port: address.port, host: address.address, server, close })
      })
    })

  return { app, router, listen }
}

export interface ServerConfig {
  readonly port: number
  readonly host: string
  readonly adminKey: Option.Option<Redacted.Redacted<string>>
  readonly publicUrl: Option.Option<string>
  readonly timeouts: ServerTimeouts
}

const timeoutMs = (name: string) =>
  Config.option(
    Config.integer(name).pipe(Config.validate({ message: "must be a positive number of milliseconds", validation: (n) => n > 0 }))
  )

/**
 * PORT, HOST, GUILDPULSE_ADMIN_KEY (a secret: read as `Redacted`, at least 16 characters),
 * GUILDPULSE_PUBLIC_URL (absolute base URL of links in widget fragments), and GUILDPULSE_HEADERS_TIMEOUT_MS,
 * GUILDPULSE_REQUEST_TIMEOUT_MS, GUILDPULSE_KEEP_ALIVE_TIMEOUT_MS (see `ServerTimeouts`).
 */
export const config: Config.Config<ServerConfig> = Config.all({
  port: Config.port("PORT").pipe(Config.withDefault(DEFAULT_PORT)),
  host: Config.string("HOST").pipe(Config.withDefault(DEFAULT_HOST)),
  publicUrl: Config.option(
    Config.string("GUILDPULSE_PUBLIC_URL").pipe(
      Config.validate({ message: "must be an absolute http(s) URL without credentials, query or fragment", validation: isPublicUrl })
    )
  ),
  timeouts: Config.all({
    headersMs: timeoutMs("GUILDPULSE_HEADERS_TIMEOUT_MS"),
    requestMs: timeoutMs("GUILDPULSE_REQUEST_TIMEOUT_MS"),
    keepAliveMs: timeoutMs("GUILDPULSE_KEEP_ALIVE_TIMEOUT_MS")
  }).pipe(
    Config.map(({ headersMs, requestMs, keepAliveMs }): ServerTimeouts => ({
      ...(Option.isSome(headersMs) ? { headersMs: headersMs.value } : {}),
      ...(Option.isSome(requestMs) ? { requestMs: requestMs.value } : {}),
      ...(Option.isSome(keepAliveMs) ? { keepAliveMs: keepAliveMs.value } : {})
    }))
  ),
  adminKey: Config.option(
    Config.redacted("GUILDPULSE_ADMIN_KEY").pipe(
      Config.validate({
        message: `must be at least ${MIN_ADMIN_KEY_LENGTH} characters`,
        validation: (key) => Redacted.value(key).length >= MIN_ADMIN_KEY_LENGTH
      })
    )
  )
})

/** Reads the server configuration from the environment (or the current `ConfigProvider`). */
export const loadConfig: Effect.Effect<ServerConfig, ConfigError.ConfigError> = config

/**
 * Builds and starts a server from the environment (see `config`), plus the given engine and options (explicit
 * `adminKey`, `publicUrl` and `timeouts` in `options` win over the environment).
 */
export const listenFromEnv = (options: ServerOptions): Effect.Effect<Listening, ConfigError.ConfigError> =>
  Effect.flatMap(loadConfig, (cfg) =>
    Effect.promise(() => {
      const adminKey = options.adminKey ?? Option.getOrUndefined(cfg.adminKey)
      const publicUrl = options.publicUrl ?? Option.getOrUndefined(cfg.publicUrl)
      const timeouts = { ...cfg.timeouts, ...options.timeouts }
      return createServer({ ...options, adminKey, publicUrl, timeouts }).listen(cfg.port, cfg.host)
    })
  )
