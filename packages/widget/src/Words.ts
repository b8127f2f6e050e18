/**
 * The words and formats the browser element needs: the part of the labels bundled into embed.js (the rest of
 * `Labels`, server-side only, is in Labels.ts), and locale-aware number and relative-time formatting.
 * Intl formatters are costly to construct, so one of each is cached per locale. Imports types only.
 */
import type { FreshnessState, Locale } from "@guildpulse/core"

/** Misconfiguration reasons that get a sentence of their own (see `State.ts`). */
type Problem = "unknown_guild" | "unauthorized" | "widget_disabled" | "unknown_invite"

/** The words of the card that the element shows too. */
export interface CardWords {
  readonly online: string
  readonly members: string
  /** Screen-reader wording of the ≈ marker. */
  readonly approximately: string
  /** Tooltip of the ≈ marker. */
  readonly approximateTitle: string
  readonly region: string
  readonly updated: string
  /** The status line per shown state; `partial` is fresh data while some source is failing. */
  readonly states: { readonly [S in FreshnessState | "partial"]: string }
  /** "Temporarily unavailable, retrying" — followed by "in 30 sec.". */
  readonly retrying: string
  /** The same when the next try's time is unknown. */
  readonly retrySoon: string
  /** What an unavailable view says per misconfiguration. */
  readonly problems: { readonly [P in Problem]: string }
  /** `widget_disabled` when it is the only thing wrong: says what to add. */
  readonly widgetOnly: string
  readonly demoNote: string
}

export const enWords: CardWords = {
  online: "Online",
  members: "Members",
  approximately: "approximately",
  approximateTitle: "Approximate count reported by Discord",
  region: "Discord server stats",
  updated: "updated",
  states: { fresh: "Live", partial: "Live · partial", stale: "Refreshing", degraded: "Delayed", demo: "Demo", unavailable: "Unavailable" },
  retrying: "Temporarily unavailable, retrying",
  retrySoon: "Temporarily unavailable, retrying shortly.",
  problems: {
    unknown_guild: "Server not found.",
    unauthorized: "Invalid bot token.",
    widget_disabled: "Widget disabled.",
    unknown_invite: "Invite not found or for another server."
  },
  widgetOnly: "Widget disabled — add a bot token or an invite.",
  demoNote: "Demo data, not this server's real numbers."
}

export const frWords: CardWords = {
  online: "En ligne",
  members: "Membres",
  approximately: "environ",
  approximateTitle: "Nombre approximatif fourni par Discord",
  region: "Statistiques du serveur Discord",
  updated: "mis à jour",
  states: { fresh: "En direct", partial: "En direct · partiel", stale: "Actualisation", degraded: "Retardé", demo: "Démo", unavailable: "Indisponible" },
  retrying: "Temporairement indisponible, nouvel essai",
  retrySoon: "Temporairement indisponible, nouvel essai sous peu.",
  problems: {
    unknown_guild: "Serveur introuvable.",
    unauthorized: "Jeton de bot invalide.",
    widget_disabled: "Widget désactivé.",
    unknown_invite: "Invitation introuvable ou d’un autre serveur."
  },
  widgetOnly: "Widget désactivé — ajoutez un jeton de bot ou une invitation.",
  demoNote: "Données de démonstration, pas les vrais chiffres de ce serveur."
}

/** The element's words for a locale (English when unknown). */
export const wordsFor = (locale: Locale | undefined): CardWords => (locale === "fr" ? frWords : enWords)

const numberFormats = new Map<string, Intl.NumberFormat>()
const relativeFormats = new Map<string, Intl.RelativeTimeFormat>()

/** Formats a count per locale (`56,789` / `56 789`), with a cached formatter. */
export const formatNumber = (locale: Locale | undefined, value: number): string => {
  const key = locale ?? "en"
  let format = numberFormats.get(key)
  if (format === undefined) {
    format = new Intl.NumberFormat(key)
    numberFormats.set(key, format)
  }
  return format.format(value)
}

const relativeFormat = (locale: Locale | undefined): Intl.RelativeTimeFormat => {
  const key = locale ?? "en"
  let format = relativeFormats.get(key)
  if (format === undefined) {
    format = new Intl.RelativeTimeFormat(key, { numeric: "auto", style: "short" })
    relativeFormats.set(key, format)
  }
  return format
}

/**
 * A signed duration in seconds as relative time ("42 sec. ago", "in 5 min." / "il y a 42 s", "dans 5 min").
 * The same unit steps are used by the custom element, so server and browser say the same thing.
 */
export const formatRelative = (locale: Locale | undefined, seconds: number): string => {
  const abs = Math.abs(seconds)
  const format = relativeFormat(locale)
  if (abs < 60) return format.format(Math.round(seconds), "second")
  if (abs < 3600) return format.format(Math.trunc(seconds / 60), "minute")
  if (abs < 86400) return format.format(Math.trunc(seconds / 3600), "hour")
  return format.format(Math.trunc(seconds / 86400), "day")
}

/** "updated 42 sec. ago" / "mis à jour il y a 42 s". */
export const formatUpdated = (locale: Locale | undefined, ageSeconds: number): string =>
  `${wordsFor(locale).updated} ${formatRelative(locale, -Math.max(0, ageSeconds))}`
