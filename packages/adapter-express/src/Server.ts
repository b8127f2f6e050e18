/**
 * A standalone GuildPulse HTTP server: an Express app with the router at `/`, 404/500 problems for
 * everything else, `trust proxy` as configured, and a graceful `close()` that stops accepting connections,
 * lets requests in flight finish, and disposes the runtime (scheduler fibers, stores).
 *
 * `ServerConfig` reads PORT (8787), HOST (127.0.0.1) and GUILDPULSE_ADMIN_KEY with Effect `Config`.
 */
import type { Server } from "node:http"
import type { AddressInfo } from "node:net"
import express, { type Express, type NextFunction, type Request, type Response } from "express"
import { Config, Effect, Option, Redacted, type ConfigError } from "effect"
import { guildPulse, type GuildPulseOptions, type GuildPulseRouter } from "./GuildPulse.js"
import { sendProblem } from "./internal/http.js"
import * as Problem from "./Problem.js"

export type ServerOptions = GuildPulseOptions & {
  /** Express `trust proxy` (e.g. `1` behind one reverse proxy, or `"loopback"`); default false. */
  readonly trustProxy?: boolean | number | string | ReadonlyArray<string>
  /** Dispose the runtime on `close()` (default true — the server owns the engine). */
  readonly disposeRuntimeOnClose?: boolean
  /** How long `close()` waits for requests in flight before cutting connections (default 10 s). */
  readonly shutdownTimeoutMs?: number
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

export const DEFAULT_PORT = 8787
export const DEFAULT_HOST = "127.0.0.1"
export const MIN_ADMIN_KEY_LENGTH = 16

export const createServer = (options: ServerOptions): GuildPulseServer => {
  const app = express()
  app.disable("x-powered-by")
  app.set("etag", false)
  if (options.trustProxy !== undefined) app.set("trust proxy", options.trustProxy)
  const router = guildPulse(options)
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
      const server = app.listen(port, host)
      server.once("error", reject)
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
}

/** PORT, HOST and GUILDPULSE_ADMIN_KEY (a secret: read as `Redacted`, at least 16 characters). */
export const config: Config.Config<ServerConfig> = Config.all({
  port: Config.port("PORT").pipe(Config.withDefault(DEFAULT_PORT)),
  host: Config.string("HOST").pipe(Config.withDefault(DEFAULT_HOST)),
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
 * Builds and starts a server from the environment: PORT, HOST, GUILDPULSE_ADMIN_KEY, plus the given engine
 * and options (an explicit `adminKey` in `options` wins over the environment).
 */
export const listenFromEnv = (options: ServerOptions): Effect.Effect<Listening, ConfigError.ConfigError> =>
  Effect.flatMap(loadConfig, (cfg) =>
    Effect.promise(() => {
      const adminKey = options.adminKey ?? Option.getOrUndefined(cfg.adminKey)
      return createServer({ ...options, adminKey }).listen(cfg.port, cfg.host)
    })
  )
