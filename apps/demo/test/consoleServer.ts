/**
 * A sandbox server for the console's browser test: FakeDiscord, the engine on the shared demo clock with
 * observability (health model), the Tokens use case, scoped API keys and the audit log (in memory), and the
 * router with the console on. Built here rather than through the demo so the test has keys and tokens.
 */
import type { Server } from "node:http"
import type { AddressInfo } from "node:net"
import { ApiKeyAuth, guildPulse, ObservabilityRoutes, Server as HttpServer, type GuildPulseRouter } from "@guildpulse/adapter-express"
import { DiscordLive } from "@guildpulse/connector-discord"
import { FakeDiscord, type FakeDiscordServer } from "@guildpulse/connector-discord/sandbox"
import { AnalyticsStore, Engine, Tokens, type Profile, type ProfileKey } from "@guildpulse/core"
import { Observability, ObservabilityHttp } from "@guildpulse/observability"
import express from "express"
import { Effect, Layer, Logger, LogLevel, ManagedRuntime, Redacted } from "effect"
import * as DemoClock from "../src/DemoClock.js"
import { sampleProfiles, sampleTokens } from "../src/SampleProfiles.js"

export const ADMIN_KEY = "gp_admin_console-browser-test-key"

export interface ConsoleServer {
  readonly url: string
  readonly sandbox: FakeDiscordServer
  readonly clock: DemoClock.DemoClock
  readonly router: GuildPulseRouter
  /** When the seeded history starts: one sample an hour for six days (144) of `small` and `large`. */
  readonly historyStartMs: number
  readonly close: () => Promise<void>
}

export const start = async (options: { readonly profiles?: ReadonlyArray<Profile>; readonly liveIntervalMs?: number; readonly idleTimeoutMs?: number } = {}): Promise<ConsoleServer> => {
  const clock = DemoClock.make()
  const sandbox = await FakeDiscord.start({ port: 0, now: clock.now })
  const engineOptions: Engine.MemoryEngineOptions = {
    profiles: options.profiles ?? sampleProfiles(new Date(clock.now()).toISOString()),
    tokens: sampleTokens,
    scheduler: false
  }
  const stores = Observability.instrumentStores(Engine.storesMemory(engineOptions))
  const services = Observability.instrumentServices(
    Engine.services(engineOptions).pipe(Layer.provideMerge(DiscordLive.layerWithStore({ baseUrl: sandbox.apiUrl, cdnUrl: sandbox.cdnUrl })))
  )
  const engine = Layer.merge(Observability.layer({ digest: false }), Tokens.layer({ revalidateEvery: false })).pipe(
    Layer.provideMerge(services.pipe(Layer.provideMerge(stores))),
    Layer.provide(Logger.minimumLogLevel(LogLevel.None)),
    Layer.provide(clock.layer)
  )
  const runtime = ManagedRuntime.make(engine)
  // Six days of hourly history for two profiles (what the recorder would have written), for the charts.
  const start = clock.now() - 6 * 86_400_000
  await runtime.runPromise(
    Effect.flatMap(AnalyticsStore.AnalyticsStore, (store) =>
      Effect.forEach(["small", "large"] as const, (key, k) =>
        Effect.forEach(Array.from({ length: 6 * 24 }, (_, i) => i), (i) =>
          store.record({ profile: key as ProfileKey, atMs: start + i * 3_600_000, online: (k + 1) * (40 + (i % 24)), members: (k + 1) * 300 + i, state: "fresh" })
        )
      )
    )
  )
  const http = await runtime.runPromise(ObservabilityHttp.ObservabilityHttp)
  const tokens = await runtime.runPromise(Tokens.Tokens)
  const router = guildPulse({
    runtime,
    adminKey: Redacted.make(ADMIN_KEY),
    governance: ApiKeyAuth.governanceMemory({ scrypt: { cost: 2 ** 10 } }),
    tokens,
    extraRoutes: ObservabilityRoutes.routes(http),
    readiness: http.readiness,
    publicRateLimit: false,
    console: { observability: http, liveIntervalMs: options.liveIntervalMs ?? 250, idleTimeoutMs: options.idleTimeoutMs ?? 24 * 3_600_000 }
  })
  const app = express()
  app.disable("x-powered-by")
  app.use(router)
  const server: Server = await new Promise((resolve, reject) => {
    const listening = HttpServer.httpServer(app)
    listening.once("error", reject)
    listening.once("listening", () => resolve(listening))
    listening.listen(0, "127.0.0.1")
  })
  await router.ready
  const address = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${address.port}`,
    sandbox,
    clock,
    router,
    historyStartMs: start,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      await runtime.dispose()
      await sandbox.stop()
    }
  }
}
