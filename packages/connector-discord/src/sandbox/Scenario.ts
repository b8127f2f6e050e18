/**
 * Failure scenarios the sandbox can play, set through `PUT /__sandbox/scenario` or `setScenario`.
 *
 * Matching: a scenario applies to a request when every field of its `target` matches (no target = every
 * Discord route). Setting a scenario replaces the one with the same target; `mode: "healthy"` without a
 * target clears all, with a target it is stored as an explicit "healthy here" override. When several
 * scenarios match, `slow` ones add their latency and the most recently set non-`slow` one decides.
 */

export const SCENARIO_MODES = [
  "healthy",
  "rate-limited",
  "global-rate-limit",
  "outage",
  "slow",
  "timeout",
  "malformed",
  "flapping",
  "widget-disabled",
  "unknown-guild",
  "invalid-token",
  "connection-reset"
] as const
export type ScenarioMode = (typeof SCENARIO_MODES)[number]

export const ROUTE_NAMES = ["widget", "guild", "invite", "me"] as const
export type RouteName = (typeof ROUTE_NAMES)[number]

export const OUTAGE_STATUSES = [500, 502, 503, 504] as const
export type OutageStatus = (typeof OUTAGE_STATUSES)[number]

export const MALFORMED_KINDS = ["invalid-json", "wrong-types", "missing-fields", "empty", "html"] as const
export type MalformedKind = (typeof MALFORMED_KINDS)[number]

export const RATE_LIMIT_SCOPES = ["user", "shared"] as const
export type RateLimitScope = (typeof RATE_LIMIT_SCOPES)[number]

export interface ScenarioTarget {
  readonly guildId?: string
  readonly route?: RouteName
  readonly inviteCode?: string
}

export interface ScenarioParams {
  /** slow: added latency before the request is processed. */
  readonly latencyMs?: number
  /** timeout: answer normally after this long; absent = hold the socket until the client gives up. */
  readonly holdMs?: number
  /** rate-limited, global-rate-limit: the announced wait. */
  readonly retryAfterSeconds?: number
  /** rate-limited: `X-RateLimit-Scope` of the 429. */
  readonly scope?: RateLimitScope
  /** flapping: every Nth matching request fails. */
  readonly failEveryN?: number
  /** outage, flapping: the 5xx status (502 and 504 answer with a proxy's HTML page). */
  readonly status?: OutageStatus
  /** malformed: what kind of broken 200 to send. */
  readonly kind?: MalformedKind
}

export interface Scenario {
  readonly mode: ScenarioMode
  readonly target?: ScenarioTarget
  readonly params?: ScenarioParams
}

export const DEFAULT_SLOW_LATENCY_MS = 2_000
export const DEFAULT_RETRY_AFTER_SECONDS = 5
export const DEFAULT_OUTAGE_STATUS: OutageStatus = 503
export const DEFAULT_FAIL_EVERY_N = 2
export const DEFAULT_MALFORMED_KIND: MalformedKind = "invalid-json"
const MAX_DELAY_MS = 600_000

const PARAMS_BY_MODE: Readonly<Record<ScenarioMode, ReadonlyArray<keyof ScenarioParams>>> = {
  healthy: [],
  "rate-limited": ["retryAfterSeconds", "scope"],
  "global-rate-limit": ["retryAfterSeconds"],
  outage: ["status"],
  slow: ["latencyMs"],
  timeout: ["holdMs"],
  malformed: ["kind"],
  flapping: ["failEveryN", "status"],
  "widget-disabled": [],
  "unknown-guild": [],
  "invalid-token": [],
  "connection-reset": []
}

export interface ScenarioInvalid {
  readonly ok: false
  /** Dotted path of the offending field, e.g. `params.latencyMs`. */
  readonly field: string
  readonly message: string
}

export type ScenarioParseResult = { readonly ok: true; readonly scenario: Scenario } | ScenarioInvalid

/** Thrown by the programmatic API for a scenario that `parseScenario` rejects. */
export class InvalidScenarioError extends Error {
  readonly field: string
  constructor(field: string, message: string) {
    super(message)
    this.name = "InvalidScenarioError"
    this.field = field
  }
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
const oneOf = <T extends string | number>(values: ReadonlyArray<T>, u: unknown): u is T =>
  values.some((v) => v === u)

const fail = (field: string, message: string): ScenarioInvalid => ({ ok: false, field, message: `${field}: ${message}` })

const parseTarget = (u: unknown): { readonly ok: true; readonly target: ScenarioTarget } | ScenarioInvalid => {
  if (!isRecord(u)) return fail("target", "must be an object")
  const target: { guildId?: string; route?: RouteName; inviteCode?: string } = {}
  for (const [key, value] of Object.entries(u)) {
    switch (key) {
      case "guildId":
        if (typeof value !== "string" || !/^\d{17,20}$/.test(value)) {
          return fail("target.guildId", "must be a snowflake string (17-20 digits)")
        }
        target.guildId = value
        break
      case "route":
        if (!oneOf(ROUTE_NAMES, value)) {
          return fail("target.route", `must be one of ${ROUTE_NAMES.join(", ")}`)
        }
        target.route = value
        break
      case "inviteCode":
        if (typeof value !== "string" || !/^[A-Za-z0-9-]{1,64}$/.test(value)) {
          return fail("target.inviteCode", "must be an invite code (letters, digits, '-')")
        }
        target.inviteCode = value
        break
      default:
        return fail(`target.${key}`, "unknown field (allowed: guildId, route, inviteCode)")
    }
  }
  return { ok: true, target }
}

const isInt = (u: unknown, min: number, max: number): u is number =>
  typeof u === "number" && Number.isInteger(u) && u >= min && u <= max

/** Validates an untrusted scenario (e.g. a JSON body); errors name the offending field. */
export const parseScenario = (input: unknown): ScenarioParseResult => {
  if (!isRecord(input)) return fail("body", "must be a JSON object { mode, target?, params? }")
  for (const key of Object.keys(input)) {
    if (key !== "mode" && key !== "target" && key !== "params") return fail(key, "unknown field (allowed: mode, target, params)")
  }
  const mode = input["mode"]
  if (!oneOf(SCENARIO_MODES, mode)) return fail("mode", `must be one of ${SCENARIO_MODES.join(", ")}`)

  let target: ScenarioTarget | undefined
  if (input["target"] !== undefined && input["target"] !== null) {
    const parsed = parseTarget(input["target"])
    if (!parsed.ok) return parsed
    target = parsed.target
  }

  const rawParams = input["params"]
  const params: {
    latencyMs?: number
    holdMs?: number
    retryAfterSeconds?: number
    scope?: RateLimitScope
    failEveryN?: number
    status?: OutageStatus
    kind?: MalformedKind
  } = {}
  if (rawParams !== undefined && rawParams !== null) {
    if (!isRecord(rawParams)) return fail("params", "must be an object")
    const allowed = PARAMS_BY_MODE[mode]
    for (const [key, value] of Object.entries(rawParams)) {
      const field = `params.${key}`
      if (!allowed.some((a) => a === key)) {
        return fail(field, `not used by mode ${mode}${allowed.length > 0 ? ` (allowed: ${allowed.join(", ")})` : ""}`)
      }
      switch (key) {
        case "latencyMs":
        case "holdMs":
          if (!isInt(value, 0, MAX_DELAY_MS)) return fail(field, `must be an integer between 0 and ${MAX_DELAY_MS}`)
          params[key] = value
          break
        case "retryAfterSeconds":
          if (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || value > 3600) {
            return fail(field, "must be a number of seconds > 0 and <= 3600")
          }
          params.retryAfterSeconds = value
          break
        case "scope":
          if (!oneOf(RATE_LIMIT_SCOPES, value)) return fail(field, `must be one of ${RATE_LIMIT_SCOPES.join(", ")}`)
          params.scope = value
          break
        case "failEveryN":
          if (!isInt(value, 1, 1_000_000)) return fail(field, "must be an integer >= 1")
          params.failEveryN = value
          break
        case "status":
          if (!oneOf(OUTAGE_STATUSES, value)) return fail(field, `must be one of ${OUTAGE_STATUSES.join(", ")}`)
          params.status = value
          break
        case "kind":
          if (!oneOf(MALFORMED_KINDS, value)) return fail(field, `must be one of ${MALFORMED_KINDS.join(", ")}`)
          params.kind = value
          break
      }
    }
  }

  const scenario: Scenario = {
    mode,
    ...(target !== undefined && Object.keys(target).length > 0 ? { target } : {}),
    ...(Object.keys(params).length > 0 ? { params } : {})
  }
  return { ok: true, scenario }
}

/** What a request looks like to scenario matching. */
export interface ScenarioRequest {
  readonly route: RouteName
  readonly guildId?: string
  readonly inviteCode?: string
}

export interface ActiveScenario {
  readonly scenario: Scenario
  /** Stable key of the target (used for replacement and per-scenario rate-limit windows). */
  readonly key: string
  readonly setAt: number
  /** Requests this scenario has decided so far (drives `flapping`). */
  matched: number
}

export interface ScenarioDecision {
  /** Sum of `slow` latencies that apply. */
  readonly latencyMs: number
  /** The most recently set matching non-slow scenario, if any. */
  readonly active?: ActiveScenario
}

export const targetKey = (target: ScenarioTarget | undefined): string =>
  JSON.stringify([target?.route ?? null, target?.guildId ?? null, target?.inviteCode ?? null])

const matches = (target: ScenarioTarget | undefined, request: ScenarioRequest): boolean =>
  target === undefined ||
  ((target.route === undefined || target.route === request.route) &&
    (target.guildId === undefined || target.guildId === request.guildId) &&
    (target.inviteCode === undefined || target.inviteCode === request.inviteCode))

/** The set of active scenarios. Not thread-safe by design: a sandbox is one process. */
export class ScenarioRegistry {
  private readonly byKey = new Map<string, ActiveScenario>()
  private sequence = 0

  /** Adds (or replaces, for the same target) a validated scenario. */
  set(scenario: Scenario): void {
    if (scenario.mode === "healthy" && scenario.target === undefined) {
      this.clear()
      return
    }
    const key = targetKey(scenario.target)
    this.byKey.delete(key)
    this.byKey.set(key, { scenario, key, setAt: ++this.sequence, matched: 0 })
  }

  clear(): void {
    this.byKey.clear()
  }

  list(): ReadonlyArray<Scenario> {
    return [...this.byKey.values()].map((a) => a.scenario)
  }

  decide(request: ScenarioRequest): ScenarioDecision {
    let latencyMs = 0
    let active: ActiveScenario | undefined
    for (const candidate of this.byKey.values()) {
      if (!matches(candidate.scenario.target, request)) continue
      if (candidate.scenario.mode === "slow") {
        latencyMs += candidate.scenario.params?.latencyMs ?? DEFAULT_SLOW_LATENCY_MS
      } else if (active === undefined || candidate.setAt > active.setAt) {
        active = candidate
      }
    }
    if (active !== undefined) active.matched++
    return active === undefined ? { latencyMs } : { latencyMs, active }
  }
}
