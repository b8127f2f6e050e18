/**
 * Every store port of core on one database file: `SnapshotStore`, `ProfileRepository`, `SecretVault`,
 * `CircuitStore`, `RateLimitStore`, `Lock`, `EventLog`, `StoreHealth` — plus `SqliteDatabase` (flush, backup, maintenance).
 *
 * ```ts
 * Engine.services(options).pipe(Layer.provideMerge(SqliteStores.layer({ dataDir: "./.guildpulse" })))
 * ```
 */
import { Config, ConfigError, Effect, Layer, Option, Redacted } from "effect"
import { StoreHealth } from "@guildpulse/core"
import type { CircuitStore, EventLog, Lock, ProfileRepository, RateLimitStore, SecretVault, SnapshotStore, StoreError } from "@guildpulse/core"
import * as SqliteCircuitStore from "./SqliteCircuitStore.js"
import * as SqliteDatabase from "./SqliteDatabase.js"
import * as SqliteEventLog from "./SqliteEventLog.js"
import * as SqliteLock from "./SqliteLock.js"
import * as SqliteProfileRepository from "./SqliteProfileRepository.js"
import * as SqliteRateLimitStore from "./SqliteRateLimitStore.js"
import * as SqliteSecretVault from "./SqliteSecretVault.js"
import * as SqliteSnapshotStore from "./SqliteSnapshotStore.js"

export interface SqliteStoresOptions extends SqliteDatabase.SqliteOptions {
  readonly events?: SqliteEventLog.SqliteEventLogOptions
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
  | StoreHealth.StoreHealth
  | SqliteDatabase.SqliteDatabase

/** A local file is there as long as the process is: once the layer is built, the store is ready. */
const storeHealth: Layer.Layer<StoreHealth.StoreHealth> = Layer.succeed(
  StoreHealth.StoreHealth,
  StoreHealth.StoreHealth.of({ check: Effect.succeed({ store: "sqlite", ready: true }) })
)

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
    storeHealth
  )
  return stores.pipe(Layer.provideMerge(SqliteDatabase.layer(options)))
}

/** `GUILDPULSE_DATA_DIR` (default `./.guildpulse`), `GUILDPULSE_MASTER_KEYS` (optional). */
export const config: Config.Config<SqliteStoresOptions> = Config.all({
  database: SqliteDatabase.config,
  masterKeys: Config.option(Config.redacted("GUILDPULSE_MASTER_KEYS"))
}).pipe(
  Config.map(({ database, masterKeys }) => ({
    ...database,
    ...(Option.isSome(masterKeys) ? { masterKeys: masterKeys.value } : {})
  }))
)

export const layerConfig = (
  overrides: Omit<SqliteStoresOptions, "dataDir" | "masterKeys"> = {}
): Layer.Layer<Stores, StoreError | ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(config, (fromEnv) => layer({ ...overrides, ...fromEnv })))
