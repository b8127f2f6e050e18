/**
 * The alert engine's memory: one incident state per (rule, profile), the log of incidents (the last
 * `maxIncidents`, for the weekly digest), and the transition that applies a rule's `Condition` to them —
 * de-duplication, cooldown, recovery. Synchronous and in-memory; the engine serialises calls.
 */
import type { AlertRules } from "@guildpulse/core"
import type { Severity } from "../Notifier.js"
import { MINUTE_MS, ok } from "./alertRules.js"
import type { Condition, Firing } from "./alertRules.js"

type RuleId = AlertRules.RuleId

export interface Incident {
  readonly id: string
  readonly rule: RuleId
  readonly profile: string
  readonly severity: Severity
  readonly title: string
  readonly startedAtMs: number
  readonly resolvedAtMs: number | undefined
  /** Whether a "firing" notice went out (false while held back by the cooldown). */
  readonly notified: boolean
}

export interface ActiveAlert {
  readonly rule: RuleId
  readonly profile: string
  readonly severity: Severity
  readonly title: string
  readonly summary: string
  readonly since: string
  readonly notified: boolean
}

export interface IncidentQuery {
  readonly profile?: string
  readonly sinceMs?: number
  readonly untilMs?: number
}

export interface RuleSettings {
  readonly enabled: boolean
  readonly cooldownMinutes: number
}

/** A notice to send: the incident's start, its latest firing condition, and whether it fires or resolves. */
export interface Transition {
  readonly status: "firing" | "resolved"
  readonly sinceMs: number
  readonly last: Firing
}

interface AlertState {
  firing: boolean
  sinceMs: number
  notified: boolean
  context: Readonly<Record<string, number>> | undefined
  last: Firing | undefined
  lastFiringNoticeAtMs: number | undefined
  incidentIndex: number | undefined
}

/** `*` stands for the process (rules not tied to a profile). */
export const GLOBAL = "*"

const stateKey = (rule: RuleId, profile: string) => `${rule}\u0000${profile}`
const splitKey = (key: string) => {
  const at = key.indexOf("\u0000")
  return { rule: key.slice(0, at) as RuleId, profile: key.slice(at + 1) }
}

/** The incident log: append-only, bounded; indexes stay valid after the oldest entries are dropped. */
const makeIncidentLog = (maxIncidents: number) => {
  const items: Array<Incident> = []
  let base = 0 // incidents dropped from the front
  return {
    append: (incident: Incident): number => {
      items.push(incident)
      if (items.length > maxIncidents) {
        items.shift()
        base += 1
      }
      return base + items.length - 1
    },
    update: (index: number | undefined, f: (incident: Incident) => Incident): void => {
      if (index === undefined) return
      const incident = items[index - base]
      if (incident !== undefined) items[index - base] = f(incident)
    },
    query: (query: IncidentQuery): ReadonlyArray<Incident> =>
      items.filter((i) =>
        (query.profile === undefined || i.profile === query.profile) &&
        (query.untilMs === undefined || i.startedAtMs <= query.untilMs) &&
        (query.sinceMs === undefined || i.resolvedAtMs === undefined || i.resolvedAtMs >= query.sinceMs)
      )
  }
}

export type AlertBook = ReturnType<typeof makeAlertBook>

export const makeAlertBook = (maxIncidents: number) => {
  const states = new Map<string, AlertState>()
  const log = makeIncidentLog(maxIncidents)

  const open = (state: AlertState, rule: RuleId, profile: string, firing: Firing, nowMs: number) => {
    state.firing = true
    state.sinceMs = nowMs
    state.notified = false
    state.context = firing.context
    state.last = firing
    state.incidentIndex = log.append({
      id: `${rule}:${profile}:${nowMs}`,
      rule,
      profile,
      severity: firing.severity,
      title: firing.title,
      startedAtMs: nowMs,
      resolvedAtMs: undefined,
      notified: false
    })
  }

  /** Applies a condition to the incident of (rule, profile); returns the notice to send, if any. */
  const step = (rule: RuleId, settings: RuleSettings, profile: string, condition: Condition, nowMs: number): Transition | undefined => {
    const key = stateKey(rule, profile)
    let state = states.get(key)
    const effective = settings.enabled ? condition : ok
    if (effective._tag === "unknown") return undefined
    if (effective._tag === "firing") {
      if (state === undefined) {
        state = { firing: false, sinceMs: nowMs, notified: false, context: undefined, last: undefined, lastFiringNoticeAtMs: undefined, incidentIndex: undefined }
        states.set(key, state)
      }
      if (!state.firing) open(state, rule, profile, effective, nowMs)
      else state.last = { ...effective, ...(state.context !== undefined ? { context: state.context } : {}) }
      const cooledDown = state.lastFiringNoticeAtMs === undefined || nowMs - state.lastFiringNoticeAtMs >= settings.cooldownMinutes * MINUTE_MS
      if (state.notified || !cooledDown) return undefined
      state.notified = true
      state.lastFiringNoticeAtMs = nowMs
      log.update(state.incidentIndex, (i) => ({ ...i, notified: true, severity: effective.severity, title: effective.title }))
      return { status: "firing", sinceMs: state.sinceMs, last: state.last! }
    }
    // ok
    if (state === undefined || !state.firing) return undefined
    state.firing = false
    state.context = undefined
    log.update(state.incidentIndex, (i) => ({ ...i, resolvedAtMs: nowMs }))
    if (!state.notified) return undefined
    state.notified = false
    return { status: "resolved", sinceMs: state.sinceMs, last: state.last! }
  }

  /** A value remembered by the firing incident of (rule, profile) (presence drop: its baseline). */
  const frozen = (rule: RuleId, profile: string, name: string): number | undefined => {
    const state = states.get(stateKey(rule, profile))
    return state?.firing === true ? state.context?.[name] : undefined
  }

  /** Profiles that were deleted: close their incidents quietly and forget them. */
  const forgetProfilesExcept = (keep: ReadonlySet<string>, nowMs: number): void => {
    for (const [key, state] of states) {
      const { profile } = splitKey(key)
      if (profile === GLOBAL || keep.has(profile)) continue
      if (state.firing) log.update(state.incidentIndex, (i) => ({ ...i, resolvedAtMs: nowMs }))
      states.delete(key)
    }
  }

  const active = (): ReadonlyArray<ActiveAlert> =>
    [...states.entries()].flatMap(([key, state]) => {
      if (!state.firing || state.last === undefined) return []
      const { profile, rule } = splitKey(key)
      return [{
        rule,
        profile,
        severity: state.last.severity,
        title: state.last.title,
        summary: state.last.summary,
        since: new Date(state.sinceMs).toISOString(),
        notified: state.notified
      }]
    })

  return { step, frozen, forgetProfilesExcept, active, incidents: log.query }
}
