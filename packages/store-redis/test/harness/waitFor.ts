/**
 * Waiting for something a real process does (Redis, BullMQ, a child process): poll the condition until it holds.
 * Tests never sleep a fixed duration and hope; the bound here is only a safety net, so that a broken component
 * fails with a message instead of the test's timeout. Nothing waits for the bound to pass.
 */
import { Duration, Effect } from "effect"

/** Far beyond what anything takes even on a saturated machine; tests that use it allow more than this. */
export const SAFETY_MS = 60_000
/** Child processes load TypeScript through tsx: slow to start on a saturated machine. */
export const STARTUP_SAFETY_MS = 150_000

/** Succeeds once `condition` yields true; fails with `what` if it has not after `safetyMs`. */
export const waitFor = <E, R>(what: string, condition: Effect.Effect<boolean, E, R>, safetyMs = SAFETY_MS): Effect.Effect<void, E | Error, R> =>
  Effect.gen(function* () {
    const deadline = Date.now() + safetyMs
    while (!(yield* condition)) {
      if (Date.now() > deadline) return yield* Effect.fail(new Error(`still waiting for: ${what}`))
      yield* Effect.sleep(Duration.millis(20))
    }
  })
