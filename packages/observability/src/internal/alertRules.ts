/**
 * The alert rules as pure functions of what they look at: each returns a `Condition` for one profile (or the
 * process) now. No state, no effects; the engine (`../Alerts.ts`) gathers the inputs and applies the result.
 */
import type { AlertRules, Profile } from "@guildpulse/core"
import { daysUntil } from "../Health.js"
import type { Detail, Severity } from "../Notifier.js"

type RuleSet = AlertRules.RuleSet

/** What a rule says about one profile now. `unknown`: cannot tell (leave the incident as it is). */
export type Condition =
  | { readonly _tag: "ok" }
  | { readonly _tag: "unknown" }
  | {
      readonly _tag: "firing"
      readonly severity: Severity
      readonly title: string
      readonly summary: string
      readonly details: ReadonlyArray<Detail>
      /** Values remembered for the incident (presence drop: the frozen baseline). */
      readonly context?: Readonly<Record<string, number>>
    }

export type Firing = Extract<Condition, { readonly _tag: "firing" }>

export const ok: Condition = { _tag: "ok" }
export const unknown: Condition = { _tag: "unknown" }

export const MINUTE_MS = 60_000

const round1 = (n: number) => Math.round(n * 10) / 10
export const minutes = (ms: number) => `${Math.round(ms / MINUTE_MS)} min`

export const presenceDrop = (input: {
  readonly rule: RuleSet["presence_drop"]
  readonly current: number | undefined
  readonly baselineSamples: ReadonlyArray<number>
  /** The incident's frozen baseline, when firing. */
  readonly frozenBaseline: number | undefined
}): Condition => {
  if (input.current === undefined) return unknown
  let baseline = input.frozenBaseline
  if (baseline === undefined) {
    if (input.baselineSamples.length < 3) return unknown
    baseline = input.baselineSamples.reduce((a, b) => a + b, 0) / input.baselineSamples.length
  }
  if (baseline < input.rule.minBaselineOnline || baseline <= 0) return ok
  const dropPercent = ((baseline - input.current) / baseline) * 100
  if (dropPercent < input.rule.dropPercent) return ok
  return {
    _tag: "firing",
    severity: "warning",
    title: "Online count dropped",
    summary: `Online fell to ${input.current}, ${round1(dropPercent)} % below the ${input.rule.baselineMinutes}-minute average of ${round1(baseline)}.`,
    details: [
      { label: "Online now", value: String(input.current) },
      { label: "Baseline", value: String(round1(baseline)) },
      { label: "Drop", value: `${round1(dropPercent)} %` }
    ],
    context: { baseline }
  }
}

export const staleData = (input: {
  readonly rule: RuleSet["stale_data"]
  readonly nowMs: number
  /** When the headline numbers were fetched; undefined when there are none. */
  readonly fetchedAtMs: number | undefined
  /** Since when the engine has been waiting for a first answer. */
  readonly waitingSinceMs: number
}): Condition => {
  const limitMs = input.rule.olderThanMinutes * MINUTE_MS
  if (input.fetchedAtMs === undefined) {
    const waited = input.nowMs - input.waitingSinceMs
    return waited < limitMs
      ? ok
      : {
          _tag: "firing",
          severity: "critical",
          title: "No data",
          summary: `No numbers have arrived from Discord for ${minutes(waited)}.`,
          details: [{ label: "Waiting for", value: minutes(waited) }]
        }
  }
  const ageMs = input.nowMs - input.fetchedAtMs
  if (ageMs < limitMs) return ok
  return {
    _tag: "firing",
    severity: "warning",
    title: "Data is stale",
    summary: `The numbers shown are ${minutes(ageMs)} old (limit ${input.rule.olderThanMinutes} min); refreshes are failing.`,
    details: [
      { label: "Age", value: minutes(ageMs) },
      { label: "Fetched at", value: new Date(input.fetchedAtMs).toISOString() }
    ]
  }
}

export const circuitOpen = (input: {
  readonly rule: RuleSet["circuit_open"]
  readonly nowMs: number
  readonly circuits: ReadonlyArray<{ readonly source: string; readonly state: string; readonly sinceMs: number | undefined; readonly reason?: string }>
}): Condition => {
  const limitMs = input.rule.openForMinutes * MINUTE_MS
  const long = input.circuits.filter((c) => c.sinceMs !== undefined && input.nowMs - c.sinceMs >= limitMs)
  if (long.length === 0) return ok
  const misconfigured = long.some((c) => c.state === "misconfigured")
  return {
    _tag: "firing",
    severity: misconfigured ? "critical" : "warning",
    title: misconfigured ? "Source misconfigured" : "Circuit open",
    summary: long
      .map((c) => `${c.source} has been ${c.state.replace("_", "-")} for ${minutes(input.nowMs - c.sinceMs!)}${c.reason !== undefined ? ` (${c.reason})` : ""}`)
      .join("; ") + ".",
    details: long.map((c) => ({ label: `Circuit ${c.source}`, value: `${c.state} since ${new Date(c.sinceMs!).toISOString()}` }))
  }
}

export const invalidRequestGuard = (input: { readonly rule: RuleSet["invalid_request_guard"]; readonly count: number | undefined; readonly windowMs: number }): Condition => {
  if (input.count === undefined) return unknown
  if (input.count < input.rule.threshold) return ok
  return {
    _tag: "firing",
    severity: "critical",
    title: "Invalid-request guard tripped",
    summary: `${input.count} invalid requests (401/403/429) in the last ${minutes(input.windowMs)} — at or above ${input.rule.threshold}; non-essential Discord calls are paused to stay clear of Discord's ban threshold.`,
    details: [
      { label: "Invalid requests", value: String(input.count) },
      { label: "Threshold", value: String(input.rule.threshold) }
    ]
  }
}

export const tokenExpiring = (input: { readonly rule: RuleSet["token_expiring"]; readonly profile: Profile; readonly nowMs: number }): Condition => {
  const { profile } = input
  if (!profile.sources.bot || !profile.token.present) return ok
  const days = daysUntil(profile.token.expiresAt, input.nowMs)
  const status = profile.token.status
  if (status === "invalid") {
    return {
      _tag: "firing",
      severity: "critical",
      title: "Bot token rejected",
      summary: `${profile.token.problem ?? "Discord rejects the bot token"}; member counts from the bot source are unavailable. Set a new token.`,
      details: [{ label: "Token status", value: status }]
    }
  }
  if (status === "expired" || (days !== null && days < 0)) {
    return { _tag: "firing", severity: "critical", title: "Bot token expired", summary: "The bot token has expired. Rotate it.", details: [{ label: "Expired at", value: profile.token.expiresAt ?? "unknown" }] }
  }
  if (status === "expiring" || (days !== null && days <= input.rule.withinDays)) {
    return {
      _tag: "firing",
      severity: "warning",
      title: "Bot token expiring",
      summary: days !== null ? `The bot token expires in ${days} days. Rotate it before then.` : "The bot token is about to expire. Rotate it.",
      details: [{ label: "Expires at", value: profile.token.expiresAt ?? "unknown" }]
    }
  }
  const rotatedMs = profile.token.rotatedAt === undefined ? Number.NaN : Date.parse(profile.token.rotatedAt)
  const ageDays = Math.floor((input.nowMs - rotatedMs) / 86_400_000)
  if (input.rule.rotateAfterDays !== undefined && !Number.isNaN(rotatedMs) && ageDays >= input.rule.rotateAfterDays) {
    return {
      _tag: "firing",
      severity: "warning",
      title: "Bot token due for rotation",
      summary: `The bot token was set ${ageDays} days ago (rotate after ${input.rule.rotateAfterDays}). Set a new one.`,
      details: [{ label: "Set at", value: profile.token.rotatedAt ?? "unknown" }]
    }
  }
  return ok
}

export const refreshDeadLettered = (input: {
  readonly deadLettered: boolean
  readonly consecutiveFailures: number
  readonly reasons?: ReadonlyArray<string>
}): Condition =>
  input.deadLettered
    ? {
        _tag: "firing",
        severity: "critical",
        title: "Refresh parked",
        summary: `Every source of the profile is misconfigured${input.reasons !== undefined && input.reasons.length > 0 ? ` (${input.reasons.join(", ")})` : ""}; the refresh job is parked: probed on a growing interval (30 s, doubling, up to hourly), and at once when the profile changes.`,
        details: [
          { label: "Reasons", value: input.reasons !== undefined && input.reasons.length > 0 ? input.reasons.join(", ") : "—" },
          { label: "Failures in a row", value: String(input.consecutiveFailures) }
        ]
      }
    : ok
