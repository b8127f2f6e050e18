/**
 * Composition: how the pieces of this package wrap an engine.
 *
 * ```
 * Observability.layerTelemetry (logger + tracer)                 provide beneath everything
 *   └─ Observability.layer (Health, Prometheus, Notifier, Alerts, Digest, recorder, ObservabilityHttp)
 *        └─ engine: services ← EventLogging (wrapped EventLog + Telemetry) ← stores; Stats counted by Telemetry
 * ```
 *
 * `engineMemory` does the engine part for core's in-memory engine; for other stores use `instrumentStores`
 * and `instrumentServices` the same way.
 */
import { Config, ConfigError, Effect, Layer, Option, Redacted } from "effect"
import type { Scope } from "effect"
import { AlertRules, AlertRulesStore, AnalyticsStore, Engine, Validation } from "@guildpulse/core"
import type { EventLog, Stats, StatsSource, ValidationError } from "@guildpulse/core"
import * as Alerts from "./Alerts.js"
import * as AnalyticsRecorder from "./AnalyticsRecorder.js"
import * as Digest from "./Digest.js"
import * as DiscordWebhookNotifier from "./DiscordWebhookNotifier.js"
import * as EmailNotifier from "./EmailNotifier.js"
import * as EventLogging from "./EventLogging.js"
import * as Health from "./Health.js"
import * as Logging from "./Logging.js"
import * as Notifier from "./Notifier.js"
import * as ObservabilityHttp from "./ObservabilityHttp.js"
import * as Prometheus from "./Prometheus.js"
import type { SafeUrlPolicy } from "./SafeUrl.js"
import * as SlackNotifier from "./SlackNotifier.js"
import * as Telemetry from "./Telemetry.js"
import * as Tracing from "./Tracing.js"
import * as WebhookNotifier from "./WebhookNotifier.js"

/** Wraps the stores' `EventLog` with `EventLogging` (and provides `Telemetry`). */
export const instrumentStores = <ROut, E, RIn>(
  stores: Layer.Layer<ROut | EventLog.EventLog, E, RIn>,
  options?: EventLogging.EventLoggingOptions & Telemetry.TelemetryOptions
): Layer.Layer<ROut | EventLog.EventLog | Telemetry.Telemetry, E, RIn> =>
  EventLogging.layer(options).pipe(Layer.provideMerge(stores))

/** Counts served views per profile and state (for the fallback ratio of health). */
export const instrumentServices = <ROut, E, RIn>(
  services: Layer.Layer<ROut | Stats.Stats, E, RIn>
): Layer.Layer<ROut | Stats.Stats, E, RIn | Exclude<Telemetry.Telemetry, ROut>> =>
  // TypeScript cannot reduce `Exclude<Stats, Stats | ROut>` to never on a generic; the layers are as stated.
  Telemetry.layerStats.pipe(Layer.provideMerge(services)) as Layer.Layer<ROut | Stats.Stats, E, RIn | Exclude<Telemetry.Telemetry, ROut>>

/** Core's in-memory engine with every service emitting through `EventLogging`. */
export const engineMemory = (
  options: Engine.MemoryEngineOptions = {},
  eventLogging?: EventLogging.EventLoggingOptions & Telemetry.TelemetryOptions
): Layer.Layer<Engine.Services | Telemetry.Telemetry, never, StatsSource.StatsSource> => {
  const stores = instrumentStores(Engine.storesMemory(options), eventLogging)
  return instrumentServices(Engine.services(options).pipe(Layer.provideMerge(stores)))
}

export interface TelemetryLayerOptions {
  readonly logging?: Logging.LoggingOptions | false
  readonly tracing?: Tracing.TracingOptions | false
}

/** The logger and the tracer. Provide it beneath the engine, so background fibers inherit both. */
export const layerTelemetry = (options: TelemetryLayerOptions): Layer.Layer<never> =>
  Layer.mergeAll(
    options.logging === false || options.logging === undefined ? Layer.empty : Logging.layer(options.logging),
    options.tracing === false || options.tracing === undefined ? Layer.empty : Tracing.layer(options.tracing)
  )

/**
 * The logger and the tracer with options read with Effect `Config` (each a `Config.Config.Wrap`, as
 * `Logging.layerConfig` / `Tracing.layerConfig` take): by default `LOG_FORMAT`/`LOG_LEVEL` and `OTEL_*`.
 */
export const layerTelemetryConfig = (
  config: {
    readonly logging?: Config.Config.Wrap<Logging.LoggingOptions>
    readonly tracing?: Config.Config.Wrap<Tracing.TracingOptions>
  } = {}
): Layer.Layer<never, ConfigError.ConfigError> =>
  Layer.mergeAll(Logging.layerConfig(config.logging ?? Logging.fromEnv), Tracing.layerConfig(config.tracing ?? Tracing.fromEnv))

export interface ObservabilityOptions {
  readonly prometheus?: Prometheus.PrometheusOptions
  readonly health?: Health.HealthOptions
  /** Where alerts and digests go (see `channelsConfig` for env-configured channels). */
  readonly channels?: ReadonlyArray<Notifier.Channel>
  readonly notifier?: Notifier.NotifierOptions
  /** The initial alert rules (untrusted input: validated). */
  readonly alertRules?: unknown
  readonly alerts?: Alerts.AlertsOptions | false
  readonly digest?: Digest.DigestOptions | false
  readonly recorder?: AnalyticsRecorder.RecorderOptions | false
  /** Options of the in-memory `AnalyticsStore` that `layer` builds (not used by `layerWithStores`). */
  readonly analytics?: AnalyticsStore.MemoryOptions
}

export type Services =
  | Health.Health
  | Prometheus.Prometheus
  | Notifier.Notifier
  | AlertRulesStore.AlertRulesStore
  | AnalyticsStore.AnalyticsStore
  | Alerts.Alerts
  | Digest.Digest
  | ObservabilityHttp.ObservabilityHttp

/**
 * Health, metrics exposition, alerting, digests and the HTTP handlers over an (instrumented) engine.
 * Disabling `alerts` or `digest` stops their loops; their services stay available for manual use.
 */
export const layer = (options: ObservabilityOptions = {}): Layer.Layer<Services, ValidationError, Engine.Services | Telemetry.Telemetry> =>
  layerWithStores(options).pipe(
    Layer.provideMerge(
      Layer.merge(
        AnalyticsStore.layerMemory(options.analytics),
        Layer.effect(
          AlertRulesStore.AlertRulesStore,
          Effect.flatMap(Validation.decode(AlertRules.AlertRules)(options.alertRules ?? {}), AlertRulesStore.makeMemory)
        )
      )
    )
  )

/**
 * `layer` over an `AnalyticsStore` and an `AlertRulesStore` provided from outside (a durable store);
 * `options.alertRules` and `options.analytics` are not used: the stored rules are authoritative.
 */
export const layerWithStores = (
  options: ObservabilityOptions = {}
): Layer.Layer<
  Exclude<Services, AlertRulesStore.AlertRulesStore | AnalyticsStore.AnalyticsStore>,
  never,
  Engine.Services | Telemetry.Telemetry | AlertRulesStore.AlertRulesStore | AnalyticsStore.AnalyticsStore
> => {
  const base = Layer.mergeAll(
    Health.layer(options.health),
    Prometheus.layer(options.prometheus),
    Notifier.layer(options.channels ?? [], options.notifier)
  )
  const recorder = options.recorder === false ? Layer.empty : AnalyticsRecorder.layer(options.recorder)
  const alerts = Alerts.layer(options.alerts === false ? { run: false } : options.alerts)
  const digest = Digest.layer(options.digest === false ? { run: false } : options.digest)
  const withAlerts = Layer.provideMerge(alerts, base)
  const withDigest = Layer.provideMerge(Layer.merge(digest, recorder), withAlerts)
  return Layer.provideMerge(ObservabilityHttp.layer, withDigest)
}

// ---------------------------------------------------------------------------------------------------------
// Channels from the environment.

const optionalString = (name: string) => Config.option(Config.string(name))
const optionalRedacted = (name: string) => Config.option(Config.redacted(name))
const list = (text: string) => text.split(",").map((s) => s.trim()).filter((s) => s !== "")

/**
 * The SSRF policy: `GUILDPULSE_ALERTS_ALLOW` (host names, addresses or CIDRs allowed despite being
 * private/loopback) and `GUILDPULSE_ALERTS_ALLOW_HTTP=true` (http: for those targets only).
 */
export const policyConfig: Config.Config<SafeUrlPolicy> = Config.all({
  allow: optionalString("GUILDPULSE_ALERTS_ALLOW"),
  allowHttp: Config.boolean("GUILDPULSE_ALERTS_ALLOW_HTTP").pipe(Config.withDefault(false))
}).pipe(Config.map((c) => ({ allow: Option.match(c.allow, { onNone: () => [], onSome: list }), allowHttp: c.allowHttp })))

/**
 * Channels from env: `GUILDPULSE_ALERTS_WEBHOOK_URL` + `GUILDPULSE_ALERTS_WEBHOOK_SECRET` (comma-separated
 * while rotating), `GUILDPULSE_ALERTS_SLACK_URL`, `GUILDPULSE_ALERTS_DISCORD_URL`, and `SMTP_URL` +
 * `GUILDPULSE_ALERTS_EMAIL_TO` (comma-separated) + `GUILDPULSE_ALERTS_EMAIL_FROM`. URLs and secrets are
 * read as `Redacted`.
 */
export const channelsConfig: Effect.Effect<ReadonlyArray<Notifier.Channel>, ConfigError.ConfigError, Scope.Scope> = Effect.gen(function* () {
  const policy = yield* policyConfig
  const webhookUrl = yield* optionalRedacted("GUILDPULSE_ALERTS_WEBHOOK_URL")
  const webhookSecret = yield* optionalRedacted("GUILDPULSE_ALERTS_WEBHOOK_SECRET")
  const slackUrl = yield* optionalRedacted("GUILDPULSE_ALERTS_SLACK_URL")
  const discordUrl = yield* optionalRedacted("GUILDPULSE_ALERTS_DISCORD_URL")
  const smtpUrl = yield* optionalRedacted("SMTP_URL")
  const emailTo = yield* optionalString("GUILDPULSE_ALERTS_EMAIL_TO")
  const emailFrom = yield* Config.string("GUILDPULSE_ALERTS_EMAIL_FROM").pipe(Config.withDefault("GuildPulse <guildpulse@localhost>"))
  const channels: Array<Notifier.Channel> = []
  if (Option.isSome(webhookUrl)) {
    if (Option.isNone(webhookSecret)) {
      return yield* Effect.fail(
        ConfigError.MissingData(["GUILDPULSE_ALERTS_WEBHOOK_SECRET"], "a signing secret is required when GUILDPULSE_ALERTS_WEBHOOK_URL is set")
      )
    }
    const secrets = list(Redacted.value(webhookSecret.value)).map((s) => Redacted.make(s))
    channels.push(WebhookNotifier.make({ url: webhookUrl.value, secret: secrets, policy }))
  }
  if (Option.isSome(slackUrl)) channels.push(SlackNotifier.make({ url: slackUrl.value, policy }))
  if (Option.isSome(discordUrl)) channels.push(DiscordWebhookNotifier.make({ url: discordUrl.value, policy }))
  if (Option.isSome(smtpUrl) && Option.isSome(emailTo)) {
    channels.push(yield* EmailNotifier.make({ smtpUrl: smtpUrl.value, from: emailFrom, to: list(emailTo.value) }))
  }
  return channels
})

/**
 * The environment: `GUILDPULSE_DIGEST_CRON` (the digest's schedule; default Monday 09:00 UTC), one `Config` per
 * option, so a caller can spread it and add code options (`{ ...fromEnv, alerts: Config.succeed({ run: false }) }`).
 */
export const fromEnv = {
  digest: Config.option(Config.string("GUILDPULSE_DIGEST_CRON")).pipe(
    Config.map((cron): Digest.DigestOptions | undefined => (Option.isSome(cron) ? { cron: cron.value } : undefined))
  )
} satisfies Config.Config.Wrap<Omit<ObservabilityOptions, "channels">>

/**
 * `layer` with options read with Effect `Config`, in the Effect monorepo's shape: a `Config` of the options or a
 * record of one `Config` per option (a `Config.Config.Wrap`; `Config.succeed(value)` for a code-only option), the
 * environment (`fromEnv`) by default; the channels always come from the environment (`channelsConfig`).
 */
export const layerConfig = (
  config: Config.Config.Wrap<Omit<ObservabilityOptions, "channels">> = fromEnv
): Layer.Layer<Services, ValidationError | ConfigError.ConfigError, Engine.Services | Telemetry.Telemetry> =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      const options = yield* Config.unwrap<Omit<ObservabilityOptions, "channels">>(config)
      const channels = yield* channelsConfig
      return layer({ ...options, channels })
    })
  )
