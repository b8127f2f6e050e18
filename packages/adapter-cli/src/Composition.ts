/**
 * The production composition root: settings in, a running GuildPulse out. Picks the store (Redis + BullMQ
 * when a Redis URL is set, else the embedded store), points the Discord connector at Discord (or the
 * sandbox), wraps the engine with observability, seeds the profiles and tokens of the config file, and serves
 * HTTP with adapter-express. The store packages load only when chosen: the embedded store's libSQL and
 * Redis's BullMQ are not loaded by a process that does not use them.
 */
import { ApiKeyAuth, createServer, ObservabilityRoutes, type Listening } from "@guildpulse/adapter-express"
import { importRoute } from "@guildpulse/adapter-wordpress"
import { DiscordLive, TokenValidator } from "@guildpulse/connector-discord"
import {
  activeSources,
  AlertRulesStore,
  ApiKeyRepository,
  type ApiKeys,
  AuditLog,
  Engine,
  fromInput,
  isProfileKey,
  ProfileInput,
  ProfileRepository,
  Profiles,
  SecretVault,
  Tokens,
  type Profile
} from "@guildpulse/core"
import { Logging, Observability, ObservabilityHttp, SafeUrl, DiscordWebhookNotifier, EmailNotifier, SlackNotifier, Tracing, WebhookNotifier } from "@guildpulse/observability"
import type { Notifier } from "@guildpulse/observability"
import { Clock, Config, Effect, Layer, LogLevel, ManagedRuntime, Option, Schema, type Scope } from "effect"
import type { RequestHandler } from "express"
import * as Graceful from "./internal/graceful.js"
import type { Settings } from "./Settings.js"
export { describeStore, redactUrl } from "./Settings.js"
import * as Settings_ from "./Settings.js"

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000

export type Role = "all" | "web" | "worker"

export interface ServeOptions {
  readonly settings: Settings
  readonly role: Role
  /** Discord API base to use instead of the settings' (the in-process sandbox). */
  readonly discordBaseUrl?: string
  /** Discord CDN base for guild icons, banners and avatars (the sandbox's own CDN); default Discord's. */
  readonly discordCdnUrl?: string
  /** Keep everything in memory instead of the embedded store (nothing survives a restart). */
  readonly memory?: boolean
  /** How long a graceful close waits for requests in flight before cutting connections (default 10 s). */
  readonly shutdownTimeoutMs?: number
  /** Log records (default true); the CLI's own summary goes to stdout either way. */
  readonly logging?: boolean
  /** Runs once the profiles are seeded, before serving (the sandbox fills its analytics history here). */
  readonly afterSeed?: (profiles: ReadonlyArray<Profile>) => Effect.Effect<unknown, unknown, EngineServices>
  /**
   * The clock of the engine (default: the real one). The demo shares one movable clock between the sandbox
   * and the engine, so its tests let numbers drift and snapshots age without waiting.
   */
  readonly clock?: Clock.Clock
  /**
   * Background refreshes (default true). `false`: refreshes happen only when asked (a stale view, the
   * refresh route); tests use it. Embedded and memory stores only (with Redis, `role` decides).
   */
  readonly scheduler?: boolean
  /** Express handlers served ahead of the API, given the engine (the demo's pages and sandbox controls). */
  readonly pages?: (context: PagesContext) => ReadonlyArray<RequestHandler>
}

/** What `pages` get: the engine's runtime, to read profiles and views and trigger refreshes. */
export interface PagesContext {
  readonly runtime: ManagedRuntime.ManagedRuntime<EngineServices, unknown>
}

const levelOf: Record<Settings_.LogLevelName, LogLevel.LogLevel> = {
  all: LogLevel.All,
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warning: LogLevel.Warning,
  error: LogLevel.Error,
  fatal: LogLevel.Fatal,
  none: LogLevel.None
}

/** The OTLP endpoint of the settings (config file `telemetry.otlpEndpoint`, env OTEL_EXPORTER_OTLP_ENDPOINT wins). */
const tracingOf = (settings: Settings): Config.Config.Wrap<Tracing.TracingOptions> =>
  settings.otlpEndpoint !== undefined ? { ...Tracing.fromEnv, endpoint: Config.succeed(settings.otlpEndpoint) } : Tracing.fromEnv

const telemetry = (options: ServeOptions) =>
  options.logging === false
    ? Layer.merge(Logging.layer({ format: "json", level: LogLevel.None }), Tracing.layerConfig(tracingOf(options.settings)))
    : Layer.merge(
        Logging.layer({
          format: options.settings.logFormat,
          level: levelOf[options.settings.logLevel],
          secrets: Settings_.secretsOf(options.settings)
        }),
        Tracing.layerConfig(tracingOf(options.settings))
      )

export const DEFAULT_EMAIL_FROM = "GuildPulse <guildpulse@localhost>"

const channels = (settings: Settings): Effect.Effect<ReadonlyArray<Notifier.Channel>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const policy: SafeUrl.SafeUrlPolicy = yield* Effect.orElseSucceed(Observability.policyConfig, () => ({ allow: [], allowHttp: false }))
    const out: Array<Notifier.Channel> = []
    for (const channel of settings.channels) {
      switch (channel.kind) {
        case "webhook":
          out.push(WebhookNotifier.make({ url: channel.url, secret: [channel.secret], policy }))
          break
        case "slack":
          out.push(SlackNotifier.make({ url: channel.url, policy }))
          break
        case "discord":
          out.push(DiscordWebhookNotifier.make({ url: channel.url, policy }))
          break
        case "email":
          out.push(yield* Effect.orDie(EmailNotifier.make({ smtpUrl: channel.smtpUrl, to: channel.to, from: channel.from ?? DEFAULT_EMAIL_FROM })))
          break
      }
    }
    return out
  })

/** The engine (stores, connector, use cases) with observability, as one layer. */
export type EngineServices = Engine.Services | Observability.Services | TokenValidator.TokenValidator | Tokens.Tokens | ApiKeys.ApiKeys | AuditLog.AuditLog

export const engineLayer = (options: ServeOptions): Layer.Layer<EngineServices, unknown> =>
  options.clock === undefined ? storeLayer(options) : storeLayer(options).pipe(Layer.provide(Layer.setClock(options.clock)))

const storeLayer = (options: ServeOptions): Layer.Layer<EngineServices, unknown> => {
  const { settings, role } = options
  const discord = DiscordLive.layerWithStore({
    ...settings.discord,
    ...(options.discordBaseUrl !== undefined ? { baseUrl: options.discordBaseUrl } : {}),
    ...(options.discordCdnUrl !== undefined ? { cdnUrl: options.discordCdnUrl } : {})
  })
  // Bot tokens: checked with Discord when set, re-validated every 6 hours, a rotation reminder after 90 days.
  const tokens = Tokens.layer({ revalidateEvery: role === "web" ? false : Tokens.DEFAULT_REVALIDATE_EVERY })
  // API keys and the audit log on the same store as the engine (SQLite file, Redis, or memory), the audit log
  // retained by age.
  const governed = <ROut, E, RIn>(engine: Layer.Layer<ROut | ApiKeyRepository.ApiKeyRepository | AuditLog.AuditLog, E, RIn>) =>
    Layer.merge(
      ApiKeyAuth.layerApiKeys(),
      AuditLog.layerRetention({ maxAgeMs: (settings.auditRetentionDays ?? Settings_.DEFAULT_AUDIT_RETENTION_DAYS) * 86_400_000 })
    ).pipe(Layer.provideMerge(engine))
  // Analytics samples and alert rules in memory: what --memory gets.
  const inMemory = Layer.unwrapScoped(Effect.map(channels(settings), (list) => Observability.layer({ channels: list, digest: false })))
  if (settings.redisUrl !== undefined) {
    const storeOptions = { url: settings.redisUrl, ...(settings.masterKeys !== undefined ? { masterKeys: settings.masterKeys } : {}) }
    const engine = Layer.unwrapEffect(
      Effect.map(Effect.promise(() => import("@guildpulse/store-redis")), ({ RedisEngine, RedisStores }) =>
        Observability.instrumentServices(
          RedisEngine.services({ scheduler: { worker: role !== "web" } }).pipe(
            Layer.provideMerge(discord),
            Layer.provideMerge(Observability.instrumentStores(RedisStores.layer(storeOptions)))
          )
        )
      )
    )
    // Analytics samples in Redis (shared by every instance, from `RedisStores`); alert rules in memory (no Redis
    // store for them yet).
    const observed = Layer.unwrapScoped(Effect.map(channels(settings), (list) => Observability.layerWithStores({ channels: list, digest: false }))).pipe(
      Layer.provideMerge(AlertRulesStore.layerMemory())
    )
    return Layer.merge(observed, tokens).pipe(Layer.provideMerge(governed(engine)), Layer.provide(telemetry(options)))
  }
  if (options.memory !== true) {
    const engine = Layer.unwrapEffect(
      Effect.map(Effect.promise(() => import("@guildpulse/store-sqlite")), ({ SqliteEngine, SqliteStores }) => {
        const stores = Observability.instrumentStores(
          SqliteStores.layer({ dataDir: settings.dataDir, ...(settings.masterKeys !== undefined ? { masterKeys: settings.masterKeys } : {}) })
        )
        const services = Engine.services({ scheduler: options.scheduler === false ? false : { overdueSpreadMs: SqliteEngine.DEFAULT_OVERDUE_SPREAD_MS } })
        return Observability.instrumentServices(services.pipe(Layer.provideMerge(discord), Layer.provideMerge(stores)))
      })
    )
    // The embedded store keeps analytics samples and alert rules: they survive a restart.
    const persisted = Layer.unwrapScoped(Effect.map(channels(settings), (list) => Observability.layerWithStores({ channels: list, digest: false })))
    return Layer.merge(persisted, tokens).pipe(Layer.provideMerge(governed(engine)), Layer.provide(telemetry(options)))
  }
  const stores = Observability.instrumentStores(Layer.mergeAll(Engine.storesMemory(), ApiKeyRepository.layerMemory(), AuditLog.layerMemory))
  const services = Engine.services(options.scheduler === false ? { scheduler: false } : {})
  const engine = Observability.instrumentServices(services.pipe(Layer.provideMerge(discord), Layer.provideMerge(stores)))
  return Layer.merge(inMemory, tokens).pipe(Layer.provideMerge(governed(engine)), Layer.provide(telemetry(options)))
}

/** JSON with sorted keys: stores may give fields back in another order. */
const stable = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v
  )

/** Same settings, whatever the version, timestamps and token metadata. */
const sameProfile = (a: Profile, b: Profile): boolean => {
  const strip = ({ version: _v, createdAt: _c, updatedAt: _u, token: _t, ...rest }: Profile) => rest
  return stable(strip(a)) === stable(strip(b))
}

/**
 * Makes the stored profiles match the config file's (creates the missing ones, replaces the changed ones,
 * leaves equal ones untouched so their version does not move) and puts their tokens in the vault.
 * Profiles added through the API and absent from the file are kept.
 */
export const seed = (settings: Pick<Settings, "profiles" | "tokens">) =>
  Effect.gen(function* () {
    const repository = yield* ProfileRepository.ProfileRepository
    const vault = yield* SecretVault.SecretVault
    const profiles = yield* Profiles.Profiles
    const now = new Date(yield* Clock.currentTimeMillis).toISOString()
    // Instances starting together on one store seed the same profiles: a write that lost the race (a version
    // conflict) reads the profile again and decides afresh, so every instance starts.
    const seedOne = (raw: unknown) =>
      Effect.gen(function* () {
        const input = Schema.decodeUnknownSync(ProfileInput)(raw)
        const token = settings.tokens.get(input.key)
        if (token !== undefined) yield* vault.put(input.key, token)
        const current = yield* repository.get(input.key)
        const tokenMeta = token !== undefined
          ? Option.match(current, {
              onNone: () => ({ present: true, status: "valid" as const, rotatedAt: now }),
              onSome: (p) => (p.token.present ? p.token : { present: true, status: "valid" as const, rotatedAt: now })
            })
          : { present: false, status: "missing" as const }
        const wanted = fromInput(input, now, tokenMeta)
        if (Option.isSome(current) && sameProfile(current.value, wanted) && current.value.token.present === tokenMeta.present) {
          return current.value
        }
        const { profile } = yield* profiles.put(input.key, raw, Option.match(current, { onNone: () => 0, onSome: (p) => p.version }))
        const withToken: Profile = { ...profile, token: tokenMeta, version: profile.version + 1 }
        yield* repository.put(withToken, profile.version)
        return withToken
      }).pipe(Effect.retry({ while: (error) => error._tag === "Conflict", times: 5 }))
    const seeded: Array<Profile> = []
    for (const raw of settings.profiles) seeded.push(yield* seedOne(raw))
    return seeded
  })

/** Checks each configured token with Discord and records the outcome in the profile's token metadata. */
export const validateTokens = (settings: Settings) =>
  Effect.gen(function* () {
    const validator = yield* TokenValidator.TokenValidator
    const repository = yield* ProfileRepository.ProfileRepository
    for (const [key, token] of settings.tokens) {
      const outcome = yield* Effect.either(validator.validate(token))
      const now = new Date(yield* Clock.currentTimeMillis).toISOString()
      if (outcome._tag === "Left" && outcome.left.reason !== "unauthorized") continue
      // The settings' keys are the config's, as written; one that is no profile key names no stored profile.
      if (!isProfileKey(key)) continue
      const current = yield* repository.get(key)
      if (Option.isNone(current)) continue
      const status = outcome._tag === "Right" ? ("valid" as const) : ("invalid" as const)
      // Every instance validates at start: an outcome already recorded changes nothing (a new profile version
      // would make every instance's snapshot of it look out of date, and the scheduler refresh it again).
      if (current.value.token.status === status && current.value.token.lastValidatedAt !== undefined) continue
      yield* Effect.ignore(
        repository.put({ ...current.value, token: { ...current.value.token, present: true, status, lastValidatedAt: now }, version: current.value.version + 1 }, current.value.version)
      )
    }
  })

export interface Running {
  readonly listening: Listening | undefined
  readonly profiles: ReadonlyArray<Profile>
  readonly close: () => Promise<void>
}

/**
 * Builds the engine, seeds it, and (unless `role` is `worker`) listens. `close` is graceful: stop accepting,
 * finish the requests in flight, then dispose the engine (scheduler stopped, stores flushed, lock released).
 */
export const start = async (options: ServeOptions): Promise<Running> => {
  const { settings } = options
  const runtime = ManagedRuntime.make(engineLayer(options))
  let profiles: ReadonlyArray<Profile>
  try {
    profiles = await runtime.runPromise(seed(settings))
    if (options.afterSeed !== undefined) await runtime.runPromise(options.afterSeed(profiles))
  } catch (error) {
    await runtime.dispose()
    throw error
  }
  runtime.runFork(Effect.ignore(validateTokens(settings)))
  if (options.role === "worker") {
    return { listening: undefined, profiles, close: () => runtime.dispose() }
  }
  const http = await runtime.runPromise(ObservabilityHttp.ObservabilityHttp)
  const tokens = await runtime.runPromise(Tokens.Tokens)
  const governance = await runtime.runPromise(ApiKeyAuth.makeGovernance)
  const server = createServer({
    runtime,
    adminKey: settings.adminKey,
    governance,
    ...(settings.cors !== undefined ? { cors: settings.cors } : {}),
    ...(settings.publicRateLimit !== undefined ? { publicRateLimit: settings.publicRateLimit } : {}),
    publicUrl: settings.publicUrl,
    timeouts: settings.timeouts,
    ...(settings.trustProxy !== undefined ? { trustProxy: settings.trustProxy } : {}),
    tokens,
    // The WordPress plugin's import (the legacy plugin's settings → profiles) runs here, next to the profiles API.
    extraRoutes: [...ObservabilityRoutes.routes(http), importRoute()],
    readiness: http.readiness,
    ...(settings.console !== undefined ? { console: { observability: http, idleTimeoutMs: settings.console.idleTimeoutMs } } : {}),
    disposeRuntimeOnClose: false,
    ...(options.pages !== undefined ? { before: options.pages({ runtime }) } : {})
  })
  let listening: Listening
  try {
    listening = await server.listen(settings.port, settings.host)
  } catch (error) {
    await runtime.dispose()
    throw error
  }
  const graceful = Graceful.track(listening.server)
  await server.router.ready
  return {
    listening,
    profiles,
    close: async () => {
      await graceful.close(options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS)
      await runtime.dispose()
    }
  }
}

/** What is running, for people: the startup summary `serve` prints (and the demo, above its own pages). */
export const summary = (
  settings: Settings,
  running: Running,
  options: { readonly role: Role; readonly discord: string; readonly memory: boolean }
): string => {
  const lines = [
    running.listening !== undefined ? `GuildPulse listening on ${running.listening.url}` : "GuildPulse worker running (no HTTP: --role worker)",
    `  role       ${options.role}`,
    `  store      ${options.memory && settings.redisUrl === undefined ? "memory (nothing survives a restart)" : Settings_.describeStore(settings)}`,
    `  discord    ${options.discord}`,
    `  config     ${settings.configFile ?? "none (defaults and environment)"}`,
    `  admin API  ${settings.adminKey !== undefined ? "enabled (bootstrap key configured)" : "disabled (set GUILDPULSE_ADMIN_KEY)"}`,
    `  console    ${settings.console === undefined ? "off (console.enabled in the config file)" : running.listening !== undefined ? `${running.listening.url}/console/ (sign in with an API key)` : "on (web role)"}`,
    `  profiles   ${running.profiles.length === 0 ? "none (add some to the config file)" : running.profiles.length}`
  ]
  for (const profile of running.profiles) {
    const sources = activeSources(profile).join(", ") || "no source"
    const token = profile.sources.bot ? (profile.token.present ? "token set" : "no token: bot source idle") : ""
    lines.push(`    ${profile.key.padEnd(20)} guild ${profile.guildId}  sources ${sources}${token === "" ? "" : `  (${token})`}`)
  }
  if (running.listening !== undefined && running.profiles[0] !== undefined) {
    lines.push(`  try        ${running.listening.url}/v1/profiles/${running.profiles[0].key}/stats`)
  }
  return lines.join("\n")
}
