/**
 * The demo's composition root: FakeDiscord (in process), the Discord connector pointed at it, the engine
 * with in-memory stores and the scheduler, and the HTTP service with sample pages and sandbox controls.
 */
import { randomBytes } from "node:crypto"
import type { Server } from "node:http"
import type { AddressInfo } from "node:net"
import { guildPulse, ObservabilityRoutes, Server as HttpServer, type GuildPulseRouter } from "@guildpulse/adapter-express"
import { DiscordLive } from "@guildpulse/connector-discord"
import { FakeDiscord, type FakeDiscordServer } from "@guildpulse/connector-discord/sandbox"
import { Engine, Problem } from "@guildpulse/core"
import { Observability, ObservabilityHttp } from "@guildpulse/observability"
import express from "express"
import { Layer, Logger, LogLevel, ManagedRuntime, Redacted } from "effect"
import * as DemoClock from "./DemoClock.js"
import * as Pages from "./Pages.js"
import { sampleProfiles, sampleTokens } from "./SampleProfiles.js"

export interface DemoOptions {
  readonly port?: number
  readonly host?: string
  /** The bootstrap admin key; generated when absent. */
  readonly adminKey?: string
  /** Port of the sandbox's own HTTP server (default: a free port). */
  readonly sandboxPort?: number
  /** Shared clock of sandbox and engine (tests move it forward). */
  readonly clock?: DemoClock.DemoClock
  /** Run the background scheduler (default true). */
  readonly scheduler?: boolean
  /**
   * Logs (LOG_FORMAT json|pretty, LOG_LEVEL) and traces (OTEL_EXPORTER_OTLP_ENDPOINT) from the environment;
   * default true. Tests turn it off to keep their output quiet.
   */
  readonly telemetryFromEnv?: boolean
  /** Absolute URL the API is reachable at (GUILDPULSE_PUBLIC_URL); default: links relative to the page. */
  readonly publicUrl?: string
  /** Client timeouts of the HTTP server (default: adapter-express's `DEFAULT_TIMEOUTS`). */
  readonly timeouts?: HttpServer.ServerTimeouts
}

export interface RunningDemo {
  readonly url: string
  readonly adminKey: string
  readonly adminKeyGenerated: boolean
  readonly sandbox: FakeDiscordServer
  readonly router: GuildPulseRouter
  readonly server: Server
  readonly clock: DemoClock.DemoClock
  readonly close: () => Promise<void>
}

export const generateAdminKey = (): string => `gp_admin_${randomBytes(18).toString("base64url")}`

export const start = async (options: DemoOptions = {}): Promise<RunningDemo> => {
  const clock = options.clock ?? DemoClock.make()
  const sandbox = await FakeDiscord.start({ port: options.sandboxPort ?? 0, now: clock.now })
  const adminKey = options.adminKey ?? generateAdminKey()
  // Telemetry goes beneath the engine, so the scheduler's background fibers log and trace too.
  const telemetry = options.telemetryFromEnv === false ? Logger.minimumLogLevel(LogLevel.None) : Observability.layerTelemetryConfig()
  const engineOptions: Engine.MemoryEngineOptions = {
    profiles: sampleProfiles(new Date(clock.now()).toISOString()),
    tokens: sampleTokens,
    scheduler: options.scheduler === false ? false : {}
  }
  // The connector spends the engine's own RateLimitStore (one budget), and every store's events go through
  // observability's EventLogging (logs, spans, health windows).
  const stores = Observability.instrumentStores(Engine.storesMemory(engineOptions))
  const services = Observability.instrumentServices(
    Engine.services(engineOptions).pipe(Layer.provideMerge(DiscordLive.layerWithStore({ baseUrl: sandbox.apiUrl, cdnUrl: sandbox.cdnUrl })))
  )
  const engine = Observability.layer({ digest: false }).pipe(
    Layer.provideMerge(services.pipe(Layer.provideMerge(stores))),
    Layer.provide(telemetry),
    Layer.provide(clock.layer)
  )
  const runtime = ManagedRuntime.make(engine)
  const http = await runtime.runPromise(ObservabilityHttp.ObservabilityHttp)
  const router = guildPulse({
    runtime,
    adminKey: Redacted.make(adminKey),
    extraRoutes: ObservabilityRoutes.routes(http),
    readiness: http.readiness,
    publicUrl: options.publicUrl,
    console: { observability: http }
  })

  const app = express()
  app.disable("x-powered-by")
  app.set("etag", false)
  app.use(Pages.router({ runtime, sandbox, adminKey, publicUrl: options.publicUrl }))
  app.use(router)
  app.use((_req, res) => {
    const answer = Problem.toHttp(Problem.notFound("No such page."))
    res.status(answer.status).set(answer.headers).send(answer.body)
  })
  app.use(Pages.errorHandler((message) => console.error(`[guildpulse/demo] ${message}`)))

  const server: Server = await new Promise((resolve, reject) => {
    const listening = HttpServer.httpServer(app, options.timeouts)
    listening.once("error", reject)
    listening.once("listening", () => resolve(listening))
    listening.listen(options.port ?? 8787, options.host ?? "127.0.0.1")
  })
  const address = server.address() as AddressInfo
  await router.ready
  return {
    url: `http://${address.address}:${address.port}`,
    adminKey,
    adminKeyGenerated: options.adminKey === undefined,
    sandbox,
    router,
    server,
    clock,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
        setTimeout(() => server.closeAllConnections(), 2_000).unref()
      })
      await runtime.dispose()
      await sandbox.stop()
    }
  }
}
