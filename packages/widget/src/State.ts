/**
 * The state a card shows, derived from a view's freshness (and, in the browser, from the clock), and the
 * plain-words message of an unavailable view. Shared by `renderWidget` (server) and `<guildpulse-stats>`
 * (browser), so both say the same thing; it imports types only, to stay small in the embed bundle.
 *
 * Rules (ARCHITECTURE §6): data past its `expiresAt` is never "Live" — it is `stale`, or `degraded` when
 * something is failing; a view with non-empty `reasons` is never plain "Live": within its ttl it is shown as
 * `partial` ("Live · partial"); `demo` and `unavailable` are shown as they are.
 */
import type { FreshnessState, Locale } from "@guildpulse/core"
import { formatRelative } from "./Labels.js"
import type { Labels } from "./Labels.js"

/** What a card shows: the view's freshness state, or `partial` for fresh data beside failing sources. */
export type ShownState = FreshnessState | "partial"

/** The parts of `StatsView.freshness` the derivation reads (loosely typed: the browser reads untrusted JSON). */
export interface FreshnessInput {
  readonly state?: string | undefined
  readonly expiresAt?: string | null | undefined
  readonly retryAfterSeconds?: number | null | undefined
  readonly reasons?: ReadonlyArray<string> | undefined
}

/** Failed polls in a row (in the browser) after which "stale" turns "degraded". */
export const DEGRADED_AFTER_FAILURES = 3

/**
 * The state to show. `nowMs` (optional) applies `expiresAt`: the server renders at request time and passes
 * none; the element passes its clock. `failures` counts the element's failed polls in a row.
 */
export const shownState = (freshness: FreshnessInput | undefined, nowMs?: number, failures = 0): ShownState => {
  const state = freshness?.state
  if (state === "demo" || state === "unavailable") return state
  const troubled = (freshness?.reasons?.length ?? 0) > 0
  const expired = nowMs !== undefined && Date.parse(freshness?.expiresAt ?? "") <= nowMs
  if (state === "fresh" && !expired && failures === 0) return troubled ? "partial" : "fresh"
  return state === "degraded" || troubled || failures >= DEGRADED_AFTER_FAILURES ? "degraded" : "stale"
}

/** Reasons that retrying will not fix: the profile or Discord's settings are wrong. In display order. */
export const MISCONFIGURED = ["unknown_guild", "unauthorized", "widget_disabled", "unknown_invite"] as const
export type Misconfiguration = (typeof MISCONFIGURED)[number]

/** The misconfiguration reasons of a view, in `MISCONFIGURED` order. */
export const misconfigurations = (reasons: ReadonlyArray<string> | undefined): Array<Misconfiguration> =>
  MISCONFIGURED.filter((reason) => reasons?.includes(reason) === true)

/**
 * What an unavailable view says instead of numbers: what is wrong ("Server not found.", "Widget disabled — add
 * a bot token or an invite.") when it is a misconfiguration, else "Temporarily unavailable, retrying in 30 sec."
 */
export const problemMessage = (labels: Labels, locale: Locale, freshness: FreshnessInput | undefined): string => {
  const wrong = misconfigurations(freshness?.reasons)
  if (wrong.length > 0) {
    return wrong.map((reason) => (reason === "widget_disabled" && wrong.length === 1 ? labels.widgetOnly : labels.problems[reason])).join(" ")
  }
  const retry = freshness?.retryAfterSeconds
  if (typeof retry !== "number" || !(retry > 0)) return labels.retrySoon
  const when = formatRelative(locale, Math.ceil(retry))
  // "in 30 sec." already ends with a full stop; "dans 30 s" does not.
  return `${labels.retrying} ${when}${when.endsWith(".") ? "" : "."}`
}
