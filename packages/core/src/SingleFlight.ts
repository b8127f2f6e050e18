/**
 * In-process single flight: concurrent callers of one key share one running effect. The effect runs in a
 * fiber of its own, so a caller that gives up (interrupt) does not cancel it for the others.
 */
import { Deferred, Effect, FiberId, FiberSet, Scope } from "effect"

export interface SingleFlight {
  readonly run: <A, E>(key: string, effect: Effect.Effect<A, E>) => Effect.Effect<A, E>
  /** Starts the effect if it is not already running; does not wait. */
  readonly start: <A, E>(key: string, effect: Effect.Effect<A, E>) => Effect.Effect<void>
  readonly inFlight: (key: string) => boolean
}

export const make: Effect.Effect<SingleFlight, never, Scope.Scope> = Effect.gen(function* () {
  const fibers = yield* FiberSet.make()
  const inflight = new Map<string, Deferred.Deferred<unknown, unknown>>()
  const join = <A, E>(key: string, effect: Effect.Effect<A, E>): Effect.Effect<Deferred.Deferred<A, E>> =>
    Effect.suspend(() => {
      const existing = inflight.get(key)
      if (existing !== undefined) return Effect.succeed(existing as Deferred.Deferred<A, E>)
      // Created and registered synchronously, so no other fiber can start a second flight in between.
      const deferred = Deferred.unsafeMake<A, E>(FiberId.none)
      inflight.set(key, deferred as Deferred.Deferred<unknown, unknown>)
      return FiberSet.run(
        fibers,
        effect.pipe(
          Effect.exit,
          Effect.flatMap((exit) => Deferred.done(deferred, exit)),
          Effect.ensuring(Effect.sync(() => inflight.delete(key)))
        )
      ).pipe(Effect.as(deferred))
    })
  return {
    run: (key, effect) => Effect.flatMap(join(key, effect), Deferred.await),
    start: (key, effect) => Effect.asVoid(join(key, effect)),
    inFlight: (key) => inflight.has(key)
  }
})
