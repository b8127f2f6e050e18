/**
 * The circuit breaker as a pure state machine, keyed elsewhere by (profile, source).
 *
 * - Closed: opens after `consecutiveFailures` failures in a row, or when at least `minimumCalls` of the last
 *   `windowSize` calls include `failureRateThreshold` failures.
 * - Open: refuses until `openUntilMs`, then admits exactly one probe (HalfOpen). A failed probe re-opens with
 *   a doubled interval (capped, ±jitter); a successful one closes.
 * - Throttled: a 429 opens for exactly the announced wait — throttling, not failure; it then closes.
 * - Misconfigured: 401/403, widget disabled, unknown guild or invite. Probed on a growing interval — first
 *   `misconfiguredFirstProbeMs` after it was seen, then after as long again as it has been misconfigured
 *   (so the interval doubles), capped at `misconfiguredProbeMs` (hourly) — or at once when the profile changes
 *   (its version differs). A setting fixed on Discord's side (widget switched on, bot invited) is noticed
 *   within about as long as it was broken; a lasting one costs a handful of requests, then one an hour.
 */
import { Schema } from "effect"
import type { UpstreamError } from "./Errors.js"

export interface CircuitBreakerOptions {
  readonly consecutiveFailures: number
  readonly windowSize: number
  readonly minimumCalls: number
  readonly failureRateThreshold: number
  readonly initialOpenMs: number
  readonly maxOpenMs: number
  readonly jitter: number
  /** The longest interval between probes of a misconfigured circuit. */
  readonly misconfiguredProbeMs: number
  /** The first probe of a misconfigured circuit comes this long after the misconfiguration was seen. */
  readonly misconfiguredFirstProbeMs: number
  /** A half-open probe that never reports back stops blocking after this long. */
  readonly probeTimeoutMs: number
}

export const defaultCircuitBreakerOptions: CircuitBreakerOptions = {
  consecutiveFailures: 5,
  windowSize: 20,
  minimumCalls: 10,
  failureRateThreshold: 0.5,
  initialOpenMs: 30_000,
  maxOpenMs: 15 * 60_000,
  jitter: 0.2,
  misconfiguredProbeMs: 60 * 60_000,
  misconfiguredFirstProbeMs: 30_000,
  probeTimeoutMs: 60_000
}

const Outcomes = Schema.Array(Schema.Boolean)

export const CircuitState = Schema.Union(
  Schema.TaggedStruct("Closed", {
    consecutiveFailures: Schema.Int,
    /** Recent outcomes, newest last; `true` is a failure. */
    window: Outcomes,
    /** The interval the next opening will use (grows with failed probes, reset on close). */
    nextOpenMs: Schema.Number
  }),
  Schema.TaggedStruct("Open", { openedAtMs: Schema.Number, openUntilMs: Schema.Number, intervalMs: Schema.Number, reason: Schema.String }),
  Schema.TaggedStruct("HalfOpen", {
    probeStartedAtMs: Schema.Number,
    intervalMs: Schema.Number,
    /** The failure that opened the circuit (kept so a refusal can name the root cause). */
    reason: Schema.optional(Schema.String)
  }),
  Schema.TaggedStruct("Throttled", { untilMs: Schema.Number }),
  Schema.TaggedStruct("Misconfigured", {
    reason: Schema.String,
    sinceMs: Schema.Number,
    nextProbeAtMs: Schema.Number,
    profileVersion: Schema.Int,
    probing: Schema.Boolean,
    probeStartedAtMs: Schema.Number
  })
)
export type CircuitState = typeof CircuitState.Type
export type CircuitStateName = "closed" | "open" | "half_open" | "throttled" | "misconfigured"

export const stateName = (state: CircuitState): CircuitStateName => {
  switch (state._tag) {
    case "Closed":
      return "closed"
    case "Open":
      return "open"
    case "HalfOpen":
      return "half_open"
    case "Throttled":
      return "throttled"
    case "Misconfigured":
      return "misconfigured"
  }
}

export const initialState = (options: CircuitBreakerOptions = defaultCircuitBreakerOptions): CircuitState => ({
  _tag: "Closed",
  consecutiveFailures: 0,
  window: [],
  nextOpenMs: options.initialOpenMs
})

export type Admission =
  | { readonly admitted: true; readonly state: CircuitState }
  | { readonly admitted: false; readonly state: CircuitState; readonly retryAfterMs: number }

/**
 * Decides whether a call may go out now. May move Open → HalfOpen (the caller is the single probe), expire a
 * throttle, or start a misconfiguration probe.
 */
export const admit = (
  state: CircuitState,
  nowMs: number,
  profileVersion: number,
  options: CircuitBreakerOptions = defaultCircuitBreakerOptions
): Admission => {
  switch (state._tag) {
    case "Closed":
      return { admitted: true, state }
    case "Throttled":
      return nowMs >= state.untilMs
        ? { admitted: true, state: initialState(options) }
        : { admitted: false, state, retryAfterMs: state.untilMs - nowMs }
    case "Open":
      return nowMs >= state.openUntilMs
        ? { admitted: true, state: { _tag: "HalfOpen", probeStartedAtMs: nowMs, intervalMs: state.intervalMs, reason: state.reason } }
        : { admitted: false, state, retryAfterMs: state.openUntilMs - nowMs }
    case "HalfOpen":
      return nowMs - state.probeStartedAtMs >= options.probeTimeoutMs
        ? { admitted: true, state: { ...state, probeStartedAtMs: nowMs } }
        : { admitted: false, state, retryAfterMs: Math.max(1, state.probeStartedAtMs + options.probeTimeoutMs - nowMs) }
    case "Misconfigured": {
      const probeStale = state.probing && nowMs - state.probeStartedAtMs >= options.probeTimeoutMs
      const due = nowMs >= state.nextProbeAtMs || profileVersion !== state.profileVersion
      if ((due && !state.probing) || probeStale) {
        return { admitted: true, state: { ...state, probing: true, probeStartedAtMs: nowMs, profileVersion } }
      }
      return { admitted: false, state, retryAfterMs: Math.max(1, state.nextProbeAtMs - nowMs) }
    }
  }
}

export type CallOutcome =
  | { readonly _tag: "Success" }
  | { readonly _tag: "Failure"; readonly error: UpstreamError }

const isMisconfiguration = (error: UpstreamError): boolean =>
  error.reason === "unauthorized" ||
  error.reason === "forbidden" ||
  error.reason === "widget_disabled" ||
  error.reason === "unknown_guild" ||
  error.reason === "unknown_invite"

/** Jittered interval: `intervalMs` ±`jitter`, from a uniform `random01` in [0, 1). */
export const jitteredMs = (intervalMs: number, random01: number, jitter: number): number =>
  Math.round(intervalMs * (1 - jitter + 2 * jitter * random01))

/** The state after a call's outcome. */
export const record = (
  state: CircuitState,
  outcome: CallOutcome,
  nowMs: number,
  random01: number,
  profileVersion: number,
  options: CircuitBreakerOptions = defaultCircuitBreakerOptions
): CircuitState => {
  if (outcome._tag === "Success") {
    return state._tag === "Closed"
      ? { ...state, consecutiveFailures: 0, window: pushOutcome(state.window, false, options.windowSize) }
      : initialState(options)
  }
  const error = outcome.error
  if (error.reason === "rate_limited") {
    // Throttling is not failure: stay out for exactly the announced wait and nothing more.
    const waitMs = error.retryAfterMs ?? 1000
    return { _tag: "Throttled", untilMs: nowMs + waitMs }
  }
  if (isMisconfiguration(error)) {
    const sinceMs = state._tag === "Misconfigured" ? state.sinceMs : nowMs
    return {
      _tag: "Misconfigured",
      reason: error.reason,
      sinceMs,
      nextProbeAtMs: nowMs + misconfiguredProbeIntervalMs(nowMs - sinceMs, options),
      profileVersion,
      probing: false,
      probeStartedAtMs: 0
    }
  }
  switch (state._tag) {
    case "HalfOpen": {
      const intervalMs = Math.min(options.maxOpenMs, state.intervalMs * 2)
      return open(nowMs, intervalMs, random01, error.reason, options)
    }
    case "Closed": {
      const window = pushOutcome(state.window, true, options.windowSize)
      const consecutiveFailures = state.consecutiveFailures + 1
      const failures = window.filter(Boolean).length
      const rateTripped = window.length >= options.minimumCalls && failures / window.length >= options.failureRateThreshold
      return consecutiveFailures >= options.consecutiveFailures || rateTripped
        ? open(nowMs, state.nextOpenMs, random01, error.reason, options)
        : { ...state, consecutiveFailures, window }
    }
    default:
      // A failure reported while open or throttled (a call admitted earlier): open from here.
      return open(nowMs, options.initialOpenMs, random01, error.reason, options)
  }
}

/** The wait before the next probe of a circuit misconfigured for `elapsedMs`: as long again, within bounds. */
export const misconfiguredProbeIntervalMs = (
  elapsedMs: number,
  options: CircuitBreakerOptions = defaultCircuitBreakerOptions
): number => Math.min(options.misconfiguredProbeMs, Math.max(options.misconfiguredFirstProbeMs, elapsedMs))

const open = (
  nowMs: number,
  intervalMs: number,
  random01: number,
  reason: string,
  options: CircuitBreakerOptions
): CircuitState => ({
  _tag: "Open",
  openedAtMs: nowMs,
  openUntilMs: nowMs + jitteredMs(intervalMs, random01, options.jitter),
  intervalMs,
  reason
})

const pushOutcome = (window: ReadonlyArray<boolean>, failed: boolean, size: number): ReadonlyArray<boolean> => {
  const next = [...window, failed]
  return next.length > size ? next.slice(next.length - size) : next
}

/** The failure behind a refusing circuit (`rate_limited` for a throttle), if known. */
export const rootCause = (state: CircuitState): string | undefined => {
  switch (state._tag) {
    case "Closed":
      return undefined
    case "Throttled":
      return "rate_limited"
    case "Open":
    case "HalfOpen":
    case "Misconfigured":
      return state.reason
  }
}

/**
 * When the source behind this circuit may next be called (for the scheduler): a misconfigured circuit at its
 * probe time (at once when the profile changed), any other at the end of its open, throttled or probing period.
 */
export const availability = (
  state: CircuitState,
  nowMs: number,
  profileVersion: number,
  options: CircuitBreakerOptions = defaultCircuitBreakerOptions
): { readonly misconfigured: boolean; readonly atMs: number } => {
  switch (state._tag) {
    case "Closed":
      return { misconfigured: false, atMs: nowMs }
    case "Throttled":
      return { misconfigured: false, atMs: Math.max(nowMs, state.untilMs) }
    case "Open":
      return { misconfigured: false, atMs: Math.max(nowMs, state.openUntilMs) }
    case "HalfOpen":
      return { misconfigured: false, atMs: Math.max(nowMs, state.probeStartedAtMs + options.probeTimeoutMs) }
    case "Misconfigured":
      return { misconfigured: true, atMs: profileVersion !== state.profileVersion ? nowMs : Math.max(nowMs, state.nextProbeAtMs) }
  }
}
