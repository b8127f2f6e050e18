/**
 * Port: alert delivery. A `Notifier` sends a message (an alert, its recovery, a weekly digest, a test) to
 * its channels and returns one outcome per channel; it never fails the caller. Observability implements it
 * over webhook, Slack, Discord and e-mail channels with retries; the memory layer records what it is sent.
 */
import { Context, Effect, Layer } from "effect"
import type { ProfileKey } from "./Identifiers.js"

export type Severity = "info" | "warning" | "critical"

export interface Detail {
  readonly label: string
  readonly value: string
}

/** An alert firing or resolved (or a test notice). */
export interface AlertNotice {
  readonly kind: "alert"
  /** Stable per incident: `<rule>:<profile>:<startedAtMs>` — deliveries and retries carry it. */
  readonly id: string
  readonly status: "firing" | "resolved"
  readonly rule: string
  /** The profile key, or `*` for process-wide rules (the invalid-request guard). */
  readonly profile: ProfileKey | "*"
  readonly profileLabel?: string
  readonly severity: Severity
  readonly title: string
  readonly summary: string
  readonly details: ReadonlyArray<Detail>
  readonly startedAt: string
  readonly resolvedAt?: string
  /** `<rule>:<profile>`: receivers may de-duplicate on it. */
  readonly dedupKey: string
  readonly test?: boolean
}

export interface DigestIncident {
  readonly rule: string
  readonly severity: Severity
  readonly title: string
  readonly startedAt: string
  readonly resolvedAt: string | null
  readonly durationMinutes: number | null
}

/** The weekly digest of a profile. */
/** The analytics section of a digest: boost trend, busiest hours, and where the server ranks among all. */
export interface DigestAnalytics {
  /** The time zone of `busiestHours`. */
  readonly timeZone: string
  /** The newest online number recorded in the period. */
  readonly latestOnline: number | null
  readonly boosts: { readonly first: number; readonly last: number; readonly change: number; readonly perDay: number } | null
  /** Up to three local weekday hours with the highest average online, busiest first. */
  readonly busiestHours: ReadonlyArray<{ readonly day: string; readonly hour: number; readonly averageOnline: number }>
  /** Among every profile of the digest run, by member growth over the period (1 = grew most). */
  readonly growthRank: { readonly rank: number; readonly of: number } | null
  /** Every profile of the run together: the newest members and online summed. */
  readonly allServers: { readonly profiles: number; readonly members: number; readonly online: number; readonly memberGrowth: number } | null
}

export interface DigestReport {
  readonly kind: "digest"
  readonly id: string
  readonly profile: ProfileKey
  readonly profileLabel: string
  readonly period: { readonly from: string; readonly to: string }
  readonly samples: number
  readonly online: { readonly average: number | null; readonly peak: number | null; readonly peakAt: string | null }
  readonly members: {
    readonly average: number | null
    readonly first: number | null
    readonly last: number | null
    readonly peak: number | null
    readonly growth: number | null
    readonly growthPercent: number | null
  }
  /**
   * Share of the period covered by fresh data: each recorded sample (one per successful live refresh, at most
   * one a minute) counts for the profile's ttl after it (at least a minute); null without samples.
   */
  readonly freshUptime: number | null
  /** The weekly analytics section (absent in digests built before it existed). */
  readonly analytics?: DigestAnalytics
  readonly incidents: {
    readonly count: number
    readonly byRule: Readonly<Record<string, number>>
    readonly items: ReadonlyArray<DigestIncident>
  }
}

export type NotifierMessage = AlertNotice | DigestReport

/** The label of a message in metrics and events: the rule, `digest` or `test`. */
export const ruleOf = (message: NotifierMessage): string =>
  message.kind === "digest" ? "digest" : message.test === true ? "test" : message.rule

/** `firing`, `resolved`, `digest` or `test`. */
export const statusOf = (message: NotifierMessage): string =>
  message.kind === "digest" ? "digest" : message.test === true ? "test" : message.status

export interface DeliveryResult {
  readonly channel: string
  readonly kind: string
  readonly ok: boolean
  readonly attempts: number
  readonly status?: number
  readonly error?: string
}

export class Notifier extends Context.Tag("@guildpulse/core/Notifier")<
  Notifier,
  {
    readonly channels: ReadonlyArray<{ readonly name: string; readonly kind: string }>
    /** Delivers to every channel (or the named ones); never fails — outcomes are returned and logged. */
    readonly send: (
      message: NotifierMessage,
      options?: { readonly channels?: ReadonlyArray<string> }
    ) => Effect.Effect<ReadonlyArray<DeliveryResult>>
  }
>() {}

/** A notifier that keeps every message it is sent (tests, previews); each send reports one `recording` delivery. */
export const makeRecording = Effect.sync(() => {
  const messages: Array<NotifierMessage> = []
  const notifier = Notifier.of({
    channels: [{ name: "recording", kind: "recording" }],
    send: (message, options) =>
      Effect.sync(() => {
        if (options?.channels !== undefined && !options.channels.includes("recording")) return []
        messages.push(message)
        return [{ channel: "recording", kind: "recording", ok: true, attempts: 1 }]
      })
  })
  return { notifier, messages: messages as ReadonlyArray<NotifierMessage> }
})

export const layerMemory: Layer.Layer<Notifier> = Layer.effect(Notifier, Effect.map(makeRecording, (r) => r.notifier))
