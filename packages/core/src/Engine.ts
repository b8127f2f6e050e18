/**
 * Ready-made compositions of the engine. `layerMemory` runs everything in one process with in-memory
 * stores — given a `StatsSource` (Discord connector, `DemoSource.layer`, or a test source).
 */
import { Layer } from "effect"
import * as CircuitBreaker from "./CircuitBreaker.js"
import type { CircuitBreakerOptions } from "./CircuitBreakerPolicy.js"
import * as CircuitStore from "./CircuitStore.js"
import * as EventLog from "./EventLog.js"
import * as Lock from "./Lock.js"
import type { Profile } from "./Profile.js"
import * as ProfileRepository from "./ProfileRepository.js"
import * as Profiles from "./Profiles.js"
import * as RateLimitStore from "./RateLimitStore.js"
import * as Refresher from "./Refresher.js"
import * as RefreshScheduler from "./RefreshScheduler.js"
import * as SecretVault from "./SecretVault.js"
import * as SnapshotStore from "./SnapshotStore.js"
import * as Stats from "./Stats.js"
import * as StoreHealth from "./StoreHealth.js"
import type { StatsSource } from "./StatsSource.js"

export interface MemoryEngineOptions {
  readonly profiles?: ReadonlyArray<Profile>
  readonly tokens?: Readonly<Record<string, string>>
  readonly refresher?: Partial<Refresher.RefresherOptions>
  readonly circuitBreaker?: CircuitBreakerOptions
  readonly scheduler?: RefreshScheduler.MemorySchedulerOptions | false
  /** Replaces the in-memory scheduler (e.g. a BullMQ scheduler from `@guildpulse/store-redis`). */
  readonly schedulerLayer?: Layer.Layer<
    RefreshScheduler.RefreshScheduler,
    never,
    Refresher.Refresher | ProfileRepository.ProfileRepository | SnapshotStore.SnapshotStore | EventLog.EventLog
  >
  readonly eventCapacity?: number
}

/** Every service of the engine. */
export type Services =
  | Stats.Stats
  | Profiles.Profiles
  | Refresher.Refresher
  | RefreshScheduler.RefreshScheduler
  | CircuitBreaker.CircuitBreaker
  | ProfileRepository.ProfileRepository
  | SnapshotStore.SnapshotStore
  | SecretVault.SecretVault
  | EventLog.EventLog
  | CircuitStore.CircuitStore
  | RateLimitStore.RateLimitStore
  | Lock.Lock
  | StoreHealth.StoreHealth

/** The in-memory stores of every port. */
export const storesMemory = (options: MemoryEngineOptions = {}) =>
  Layer.mergeAll(
    ProfileRepository.layerMemory(options.profiles),
    SnapshotStore.layerMemory,
    SecretVault.layerMemory(options.tokens),
    EventLog.layerMemory(options.eventCapacity),
    CircuitStore.layerMemory,
    RateLimitStore.layerMemory,
    Lock.layerMemory,
    StoreHealth.layerMemory
  )

/**
 * The use cases over whatever stores are provided. A scheduler that does nothing on its own can be had with
 * `scheduler: false` (tests drive refreshes by hand).
 */
export const services = (options: MemoryEngineOptions = {}) => {
  const breaker = CircuitBreaker.layer(options.circuitBreaker)
  const refresher = Refresher.layer(options.refresher).pipe(Layer.provideMerge(breaker))
  const scheduler = (
    options.schedulerLayer ??
      RefreshScheduler.layerMemory(options.scheduler === false ? { scheduleAllOnStart: false } : options.scheduler)
  ).pipe(Layer.provideMerge(refresher))
  return Layer.mergeAll(Stats.layer, Profiles.layer).pipe(Layer.provideMerge(scheduler))
}

export const layerMemory = (
  options: MemoryEngineOptions = {}
): Layer.Layer<Services, never, StatsSource> => services(options).pipe(Layer.provideMerge(storesMemory(options)))

/**
 * The in-memory engine with a source that itself needs the engine's stores (e.g. the Discord connector's
 * `layerWithStore`, which spends the engine's `RateLimitStore` and reports to its `EventLog`).
 */
export const layerMemoryWith = <E, R>(
  source: Layer.Layer<StatsSource, E, R | RateLimitStore.RateLimitStore | EventLog.EventLog>,
  options: MemoryEngineOptions = {}
): Layer.Layer<Services, E, Exclude<R, RateLimitStore.RateLimitStore | EventLog.EventLog>> =>
  services(options).pipe(Layer.provideMerge(source), Layer.provideMerge(storesMemory(options))) as Layer.Layer<
    Services,
    E,
    Exclude<R, RateLimitStore.RateLimitStore | EventLog.EventLog>
  >
