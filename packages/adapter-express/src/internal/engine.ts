/**
 * The engine as the routes see it: the services of one `ManagedRuntime`, resolved once, and a runner that
 * executes an effect synchronously when it can (a warm cache hit never leaves the current tick) and falls
 * back to awaiting the same fiber when the effect goes asynchronous (a refresh, a Redis round-trip).
 */
import {
  Analytics,
  AnalyticsStore,
  type Engine,
  EventLog,
  ProfileRepository,
  Profiles,
  Refresher,
  RefreshScheduler,
  SnapshotStore,
  Stats,
  StoreHealth
} from "@guildpulse/core"
import { Effect, Exit, Fiber, Option, Runtime } from "effect"

export type Run = <A, E>(effect: Effect.Effect<A, E, Engine.Services>) => Exit.Exit<A, E> | Promise<Exit.Exit<A, E>>

export interface EngineHandle {
  readonly runtime: Runtime.Runtime<Engine.Services>
  readonly run: Run
  readonly stats: Stats.Stats["Type"]
  readonly profiles: Profiles.Profiles["Type"]
  readonly repository: ProfileRepository.ProfileRepository["Type"]
  readonly snapshots: SnapshotStore.SnapshotStore["Type"]
  readonly refresher: Refresher.Refresher["Type"]
  readonly scheduler: RefreshScheduler.RefreshScheduler["Type"]
  readonly events: EventLog.EventLog["Type"]
  readonly storeHealth: StoreHealth.StoreHealth["Type"]
  /** The runtime's `Analytics`, or one over its `AnalyticsStore`; undefined when it provides neither. */
  readonly analytics: Analytics.Analytics["Type"] | undefined
  /** The engine's clock (its `Clock` service), read without running an effect. */
  readonly nowMs: () => number
}

export const makeRun = (runtime: Runtime.Runtime<Engine.Services>): Run => {
  const runSyncExit = Runtime.runSyncExit(runtime)
  const runPromise = Runtime.runPromise(runtime)
  return <A, E>(effect: Effect.Effect<A, E, Engine.Services>) => {
    const exit = runSyncExit(effect)
    if (Exit.isFailure(exit) && exit.cause._tag === "Die" && Runtime.isAsyncFiberException(exit.cause.defect)) {
      // The fiber keeps running on the default scheduler; wait for its real outcome.
      const fiber = exit.cause.defect.fiber as Fiber.RuntimeFiber<A, E>
      return runPromise(Fiber.await(fiber))
    }
    return exit
  }
}

export const makeHandle = (runtime: Runtime.Runtime<Engine.Services>): EngineHandle => {
  const services = Runtime.runSync(runtime)(
    Effect.all({
      stats: Stats.Stats,
      profiles: Profiles.Profiles,
      repository: ProfileRepository.ProfileRepository,
      snapshots: SnapshotStore.SnapshotStore,
      refresher: Refresher.Refresher,
      scheduler: RefreshScheduler.RefreshScheduler,
      events: EventLog.EventLog,
      storeHealth: StoreHealth.StoreHealth
    })
  )
  const clock = Runtime.runSync(runtime)(Effect.clock)
  const analytics = Runtime.runSync(runtime)(
    Effect.map(Effect.all([Effect.serviceOption(Analytics.Analytics), Effect.serviceOption(AnalyticsStore.AnalyticsStore)]), ([service, store]) =>
      Option.getOrUndefined(Option.orElse(service, () => Option.map(store, Analytics.make)))
    )
  )
  return { runtime, run: makeRun(runtime), nowMs: () => clock.unsafeCurrentTimeMillis(), analytics, ...services }
}

export const isPromise = <A>(value: A | Promise<A>): value is Promise<A> =>
  typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function"

/** Continues with the result whether it is already there or still coming. */
export const onExit = <A, E>(
  result: Exit.Exit<A, E> | Promise<Exit.Exit<A, E>>,
  f: (exit: Exit.Exit<A, E>) => void | Promise<void>
): void | Promise<void> => (isPromise(result) ? result.then(f) : f(result))
