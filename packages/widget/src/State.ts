/**
 * The state a card shows, derived from a view's freshness (and, in the browser, from the clock), and the
 * plain-words message of an unavailable view. Shared by `renderWidget` (server) and `<guildpulse-stats>`
 * (browser), so both say the same thing; it imports types only, to stay small in the embed bundle.
 *
 * Rules (docs/architecture.md §6): data past its `expiresAt` is never "Live" — it is `stale`, or `degraded` when
 * something is failing; a view with non-empty `reasons` is never plain "Live": within its ttl it is shown as
 * `partial` ("Live · partial"); `demo` and `unavailable` are shown as they are.
 */
import type { FreshnessState, Locale } from "@guildpulse/core"
import { formatRelative } from "./Words.js"
import type { CardWords } from "./Words.js"

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
 * What an unavailable view says instead of numbers: what is wrong, one sentence per misconfiguration in
 * `MISCONFIGURED` order ("Server not found.", "Widget disabled — add a bot token or an invite." when that is
 * all), then, when something transient failed too (or nothing is misconfigured), "Temporarily unavailable,
 * retrying in 30 sec."
 */
export const problemMessage = (labels: CardWords, locale: Locale, freshness: FreshnessInput | undefined): string => {
  const reasons = freshness?.reasons ?? []
  const wrong = misconfigurations(reasons)
  // Trouble that retrying may fix (rate limits, errors, timeouts); `circuit_open` only echoes a root cause.
  const transient = reasons.some((reason) => reason !== "circuit_open" && !(MISCONFIGURED as ReadonlyArray<string>).includes(reason))
  // "Add a bot token or an invite" only when the disabled widget is all that is wrong.
  const sentences = wrong.map((reason) => (reason === "widget_disabled" && wrong.length === 1 && !transient ? labels.widgetOnly : labels.problems[reason]))
  if (wrong.length === 0 || transient) {
    const retry = freshness?.retryAfterSeconds
    const when = typeof retry === "number" && retry > 0 ? formatRelative(locale, Math.ceil(retry)) : undefined
    // "in 30 sec." already ends with a full stop; "dans 30 s" does not.
    sentences.push(when === undefined ? labels.retrySoon : `${labels.retrying} ${when}${when.endsWith(".") ? "" : "."}`)
  }
  return sentences.join(" ")
}
