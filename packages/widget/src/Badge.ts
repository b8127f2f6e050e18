/**
 * A shields-style SVG badge: "discord | 1,234 online · ≈56,789 members".
 *
 * Text widths come from Verdana's advance widths (the font shields.io measures with), so the badge is sized
 * without a font engine; it is approximate for characters outside ASCII. Every piece of text is XML-escaped.
 */
import { Locale } from "@guildpulse/core"
import type { StatsView } from "@guildpulse/core"
import { Schema } from "effect"
import { parseColor, readableTextColor } from "./internal/color.js"
import { escapeHtml } from "./internal/escape.js"
import { formatNumber, labelsFor } from "./Labels.js"
import { misconfigurations, shownState } from "./State.js"
import type { ShownState } from "./State.js"
import { isApproximate } from "./Widget.js"

export const BadgeStyle = Schema.Literal("flat", "flat-square", "for-the-badge")
export type BadgeStyle = typeof BadgeStyle.Type

const BADGE_COLOR = /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/

/** A hex colour, with or without the leading `#` (shields accepts both): 3 or 6 digits. */
export const BadgeColor = Schema.String.pipe(
  Schema.pattern(BADGE_COLOR, { message: () => "must be a hex colour such as 5865F2 or #5865F2" })
)

export const BadgeOptions = Schema.Struct({
  /** Left-hand text (default "discord"). */
  label: Schema.optional(Schema.String.pipe(Schema.maxLength(40))),
  /** Right-hand background (default Discord blurple); replaced by orange when degraded and grey when unavailable. */
  color: Schema.optional(BadgeColor),
  /** Left-hand background (default #555). */
  labelColor: Schema.optional(BadgeColor),
  style: Schema.optional(BadgeStyle),
  showOnline: Schema.optional(Schema.Boolean),
  showMembers: Schema.optional(Schema.Boolean),
  locale: Schema.optional(Locale)
})
export type BadgeOptions = typeof BadgeOptions.Type

export const BADGE_DEFAULT_COLOR = "#5865f2"
export const BADGE_LABEL_COLOR = "#555555"
export const BADGE_DEGRADED_COLOR = "#fe7d37"
export const BADGE_UNAVAILABLE_COLOR = "#9f9f9f"
/** An unavailable view that retrying will not fix (unknown server, widget off, bad token, unknown invite). */
export const BADGE_MISCONFIGURED_COLOR = "#e05d44"

/** The badge's words for states and reasons (its text and its accessible name), per locale. */
const badgeWords: { readonly [L in Locale]: Readonly<Record<string, string>> } = {
  en: {
    stale: "stale",
    partial: "partial",
    degraded: "degraded",
    demo: "demo data",
    unavailable: "unavailable",
    rate_limited: "rate limited",
    upstream_error: "Discord error",
    timeout: "timed out",
    circuit_open: "paused after errors",
    unknown_guild: "server not found",
    unauthorized: "invalid token",
    widget_disabled: "widget disabled",
    unknown_invite: "unknown invite"
  },
  fr: {
    stale: "périmé",
    partial: "partiel",
    degraded: "dégradé",
    demo: "données de démo",
    unavailable: "indisponible",
    rate_limited: "limite de débit atteinte",
    upstream_error: "erreur de Discord",
    timeout: "délai dépassé",
    circuit_open: "en pause après des erreurs",
    unknown_guild: "serveur introuvable",
    unauthorized: "jeton invalide",
    widget_disabled: "widget désactivé",
    unknown_invite: "invitation inconnue"
  }
}

const wordsOf = (locale: Locale | undefined, keys: ReadonlyArray<string>): Array<string> => {
  const words = badgeWords[locale === "fr" ? "fr" : "en"]
  return keys.flatMap((key) => (Object.hasOwn(words, key) ? [words[key] as string] : []))
}

/**
 * The badge's accessible name (`<title>` and `aria-label`): its text, then — unless the numbers are plainly
 * live — the state and its reasons: "discord: 1,234 online · 5,678 members (degraded: rate limited)",
 * "discord: unavailable (server not found)".
 */
export const badgeDescription = (view: StatsView, options: BadgeOptions = {}): string => {
  const labels = labelsFor(options.locale)
  const label = options.label ?? labels.badgeLabel
  const message = badgeMessage(view, options)
  const shown: ShownState = shownState(view.freshness)
  const reasons = wordsOf(options.locale, view.freshness.reasons)
  const prefix = label === "" ? "" : `${label}: `
  if (shown === "unavailable" || message === labels.badgeUnavailable) {
    const [unavailable = ""] = wordsOf(options.locale, ["unavailable"])
    return `${prefix}${unavailable}${reasons.length > 0 ? ` (${reasons.join(", ")})` : ""}`
  }
  if (shown === "fresh") return `${prefix}${message}`
  const [state = ""] = wordsOf(options.locale, [shown])
  return `${prefix}${message} (${state}${reasons.length > 0 ? `: ${reasons.join(", ")}` : ""})`
}

// Verdana advance widths (units per em 2048) for ASCII 32…126.
// prettier-ignore
const VERDANA: ReadonlyArray<number> = [
  720, 823, 940, 1716, 1303, 2215, 1493, 546, 924, 924, 1303, 1716, 746, 924, 746, 1303,
  1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 924, 924, 1716, 1716, 1716, 1118,
  2048, 1401, 1405, 1430, 1577, 1294, 1178, 1573, 1540, 860, 943, 1423, 1145, 1726, 1535, 1609,
  1235, 1609, 1432, 1400, 1257, 1507, 1401, 2023, 1403, 1257, 1402, 924, 1303, 924, 1716, 1303,
  1303, 1229, 1276, 1067, 1276, 1220, 720, 1276, 1296, 562, 705, 1198, 562, 1992, 1296, 1243,
  1276, 1276, 874, 1067, 807, 1296, 1198, 1660, 1198, 1198, 1051, 1303, 924, 1303, 1716
]
const WIDE_DEFAULT = 1303
const NARROW_SPACES = new Set([0x00a0, 0x202f, 0x2009])

/** Approximate rendered width of `text` in Verdana at `fontSizePx` (bold is ~10 % wider). */
export const textWidth = (text: string, fontSizePx: number, bold = false): number => {
  let units = 0
  for (const char of text) {
    const code = char.codePointAt(0) ?? 32
    units += code >= 32 && code <= 126 ? (VERDANA[code - 32] ?? WIDE_DEFAULT) : NARROW_SPACES.has(code) ? 720 : WIDE_DEFAULT
  }
  return (units / 2048) * fontSizePx * (bold ? 1.1 : 1)
}

const hex = (color: string | undefined, fallback: string): string => {
  if (color === undefined || !BADGE_COLOR.test(color)) return fallback
  return (color.startsWith("#") ? color : `#${color}`).toLowerCase()
}

/**
 * The badge's right-hand text for a view ("1,234 online · ≈56,789 members", "demo · …"); for an unavailable
 * view, what is wrong when retrying will not fix it ("server not found", "widget disabled"), else "unavailable".
 */
export const badgeMessage = (view: StatsView, options: BadgeOptions = {}): string => {
  const labels = labelsFor(options.locale)
  if (view.freshness.state === "unavailable") {
    const wrong = wordsOf(options.locale, misconfigurations(view.freshness.reasons))
    return wrong.length > 0 ? wrong.join(" · ") : labels.badgeUnavailable
  }
  const parts: Array<string> = []
  const { online, members } = view.counts
  if ((options.showOnline ?? true) && online !== undefined) {
    parts.push(`${isApproximate(view, "online") ? "≈" : ""}${formatNumber(options.locale, online)} ${labels.badgeOnline}`)
  }
  if ((options.showMembers ?? true) && members !== undefined) {
    parts.push(`${isApproximate(view, "members") ? "≈" : ""}${formatNumber(options.locale, members)} ${labels.badgeMembers}`)
  }
  if (parts.length === 0) return labels.badgeUnavailable
  const message = parts.join(" · ")
  return view.freshness.state === "demo" ? `${labels.badgeDemo} · ${message}` : message
}

const round1 = (n: number): number => Math.round(n * 10) / 10

/** Renders the badge as a standalone SVG document (`image/svg+xml`). */
export const renderBadge = (view: StatsView, options: BadgeOptions = {}): string => {
  const style: BadgeStyle = options.style === "flat-square" || options.style === "for-the-badge" ? options.style : "flat"
  const labels = labelsFor(options.locale)
  const rawLabel = options.label ?? labels.badgeLabel
  const rawMessage = badgeMessage(view, options)
  const state = view.freshness.state
  const color =
    state === "unavailable" && misconfigurations(view.freshness.reasons).length > 0
      ? BADGE_MISCONFIGURED_COLOR
      : state === "unavailable" || rawMessage === labels.badgeUnavailable
      ? BADGE_UNAVAILABLE_COLOR
      : state === "degraded"
      ? BADGE_DEGRADED_COLOR
      : hex(options.color, BADGE_DEFAULT_COLOR)
  const labelColor = hex(options.labelColor, BADGE_LABEL_COLOR)
  const accessible = badgeDescription(view, options)

  const big = style === "for-the-badge"
  const label = big ? rawLabel.toUpperCase() : rawLabel
  const message = big ? rawMessage.toUpperCase() : rawMessage
  const height = big ? 28 : 20
  const fontSize = big ? 10 : 11
  const pad = big ? 12 : 6
  const spacing = big ? 1.25 : 0
  const measure = (text: string): number =>
    text === "" ? 0 : Math.ceil(textWidth(text, fontSize, big) + spacing * [...text].length + pad * 2)
  const labelWidth = measure(label)
  const messageWidth = measure(message)
  const width = labelWidth + messageWidth

  const labelText = readableTextColor(parseColor(labelColor) ?? { r: 85, g: 85, b: 85, a: 1 }) === "#000000" ? "#333" : "#fff"
  const messageText = readableTextColor(parseColor(color) ?? { r: 88, g: 101, b: 242, a: 1 }) === "#000000" ? "#333" : "#fff"
  const textY = big ? 18 : 14
  const font = `font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="${fontSize}"${big ? ' font-weight="bold"' : ""}${spacing > 0 ? ` letter-spacing="${spacing}"` : ""}`
  const text = (x: number, fill: string, content: string): string => {
    const escaped = escapeHtml(content)
    const shadow = style === "flat" ? `<text x="${round1(x)}" y="${textY + 1}" fill="#010101" fill-opacity=".3" aria-hidden="true">${escaped}</text>` : ""
    return `${shadow}<text x="${round1(x)}" y="${textY}" fill="${fill}">${escaped}</text>`
  }

  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(accessible)}" data-state="${state}"><title>${escapeHtml(accessible)}</title>`
  if (style === "flat") {
    svg += `<linearGradient id="gp-s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="gp-r"><rect width="${width}" height="${height}" rx="3" fill="#fff"/></clipPath><g clip-path="url(#gp-r)">`
  } else {
    svg += `<g shape-rendering="crispEdges">`
  }
  if (labelWidth > 0) svg += `<rect width="${labelWidth}" height="${height}" fill="${labelColor}"/>`
  svg += `<rect x="${labelWidth}" width="${messageWidth}" height="${height}" fill="${color}"/>`
  if (style === "flat") svg += `<rect width="${width}" height="${height}" fill="url(#gp-s)"/>`
  svg += `</g><g text-anchor="middle" ${font}>`
  if (labelWidth > 0) svg += text(labelWidth / 2, labelText, label)
  svg += text(labelWidth + messageWidth / 2, messageText, message)
  svg += `</g></svg>`
  return svg
}
