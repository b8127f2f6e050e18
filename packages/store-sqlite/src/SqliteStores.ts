/**
 * Every store port of core on one database file: `SnapshotStore`, `ProfileRepository`, `SecretVault`,
 * `CircuitStore`, `RateLimitStore`, `Lock`, `EventLog`, `ApiKeyRepository`, `AuditLog`, `AlertRulesStore`,
 * `AnalyticsStore`, `StoreHealth` — plus `SqliteDatabase` (flush, backup, maintenance).
 *
 * ```ts
 * Engine.services(options).pipe(Layer.provideMerge(SqliteStores.layer({ dataDir: "./.guildpulse" })))
 * ```
 */
import { Config, ConfigError, Effect, Layer, Option, Redacted } from "effect"
import type {
  AlertRulesStore,
  AnalyticsStore,
  ApiKeyRepository,
  AuditLog,
  CircuitStore,
  EventLog,
  Lock,
  ProfileRepository,
  RateLimitStore,
  SecretVault,
  SnapshotStore,
  StoreError,
  StoreHealth
} from "@guildpulse/core"
import * as SqliteAlertRulesStore from "./SqliteAlertRulesStore.js"
import * as SqliteAnalyticsStore from "./SqliteAnalyticsStore.js"
import * as SqliteApiKeyRepository from "./SqliteApiKeyRepository.js"
import * as SqliteAuditLog from "./SqliteAuditLog.js"
import * as SqliteCircuitStore from "./SqliteCircuitStore.js"
import * as SqliteDatabase from "./SqliteDatabase.js"
import * as SqliteEventLog from "./SqliteEventLog.js"
import * as SqliteLock from "./SqliteLock.js"
import * as SqliteProfileRepository from "./SqliteProfileRepository.js"
import * as SqliteRateLimitStore from "./SqliteRateLimitStore.js"
import * as SqliteSecretVault from "./SqliteSecretVault.js"
import * as SqliteSnapshotStore from "./SqliteSnapshotStore.js"
import * as SqliteStoreHealth from "./SqliteStoreHealth.js"

export interface SqliteStoresOptions extends SqliteDatabase.SqliteOptions {
  readonly events?: SqliteEventLog.SqliteEventLogOptions
  readonly analytics?: SqliteAnalyticsStore.SqliteAnalyticsStoreOptions
  /** `kid:base64key,…` (first is active); without it the data directory's own `master.key` is used. */
  readonly masterKeys?: Redacted.Redacted<string> | string
}

/** What `layer` provides. */
export type Stores =
  | SnapshotStore.SnapshotStore
  | ProfileRepository.ProfileRepository
  | SecretVault.SecretVault
  | SqliteSecretVault.SqliteSecretVault
  | CircuitStore.CircuitStore
  | RateLimitStore.RateLimitStore
  | Lock.Lock
  | EventLog.EventLog
  | ApiKeyRepository.ApiKeyRepository
  | AuditLog.AuditLog
  | AlertRulesStore.AlertRulesStore
  | AnalyticsStore.AnalyticsStore
  | SqliteAnalyticsStore.SqliteAnalyticsStore
  | StoreHealth.StoreHealth
  | SqliteDatabase.SqliteDatabase

export const layer = (options: SqliteStoresOptions = {}): Layer.Layer<Stores, StoreError | ConfigError.ConfigError> => {
  const keys = typeof options.masterKeys === "string" ? Redacted.make(options.masterKeys) : options.masterKeys
  const stores = Layer.mergeAll(
    SqliteSnapshotStore.layer,
    SqliteProfileRepository.layer,
    SqliteSecretVault.layer(keys),
    SqliteCircuitStore.layer,
    SqliteRateLimitStore.layer,
    SqliteLock.layer,
    SqliteEventLog.layer(options.events),
    SqliteApiKeyRepository.layer,
    SqliteAuditLog.layer,
    SqliteAlertRulesStore.layer,
    SqliteAnalyticsStore.layer(options.analytics),
    SqliteStoreHealth.layer
  )
  return stores.pipe(Layer.provideMerge(SqliteDatabase.layer(options)))
}

/**
 * The environment: `GUILDPULSE_DATA_DIR` (default `./.guildpulse`), `GUILDPULSE_MASTER_KEYS` (optional), one `Config`
 * per option, so a caller can spread it and add code options (`{ ...fromEnv, events: Config.succeed({ … }) }`).
 */
export const fromEnv = {
  ...SqliteDatabase.fromEnv,
  masterKeys: Config.option(Config.redacted("GUILDPULSE_MASTER_KEYS")).pipe(Config.map(Option.getOrUndefined))
} satisfies Config.Config.Wrap<SqliteStoresOptions>

/** `fromEnv` as one `Config`. */
export const config: Config.Config<SqliteStoresOptions> = Config.unwrap<SqliteStoresOptions>(fromEnv)

/**
 * Options read with Effect `Config`, in the Effect monorepo's shape: a `Config` of the options or a record of one
 * `Config` per option (a `Config.Config.Wrap`; `Config.succeed(value)` for a code-only option); the environment
 * (`fromEnv`) by default.
 */
export const layerConfig = (
  config: Config.Config.Wrap<SqliteStoresOptions> = fromEnv
): Layer.Layer<Stores, StoreError | ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap<SqliteStoresOptions>(config), layer))
