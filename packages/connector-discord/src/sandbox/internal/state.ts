/** What the sandbox's routes share: fixtures, clock, rate limiter, scenarios, statistics and held requests. */
import type { ServerResponse } from "node:http"
import { indexFixtures, type SandboxFixtures } from "../Fixtures.js"
import { type RateLimits, SandboxRateLimiter } from "../RateLimiter.js"
import { type Scenario, ScenarioRegistry } from "../Scenario.js"
import { StatsRecorder } from "../Stats.js"
import { makeTimers } from "./http.js"

export interface SandboxStateOptions {
  readonly clock: () => number
  readonly fixtures: SandboxFixtures
  readonly limits: RateLimits
  readonly inviteCacheMs: number
}

export const makeSandboxState = (options: SandboxStateOptions) => {
  const limiter = new SandboxRateLimiter(options.limits)
  const scenarios = new ScenarioRegistry()
  const stats = new StatsRecorder()
  return {
    ...options,
    index: indexFixtures(options.fixtures),
    limiter,
    scenarios,
    stats,
    timers: makeTimers(),
    /** Requests held open by the `timeout` scenario, dropped when the server stops. */
    held: new Set<ServerResponse>(),
    applyScenario: (scenario: Scenario): void => {
      scenarios.set(scenario)
      if (scenario.mode === "healthy" && scenario.target === undefined) limiter.clearScenarioWindows()
    },
    clearScenarios: (): void => {
      scenarios.clear()
      limiter.clearScenarioWindows()
    },
    /** Resets counters, scenarios and rate-limit buckets. */
    reset: (): void => {
      stats.reset()
      scenarios.clear()
      limiter.reset()
    }
  }
}

export type SandboxState = ReturnType<typeof makeSandboxState>
