/**
 * One clock for the whole demo — the sandbox's and the engine's — that can be moved forward. Tests use it to
 * let Discord's numbers drift and snapshots age without waiting; the demo itself runs on real time.
 */
import { Clock, Duration, Effect, Layer } from "effect"

export interface DemoClock {
  /** Epoch milliseconds, real time plus the offset. */
  readonly now: () => number
  /** Moves this clock forward (never back). */
  readonly advance: (ms: number) => void
  /** The same clock for Effect, installed with `layer`. */
  readonly effectClock: Clock.Clock
  readonly layer: Layer.Layer<never>
}

export const make = (): DemoClock => {
  let offsetMs = 0
  const base = Clock.make()
  const now = () => base.unsafeCurrentTimeMillis() + offsetMs
  const effectClock: Clock.Clock = {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: now,
    currentTimeMillis: Effect.sync(now),
    unsafeCurrentTimeNanos: () => base.unsafeCurrentTimeNanos() + BigInt(offsetMs) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => base.unsafeCurrentTimeNanos() + BigInt(offsetMs) * 1_000_000n),
    sleep: (duration: Duration.Duration) => base.sleep(duration)
  }
  return {
    now,
    advance: (ms) => {
      if (ms > 0) offsetMs += ms
    },
    effectClock,
    layer: Layer.setClock(effectClock)
  }
}
