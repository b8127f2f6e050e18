/**
 * From incident transitions to notices, and their delivery through the `Notifier` on the channels each
 * rule names (all channels when a rule names none).
 */
import { Effect } from "effect"
import { AlertRules } from "@guildpulse/core"
import type { Notifier as NotifierPort, Profile } from "@guildpulse/core"
import type { AlertNotice, DeliveryResult } from "../Notifier.js"
import { minutes } from "./alertRules.js"
import { GLOBAL } from "./alertState.js"
import type { Transition } from "./alertState.js"

type RuleId = AlertRules.RuleId

/** The notice of one transition; `profile` undefined for process-wide rules. */
export const toNotice = (rule: RuleId, profile: Profile | undefined, transition: Transition, nowMs: number): AlertNotice => {
  const { last, sinceMs, status } = transition
  const key = profile?.key ?? GLOBAL
  return {
    kind: "alert",
    id: `${rule}:${key}:${sinceMs}`,
    status,
    rule,
    profile: key,
    ...(profile !== undefined ? { profileLabel: profile.label } : {}),
    severity: last.severity,
    title: last.title,
    summary: status === "firing" ? last.summary : `Resolved after ${minutes(nowMs - sinceMs)}: ${last.summary}`,
    details: last.details,
    startedAt: new Date(sinceMs).toISOString(),
    ...(status === "resolved" ? { resolvedAt: new Date(nowMs).toISOString() } : {}),
    dedupKey: `${rule}:${key}`
  }
}

/** The notice of `POST /v1/alerts/test`. */
export const testNotice = (nowMs: number): AlertNotice => ({
  kind: "alert",
  id: `test:${GLOBAL}:${nowMs}`,
  status: "firing",
  rule: "test",
  profile: GLOBAL,
  severity: "info",
  title: "Test notification",
  summary: "This is a test of GuildPulse alert delivery. No action needed.",
  details: [],
  startedAt: new Date(nowMs).toISOString(),
  dedupKey: `test:${GLOBAL}`,
  test: true
})

const channelsOption = (channels: ReadonlyArray<string> | undefined) => (channels !== undefined ? { channels } : undefined)

export const send = (
  notifier: NotifierPort.Notifier["Type"],
  notice: AlertNotice,
  channels?: ReadonlyArray<string>
): Effect.Effect<ReadonlyArray<DeliveryResult>> => notifier.send(notice, channelsOption(channels))

/** Sends the notices of one round, each on its rule's channels (per profile, as the rules resolve). */
export const dispatch = (
  notifier: NotifierPort.Notifier["Type"],
  config: AlertRules.AlertRules,
  pending: ReadonlyArray<{ readonly rule: RuleId; readonly notice: AlertNotice }>
): Effect.Effect<void> =>
  Effect.forEach(
    pending,
    ({ notice, rule }) => send(notifier, notice, AlertRules.resolve(config, notice.profile === GLOBAL ? undefined : notice.profile)[rule].channels),
    { discard: true, concurrency: 4 }
  )
