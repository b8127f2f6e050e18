/**
 * How a contract suite lets time pass. A store that reads Effect's `Clock` (the memory layers) runs on the
 * `TestClock`: time moves only when the test says so, instantly. A store that keeps time elsewhere (Redis keeps
 * expiries and `TIME` on the server) runs on the real clock: the test waits until the moment has passed, which a
 * busy machine can only make longer, never wrong.
 */
import { it } from "@effect/vitest"
import { Duration, Effect, TestClock } from "effect"

export type ContractClock = "test" | "live"

export const timeOf = (clock: ContractClock) => ({
  /** The test runner: `it.effect` (TestClock) or `it.live`. */
  test: clock === "test" ? it.effect : it.live,
  /** Lets `ms` pass: `TestClock.adjust` or a real wait. */
  pass: (ms: number): Effect.Effect<void> => (clock === "test" ? TestClock.adjust(Duration.millis(ms)) : Effect.sleep(Duration.millis(ms)))
})
