/**
 * Ready-made compositions of the connector: core's `StatsSource` for the widget, bot and invite endpoints
 * over Node's HTTP client (undici), with the rate limiter, plus the token validator.
 *
 * Retry (Retry-After as a floor), the per-attempt budget and the circuit breaker are core's: the engine's
 * `Refresher` applies them around every `StatsSource.fetch`, and the connector fills `retryAfterMs`,
 * `global` and `scope` of every `rate_limited` error so that they can. Events go to the `EventLog` of the
 * calling fiber (the engine's), when there is one.
 *
 * ```ts
 * Engine.layerMemory({ profiles, tokens }).pipe(Layer.provide(DiscordLive.layer({ baseUrl })))
 * ```
 */
import { NodeHttpClient } from "@effect/platform-node"
import { Layer } from "effect"
import type { Config, ConfigError } from "effect"
import { RateLimitStore } from "@guildpulse/core"
import type { StatsSource, TokenVerifier } from "@guildpulse/core"
import * as DiscordClient from "./DiscordClient.js"
import * as DiscordConfig from "./DiscordConfig.js"
import * as DiscordSource from "./DiscordSource.js"
import * as RateLimiter from "./RateLimiter.js"
import * as TokenValidator from "./TokenValidator.js"

/** Everything the connector layers provide. */
export type Services =
  | StatsSource.StatsSource
  | DiscordClient.DiscordClient
  | RateLimiter.RateLimiter
  | TokenValidator.TokenValidator
  | TokenVerifier.TokenVerifier

const build = (
  config: Layer.Layer<DiscordConfig.DiscordConfig, ConfigError.ConfigError>
): Layer.Layer<Services, ConfigError.ConfigError, RateLimitStore.RateLimitStore> => {
  const client = DiscordClient.layer.pipe(Layer.provideMerge(RateLimiter.layer), Layer.provide(NodeHttpClient.layerUndici))
  return Layer.mergeAll(DiscordSource.layer, TokenValidator.layer, TokenValidator.layerVerifier).pipe(Layer.provideMerge(client), Layer.provide(config))
}

/**
 * The connector over a `RateLimitStore` provided from outside — store-redis's, so that every instance
 * spends one Discord budget.
 */
export const layerWithStore = (
  options: Partial<DiscordConfig.DiscordOptions> = {}
): Layer.Layer<Services, ConfigError.ConfigError, RateLimitStore.RateLimitStore> => build(DiscordConfig.layer(options))

/** The connector with an in-memory `RateLimitStore` (one process). */
export const layer = (options: Partial<DiscordConfig.DiscordOptions> = {}): Layer.Layer<Services, ConfigError.ConfigError> =>
  layerWithStore(options).pipe(Layer.provide(RateLimitStore.layerMemory))

/** `layerWithStore` with options read with Effect `Config` (`DiscordConfig.layerConfig`; the environment by default). */
export const layerConfigWithStore = (
  config: Config.Config.Wrap<Partial<DiscordConfig.DiscordOptions>> = DiscordConfig.fromEnv
): Layer.Layer<Services, ConfigError.ConfigError, RateLimitStore.RateLimitStore> => build(DiscordConfig.layerConfig(config))

/** `layer` with options read with Effect `Config` (`DISCORD_API_BASE_URL`, … from the environment by default). */
export const layerConfig = (
  config: Config.Config.Wrap<Partial<DiscordConfig.DiscordOptions>> = DiscordConfig.fromEnv
): Layer.Layer<Services, ConfigError.ConfigError> => layerConfigWithStore(config).pipe(Layer.provide(RateLimitStore.layerMemory))
