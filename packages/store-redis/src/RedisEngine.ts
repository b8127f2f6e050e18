/**
 * The engine over Redis: core's use cases (`Stats`, `Profiles`, `Refresher`, `CircuitBreaker`) on
 * `RedisStores`, with the BullMQ scheduler (or core's in-process one) — given a `StatsSource`.
 *
 * ```ts
 * const engine = RedisEngine.layer({ url: "redis://127.0.0.1:6379", scheduler: { concurrency: 4 } })
 * const live = engine.pipe(Layer.provide(DemoSource.layer))
 * ```
 *
 * Readiness comes from core's `StoreHealth` port (`RedisHealth.layerStoreHealth`): not ready while Redis is
 * unreachable, whatever the scheduler.
 */
import { Config, ConfigError, Effect, Layer } from "effect"
import {
  CircuitBreaker,
  CircuitStore,
  Engine,
  EventLog,
  Lock,
  ProfileRepository,
  Profiles,
  Refresher,
  RefreshScheduler,
  SecretVault,
  SnapshotStore,
  Stats
} from "@guildpulse/core"
import type { CircuitBreakerPolicy, StatsSource } from "@guildpulse/core"
import { RedisConnection } from "./RedisConnection.js"
import type { RedisHealth } from "./RedisHealth.js"
import * as RedisRefreshScheduler from "./RedisRefreshScheduler.js"
import * as RedisStores from "./RedisStores.js"

export interface RedisEngineOptions extends RedisStores.RedisStoresOptions {
  readonly refresher?: Partial<Refresher.RefresherOptions>
  readonly circuitBreaker?: CircuitBreakerPolicy.CircuitBreakerOptions
  /**
   * The BullMQ scheduler and its options (default), `"memory"` for core's in-process scheduler, or `false`
   * for a scheduler that does nothing on its own (refreshes happen on demand only).
   */
  readonly scheduler?: RedisRefreshScheduler.RedisRefreshSchedulerOptions | "memory" | false
}

export type Services = Engine.Services | RedisConnection | RedisHealth

type SchedulerDeps =
  | RedisConnection
  | Refresher.Refresher
  | ProfileRepository.ProfileRepository
  | SnapshotStore.SnapshotStore
  | EventLog.EventLog

export const schedulerLayer = (
  option: RedisEngineOptions["scheduler"]
): Layer.Layer<RefreshScheduler.RefreshScheduler, never, SchedulerDeps> => {
  if (option === "memory") return RefreshScheduler.layerMemory()
  if (option === false) return RefreshScheduler.layerMemory({ scheduleAllOnStart: false })
  return RedisRefreshScheduler.layer(option)
}

/** The use cases over whatever stores are provided (they must include `RedisConnection`). */
export const services = (
  options: Omit<RedisEngineOptions, "url"> = {}
): Layer.Layer<
  Stats.Stats | Profiles.Profiles | RefreshScheduler.RefreshScheduler | Refresher.Refresher | CircuitBreaker.CircuitBreaker,
  never,
  | StatsSource.StatsSource
  | SnapshotStore.SnapshotStore
  | ProfileRepository.ProfileRepository
  | SecretVault.SecretVault
  | CircuitStore.CircuitStore
  | Lock.Lock
  | EventLog.EventLog
  | RedisConnection
> => {
  const breaker = CircuitBreaker.layer(options.circuitBreaker)
  const refresher = Refresher.layer(options.refresher).pipe(Layer.provideMerge(breaker))
  const scheduler = schedulerLayer(options.scheduler).pipe(Layer.provideMerge(refresher))
  return Layer.mergeAll(Stats.layer, Profiles.layer).pipe(Layer.provideMerge(scheduler))
}

export const layer = (options: RedisEngineOptions): Layer.Layer<Services, ConfigError.ConfigError, StatsSource.StatsSource> =>
  services(options).pipe(Layer.provideMerge(RedisStores.layer(options)))

/**
 * Options read with Effect `Config`, in the Effect monorepo's shape: a `Config` of the options or a record of one
 * `Config` per option (a `Config.Config.Wrap`), the environment (`RedisStores.fromEnv`: `REDIS_URL`,
 * `GUILDPULSE_REDIS_PREFIX`, `GUILDPULSE_MASTER_KEYS`) by default. Add code options with `Config.succeed`:
 * `RedisEngine.layerConfig({ ...RedisStores.fromEnv, scheduler: Config.succeed("memory") })`.
 */
export const layerConfig = (
  config: Config.Config.Wrap<RedisEngineOptions> = RedisStores.fromEnv
): Layer.Layer<Services, ConfigError.ConfigError, StatsSource.StatsSource> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap<RedisEngineOptions>(config), layer))
