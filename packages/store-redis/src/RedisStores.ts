/**
 * Every store port of core on one Redis connection: `SnapshotStore`, `ProfileRepository`, `CircuitStore`,
 * `RateLimitStore`, `Lock`, `EventLog`, `SecretVault`, `StoreHealth`, `ApiKeyRepository`, `AuditLog`, `AnalyticsStore` — plus
 * `RedisConnection` and `RedisHealth`.
 *
 * ```ts
 * Engine.services(options).pipe(Layer.provideMerge(RedisStores.layer({ url: "redis://127.0.0.1:6379" })))
 * ```
 *
 * Tokens are encrypted in Redis when master keys are given (`GUILDPULSE_MASTER_KEYS`); without them the vault
 * stays in process memory (tokens from `tokens`), and a warning says so — plaintext tokens never go to Redis.
 */
import { Config, ConfigError, Effect, Layer, Option, Redacted } from "effect"
import { AnalyticsStore, ApiKeyRepository, AuditLog, CircuitStore, EventLog, Lock, ProfileRepository, RateLimitStore, SecretVault, SnapshotStore, StoreHealth } from "@guildpulse/core"
import * as RedisAnalyticsStore from "./RedisAnalyticsStore.js"
import * as RedisApiKeyRepository from "./RedisApiKeyRepository.js"
import * as RedisAuditLog from "./RedisAuditLog.js"
import * as RedisCircuitStore from "./RedisCircuitStore.js"
import * as RedisConnection from "./RedisConnection.js"
import * as RedisEventLog from "./RedisEventLog.js"
import * as RedisHealth from "./RedisHealth.js"
import * as RedisLock from "./RedisLock.js"
import * as RedisProfileRepository from "./RedisProfileRepository.js"
import * as RedisRateLimitStore from "./RedisRateLimitStore.js"
import * as RedisSecretVault from "./RedisSecretVault.js"
import * as RedisSnapshotStore from "./RedisSnapshotStore.js"

export interface RedisStoresOptions extends RedisConnection.RedisConnectionOptions {
  readonly events?: RedisEventLog.RedisEventLogOptions
  readonly rateLimits?: RedisRateLimitStore.RedisRateLimitStoreOptions
  readonly analytics?: RedisAnalyticsStore.RedisAnalyticsStoreOptions
  /** `kid:base64key,…` (first is active): tokens are stored in Redis, sealed with AES-256-GCM. */
  readonly masterKeys?: Redacted.Redacted<string> | string
  /** Initial tokens of the in-memory vault, used only without `masterKeys`. */
  readonly tokens?: Readonly<Record<string, string>>
}

/** What `layer` provides. */
export type Stores =
  | SnapshotStore.SnapshotStore
  | ProfileRepository.ProfileRepository
  | CircuitStore.CircuitStore
  | RateLimitStore.RateLimitStore
  | Lock.Lock
  | EventLog.EventLog
  | SecretVault.SecretVault
  | StoreHealth.StoreHealth
  | ApiKeyRepository.ApiKeyRepository
  | AuditLog.AuditLog
  | AnalyticsStore.AnalyticsStore
  | RedisConnection.RedisConnection
  | RedisHealth.RedisHealth

const vaultLayer = (options: RedisStoresOptions): Layer.Layer<SecretVault.SecretVault, ConfigError.ConfigError, RedisConnection.RedisConnection> => {
  if (options.masterKeys !== undefined) {
    const keys = typeof options.masterKeys === "string" ? Redacted.make(options.masterKeys) : options.masterKeys
    return RedisSecretVault.layer(keys)
  }
  return Layer.effectDiscard(
    Effect.logWarning("GUILDPULSE_MASTER_KEYS not set: bot tokens are kept in this process only (not shared through Redis)")
  ).pipe(Layer.provideMerge(SecretVault.layerMemory(options.tokens)))
}

export const layer = (options: RedisStoresOptions): Layer.Layer<Stores, ConfigError.ConfigError> => {
  const events = RedisEventLog.layer(options.events)
  const stores = Layer.mergeAll(
    RedisSnapshotStore.layer,
    RedisProfileRepository.layer,
    RedisCircuitStore.layer,
    RedisRateLimitStore.layer(options.rateLimits),
    RedisLock.layer,
    RedisApiKeyRepository.layer,
    RedisAuditLog.layer,
    RedisAnalyticsStore.layer(options.analytics),
    vaultLayer(options),
    RedisHealth.layerStoreHealth.pipe(Layer.provideMerge(RedisHealth.layer), Layer.provideMerge(events))
  )
  return stores.pipe(Layer.provideMerge(RedisConnection.layer(options)))
}

/**
 * The environment: `REDIS_URL`, `GUILDPULSE_REDIS_PREFIX` (default `gp:`), `GUILDPULSE_MASTER_KEYS` (optional), one
 * `Config` per option, so a caller can spread it and add code options (`{ ...fromEnv, events: Config.succeed({ … }) }`).
 */
export const fromEnv = {
  ...RedisConnection.fromEnv,
  masterKeys: Config.option(Config.redacted("GUILDPULSE_MASTER_KEYS")).pipe(Config.map(Option.getOrUndefined))
} satisfies Config.Config.Wrap<RedisStoresOptions>

/** `fromEnv` as one `Config`. */
export const config: Config.Config<RedisStoresOptions> = Config.unwrap<RedisStoresOptions>(fromEnv)

/**
 * Options read with Effect `Config`, in the Effect monorepo's shape: a `Config` of the options or a record of one
 * `Config` per option (a `Config.Config.Wrap`; `Config.succeed(value)` for a code-only option); the environment
 * (`fromEnv`) by default.
 */
export const layerConfig = (config: Config.Config.Wrap<RedisStoresOptions> = fromEnv): Layer.Layer<Stores, ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap<RedisStoresOptions>(config), layer))
