/**
 * The engine on the embedded store: core's use cases (`Stats`, `Profiles`, `Refresher`, `CircuitBreaker`) and
 * its in-process scheduler on `SqliteStores` — given a `StatsSource`. The single-instance default: everything
 * survives a restart, and a restarted engine serves every profile's last good snapshot at once.
 *
 * ```ts
 * const engine = SqliteEngine.layer({ dataDir: "./.guildpulse" })
 * const live = engine.pipe(Layer.provide(DemoSource.layer))
 * ```
 */
import { Config, ConfigError, Effect, Layer } from "effect"
import { Engine } from "@guildpulse/core"
import type { CircuitBreakerPolicy, Refresher, RefreshScheduler, StatsSource, StoreError } from "@guildpulse/core"
import type { SqliteDatabase } from "./SqliteDatabase.js"
import type { SqliteSecretVault } from "./SqliteSecretVault.js"
import * as SqliteStores from "./SqliteStores.js"

export interface SqliteEngineOptions extends SqliteStores.SqliteStoresOptions {
  readonly refresher?: Partial<Refresher.RefresherOptions>
  readonly circuitBreaker?: CircuitBreakerPolicy.CircuitBreakerOptions
  /**
   * Core's in-process scheduler and its options (default: overdue profiles spread over 30 s at start, jobs
   * armed in the background so the first answer does not wait for them), or `false` for refreshes on demand only.
   */
  readonly scheduler?: RefreshScheduler.MemorySchedulerOptions | false
}

export type Services = Engine.Services | SqliteDatabase | SqliteSecretVault

/**
 * After a restart, profiles whose refresh fell due while the process was down are spread over this window
 * (the recovery goal is every profile fresh within ttl + 30 s); the others keep their persisted schedule.
 */
export const DEFAULT_OVERDUE_SPREAD_MS = 30_000

const engineOptions = (options: SqliteEngineOptions): Engine.MemoryEngineOptions => ({
  ...(options.refresher !== undefined ? { refresher: options.refresher } : {}),
  ...(options.circuitBreaker !== undefined ? { circuitBreaker: options.circuitBreaker } : {}),
  scheduler: options.scheduler === false ? false : { overdueSpreadMs: DEFAULT_OVERDUE_SPREAD_MS, startInBackground: true, ...options.scheduler }
})

export const layer = (
  options: SqliteEngineOptions = {}
): Layer.Layer<Services, StoreError | ConfigError.ConfigError, StatsSource.StatsSource> =>
  Engine.services(engineOptions(options)).pipe(Layer.provideMerge(SqliteStores.layer(options)))

/**
 * Options read with Effect `Config`, in the Effect monorepo's shape: a `Config` of the options or a record of one
 * `Config` per option (a `Config.Config.Wrap`), the environment (`SqliteStores.fromEnv`: `GUILDPULSE_DATA_DIR`,
 * `GUILDPULSE_MASTER_KEYS`) by default. Add code options with `Config.succeed`:
 * `SqliteEngine.layerConfig({ ...SqliteStores.fromEnv, refresher: Config.succeed({ … }) })`.
 */
export const layerConfig = (
  config: Config.Config.Wrap<SqliteEngineOptions> = SqliteStores.fromEnv
): Layer.Layer<Services, StoreError | ConfigError.ConfigError, StatsSource.StatsSource> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap<SqliteEngineOptions>(config), layer))
