/**
 * Alert rules and their thresholds: built-in defaults, overridden by the operator's `defaults`, overridden
 * per profile. Every rule has `enabled`, `cooldownMinutes` (minimum time between two "firing" notices of the
 * same rule and profile — a rule that recovers and fires again within it stays quiet until the cooldown has
 * passed) and optional `channels` (names; all channels when absent).
 *
 * | rule | fires when | threshold |
 * |---|---|---|
 * | `presence_drop` | online fell `dropPercent` % below its average over the last `baselineMinutes` | 50 %, 60 min, baseline ≥ 20 |
 * | `stale_data` | the headline numbers are older than `olderThanMinutes` (or none ever arrived) | 30 min |
 * | `circuit_open` | a source's circuit is open, half-open or misconfigured for `openForMinutes` | 10 min |
 * | `invalid_request_guard` | 401/403/429 over the guard's 10-minute window reach `threshold` (process-wide) | 1,000 |
 * | `token_expiring` | the bot token expires within `withinDays`, is expired/invalid, or was set more than `rotateAfterDays` ago | 7 days, 90 days |
 * | `refresh_dead_lettered` | the profile's refresh job landed in the dead-letter list | — |
 */
import { Schema } from "effect"
import { ProfileKey } from "./Identifiers.js"

const Minutes = Schema.Number.pipe(Schema.greaterThanOrEqualTo(0), Schema.lessThanOrEqualTo(525_600))
const common = {
  enabled: Schema.Boolean,
  cooldownMinutes: Minutes,
  channels: Schema.optional(Schema.Array(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(64))))
}

export const PresenceDropRule = Schema.Struct({
  ...common,
  dropPercent: Schema.Number.pipe(Schema.between(1, 100)),
  baselineMinutes: Schema.Int.pipe(Schema.between(10, 10_080)),
  /** Below this baseline average the rule stays quiet (small servers swing a lot). */
  minBaselineOnline: Schema.Int.pipe(Schema.nonNegative())
})
export const StaleDataRule = Schema.Struct({ ...common, olderThanMinutes: Schema.Number.pipe(Schema.between(1, 10_080)) })
export const CircuitOpenRule = Schema.Struct({ ...common, openForMinutes: Schema.Number.pipe(Schema.between(0, 10_080)) })
export const InvalidRequestGuardRule = Schema.Struct({ ...common, threshold: Schema.Int.pipe(Schema.between(1, 10_000)) })
export const TokenExpiringRule = Schema.Struct({
  ...common,
  withinDays: Schema.Number.pipe(Schema.between(0, 365)),
  /** A token set longer ago than this is due for rotation (warning); 90 days by default. */
  rotateAfterDays: Schema.optional(Schema.Number.pipe(Schema.between(1, 3650)))
})
export const RefreshDeadLetteredRule = Schema.Struct(common)

export const RuleSet = Schema.Struct({
  presence_drop: PresenceDropRule,
  stale_data: StaleDataRule,
  circuit_open: CircuitOpenRule,
  invalid_request_guard: InvalidRequestGuardRule,
  token_expiring: TokenExpiringRule,
  refresh_dead_lettered: RefreshDeadLetteredRule
})
export type RuleSet = typeof RuleSet.Type
export type RuleId = keyof RuleSet
export const ruleIds: ReadonlyArray<RuleId> = [
  "presence_drop",
  "stale_data",
  "circuit_open",
  "invalid_request_guard",
  "token_expiring",
  "refresh_dead_lettered"
]

export const RuleSetPatch = Schema.Struct({
  presence_drop: Schema.optional(Schema.partial(PresenceDropRule)),
  stale_data: Schema.optional(Schema.partial(StaleDataRule)),
  circuit_open: Schema.optional(Schema.partial(CircuitOpenRule)),
  invalid_request_guard: Schema.optional(Schema.partial(InvalidRequestGuardRule)),
  token_expiring: Schema.optional(Schema.partial(TokenExpiringRule)),
  refresh_dead_lettered: Schema.optional(Schema.partial(RefreshDeadLetteredRule))
})
export type RuleSetPatch = typeof RuleSetPatch.Type

/** The stored configuration (`GET|PUT /v1/alerts/rules`). */
export const AlertRules = Schema.Struct({
  defaults: Schema.optional(RuleSetPatch),
  profiles: Schema.optional(Schema.Record({ key: ProfileKey, value: RuleSetPatch }))
})
export type AlertRules = typeof AlertRules.Type
export type AlertRulesEncoded = typeof AlertRules.Encoded

export const builtInRules: RuleSet = {
  presence_drop: { enabled: true, cooldownMinutes: 60, dropPercent: 50, baselineMinutes: 60, minBaselineOnline: 20 },
  stale_data: { enabled: true, cooldownMinutes: 30, olderThanMinutes: 30 },
  circuit_open: { enabled: true, cooldownMinutes: 30, openForMinutes: 10 },
  invalid_request_guard: { enabled: true, cooldownMinutes: 30, threshold: 1_000 },
  token_expiring: { enabled: true, cooldownMinutes: 1_440, withinDays: 7, rotateAfterDays: 90 },
  refresh_dead_lettered: { enabled: true, cooldownMinutes: 60 }
}

const applyPatch = (base: RuleSet, patch: RuleSetPatch | undefined): RuleSet => {
  if (patch === undefined) return base
  const out = { ...base } as Record<RuleId, unknown>
  for (const id of ruleIds) {
    const p = patch[id]
    if (p !== undefined) out[id] = { ...base[id], ...p }
  }
  return out as RuleSet
}

/** The effective rules of a profile (or the process-wide ones when `profile` is undefined). */
export const resolve = (rules: AlertRules, profile?: ProfileKey): RuleSet => {
  const withDefaults = applyPatch(builtInRules, rules.defaults)
  return profile === undefined ? withDefaults : applyPatch(withDefaults, rules.profiles?.[profile])
}

export const empty: AlertRules = {}
