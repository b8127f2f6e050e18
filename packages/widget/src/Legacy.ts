/**
 * The legacy WordPress plugin's `[discord_stats …]` shortcode and block attributes, mapped onto
 * `WidgetOptions`, so existing pages keep their look when they switch to GuildPulse.
 *
 * Every attribute ends up in exactly one place: an option, or `ignored` (with a warning saying why when the
 * attribute is known). `bot_token*` attributes are ignored and their values never copied anywhere — not into
 * the options, not into a warning.
 */
import { CssColor, CssLength } from "@guildpulse/core"
import type { Theme, WidgetOptions } from "@guildpulse/core"
import { Schema } from "effect"
import { isSafeClassName, safeHttpUrl } from "./internal/escape.js"
import { snapAvatarSize } from "./Widget.js"

type Raw = string | boolean | number

export type LegacyAttributes = Readonly<Record<string, Raw>>

export interface LegacyMapping {
  readonly options: WidgetOptions
  /** Attribute names whose value was not used (unknown, unsupported, invalid, or a token). */
  readonly ignored: Array<string>
  readonly warnings: Array<string>
  /** The attributes whose value was refused (a subset of `ignored`), with what was expected: the service answers 400 naming them. */
  readonly invalid: Array<{ readonly field: string; readonly message: string }>
}

/** Legacy themes without an exact counterpart, and the nearest GuildPulse theme. */
export const legacyThemeMap: Readonly<Record<string, Theme>> = {
  radix: "light",
  headless: "minimal",
  shadcn: "light",
  bootstrap: "light",
  semantic: "light",
  anime: "discord"
}

const isCssColor = Schema.is(CssColor)
const isCssLength = Schema.is(CssLength)
const LABEL_MAX = 80
const ICON_MAX = 16


/** Attributes the new widget knows but does not support, with the reason given to the user. */
export const legacyUnsupported: Readonly<Record<string, string>> = {
  show_discord_icon: "the Discord logo is not part of the GuildPulse card",
  discord_icon_position: "the Discord logo is not part of the GuildPulse card",
  demo: "demo data is decided by the profile's fallback setting on the GuildPulse server",
  profile: "choose the profile in the widget URL (/v1/profiles/{profile}/widget)",
  profiles: "comparison grids are not supported; embed one card per profile",
  reference_profile: "comparison grids are not supported; embed one card per profile",
  server_id: "server ids are never taken from page markup; configure a profile on the GuildPulse server",
  sparkline_metric: "the sparkline always shows online counts",
  sparkline_days: "the sparkline period is not configurable",
  icon_approximate: "approximate counts are marked with ≈ on the members figure instead",
  label_approximate: "approximate counts are marked with ≈ on the members figure instead",
  label_presence_online: "the presence breakdown uses the built-in 'online' wording",
  label_presence_offline: "the presence sample has no offline members",
  label_presence_streaming: "the presence breakdown shows online, idle and do-not-disturb only",
  label_presence_other: "the presence breakdown shows online, idle and do-not-disturb only",
  discord_stats: "not a display option"
}

const TRUE = new Set(["true", "1", "yes", "on"])
const FALSE = new Set(["false", "0", "no", "off", ""])

const toBoolean = (value: Raw): boolean | undefined => {
  if (typeof value === "boolean") return value
  if (typeof value === "number") return value !== 0
  const text = value.trim().toLowerCase()
  return TRUE.has(text) ? true : FALSE.has(text) ? false : undefined
}

const toNumber = (value: Raw): number | undefined => {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined
  if (typeof value === "boolean") return undefined
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*(px)?\s*$/i.exec(value)
  return match === null ? undefined : Number(match[1])
}


const toText = (value: Raw): string => (typeof value === "string" ? value : String(value))
const trimmed = (value: Raw): string => toText(value).trim()
const lowered = (value: Raw): string => trimmed(value).toLowerCase()

// ---------------------------------------------------------------------------------------------------------
// Parsers: a raw attribute value to a value, nothing (empty: ignored without a warning) or a complaint.

type Parsed<A> =
  | { readonly _tag: "value"; readonly value: A; readonly notes?: ReadonlyArray<string> }
  | { readonly _tag: "empty" }
  | { readonly _tag: "invalid"; readonly expected: string }

type Parser<A> = (raw: Raw) => Parsed<A>

const value = <A>(a: A, ...notes: ReadonlyArray<string>): Parsed<A> => ({ _tag: "value", value: a, notes })
const empty: Parsed<never> = { _tag: "empty" }
const invalid = (expected: string): Parsed<never> => ({ _tag: "invalid", expected })

const bool: Parser<boolean> = (raw) => {
  const b = toBoolean(raw)
  return b === undefined ? invalid("expected true or false") : value(b)
}

/** Free text, trimmed and cut to `max` characters. */
const text = (max = LABEL_MAX): Parser<string> => (raw) => {
  const t = trimmed(raw)
  if (t === "") return empty
  return t.length > max ? value(t.slice(0, max), `shortened to ${max} characters`) : value(t)
}

/** A whole number clamped to `min…max`. */
const clamped = (min: number, max: number, unit = "pixels"): Parser<number> => (raw) => {
  const n = toNumber(raw)
  if (n === undefined) return invalid(`expected a number of ${unit}`)
  const c = Math.min(max, Math.max(min, Math.round(n)))
  return c !== n ? value(c, `${n} adjusted to ${c} (allowed ${min}…${max})`) : value(c)
}

const oneOf = <A extends string>(choices: ReadonlyArray<A>, expected: string): Parser<A> => (raw) => {
  const t = lowered(raw)
  return (choices as ReadonlyArray<string>).includes(t) ? value(t as A) : invalid(expected)
}

const color: Parser<string> = (raw) => {
  const t = trimmed(raw)
  return t === "" ? empty : isCssColor(t) ? value(t) : invalid("expected a hex colour or rgb()/rgba()")
}

const httpLink: Parser<string> = (raw) => {
  const t = trimmed(raw)
  return t === "" ? empty : safeHttpUrl(t) !== undefined ? value(t) : invalid("only http(s) links are allowed")
}

const cssLength: Parser<string> = (raw) => {
  const t = trimmed(raw)
  return t === "" ? empty : isCssLength(t) ? value(t) : invalid("expected a CSS length such as 320px, 100% or auto")
}

/** Class names; "" is valid and sets nothing. */
const className: Parser<string> = (raw) => {
  const t = trimmed(raw)
  return isSafeClassName(t) ? value(t) : invalid("class names may only contain letters, digits, - and _")
}

const theme: Parser<Theme> = (raw) => {
  const t = lowered(raw)
  if (t === "discord" || t === "dark" || t === "light" || t === "minimal" || t === "high-contrast") return value(t)
  const nearest = legacyThemeMap[t]
  return nearest !== undefined
    ? value(nearest, `legacy theme "${t}" is shown with the nearest GuildPulse theme, "${nearest}"`)
    : invalid("unknown theme")
}

const avatarSize: Parser<number> = (raw) => {
  const n = toNumber(raw)
  if (n === undefined) return invalid("expected a number of pixels")
  const snapped = snapAvatarSize(n)
  return snapped !== n ? value(snapped, `${n} snapped to ${snapped} (a power of two, 16…4096)`) : value(snapped)
}

// ---------------------------------------------------------------------------------------------------------
// The table: each legacy attribute, its parser, and where its value goes.

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** What the attributes build up before it becomes `WidgetOptions`. */
interface Draft {
  readonly options: Mutable<WidgetOptions>
  readonly icons: Mutable<NonNullable<WidgetOptions["icons"]>>
  readonly labels: Mutable<NonNullable<WidgetOptions["labels"]>>
  readonly colors: Mutable<NonNullable<WidgetOptions["colors"]>>
  readonly invite: Mutable<NonNullable<WidgetOptions["invite"]>>
  readonly cta: { url?: string; label?: string; style?: "solid" | "outline"; newTab?: boolean; tooltip?: string }
  readonly boostsLabel: { plural?: string; generic?: string; singular?: string }
  ctaEnabled: boolean | undefined
  compact: boolean
}

/** One legacy attribute: how its value is read, and what it sets. `apply` may return a warning. */
export interface LegacyEntry<A> {
  readonly parse: Parser<A>
  readonly apply: (draft: Draft, value: A) => string | void
}

const entry = <A>(parse: Parser<A>, apply: (draft: Draft, value: A) => string | void): LegacyEntry<unknown> =>
  ({ parse, apply }) as LegacyEntry<unknown>

/** Legacy attribute (lower case; the block's `className` is read as `class`) → its mapping. */
export const legacyAttributeTable: Readonly<Record<string, LegacyEntry<unknown>>> = {
  show_online: entry(bool, (d, v) => void (d.options.showOnline = v)),
  show_total: entry(bool, (d, v) => void (d.options.showMembers = v)),
  show_approximate_member_count: entry(bool, (d, v) => {
    if (!v) return
    if (d.options.showMembers === undefined) d.options.showMembers = true
    return "approximate member counts are shown in the members figure, marked with ≈"
  }),
  show_presence_breakdown: entry(bool, (d, v) => void (d.options.showPresence = v)),
  show_premium_subscriptions: entry(bool, (d, v) => void (d.options.showBoosts = v)),
  layout: entry(oneOf(["horizontal", "vertical", "compact"] as const, "expected horizontal or vertical"), (d, v) => void (d.options.layout = v)),
  compact: entry(bool, (d, v) => void (d.compact = v)),
  theme: entry(theme, (d, v) => void (d.options.theme = v)),
  animated: entry(bool, (d, v) => void (d.options.animated = v)),
  align: entry(oneOf(["left", "center", "right"] as const, "expected left, center or right"), (d, v) => void (d.options.align = v)),
  width: entry(cssLength, (d, v) => void (d.options.width = v)),
  class: entry(className, (d, v) => void (v !== "" ? (d.options.className = v) : undefined)),
  border_radius: entry(clamped(0, 64), (d, v) => void (d.options.borderRadiusPx = v)),
  gap: entry(clamped(0, 96), (d, v) => void (d.options.gapPx = v)),
  padding: entry(clamped(0, 96), (d, v) => void (d.options.paddingPx = v)),
  stat_bg_color: entry(color, (d, v) => void (d.colors.background = v)),
  stat_text_color: entry(color, (d, v) => void (d.colors.text = v)),
  accent_color: entry(color, (d, v) => void (d.colors.accent = v)),
  accent_color_alt: entry(color, (d, v) => void (d.colors.accentAlt = v)),
  accent_text_color: entry(color, (d, v) => void (d.colors.accentText = v)),
  show_title: entry(bool, (d, v) => void (d.options.showTitle = v)),
  title: entry(text(), (d, v) => void (d.options.title = v)),
  refresh: entry(bool, (_, v) =>
    v ? undefined : "the card refreshes whenever embed.js is loaded on the page; leave the script out for a static card"
  ),
  refresh_interval: entry(clamped(10, 3600, "seconds"), (d, v) => void (d.options.refreshIntervalSeconds = v)),
  icon_online: entry(text(ICON_MAX), (d, v) => void (d.icons.online = v)),
  icon_total: entry(text(ICON_MAX), (d, v) => void (d.icons.members = v)),
  icon_presence: entry(text(ICON_MAX), (d, v) => void (d.icons.presence = v)),
  icon_premium: entry(text(ICON_MAX), (d, v) => void (d.icons.boosts = v)),
  label_online: entry(text(), (d, v) => void (d.labels.online = v)),
  label_total: entry(text(), (d, v) => void (d.labels.members = v)),
  label_presence: entry(text(), (d, v) => void (d.labels.presence = v)),
  label_presence_idle: entry(text(), (d, v) => void (d.labels.idle = v)),
  label_presence_dnd: entry(text(), (d, v) => void (d.labels.dnd = v)),
  label_premium_plural: entry(text(), (d, v) => void (d.boostsLabel.plural = v)),
  label_premium: entry(text(), (d, v) => void (d.boostsLabel.generic = v)),
  label_premium_singular: entry(text(), (d, v) => void (d.boostsLabel.singular = v)),
  hide_labels: entry(bool, (d, v) => void (d.options.showLabels = !v)),
  hide_icons: entry(bool, (d, v) => void (d.options.showIcons = !v)),
  show_server_name: entry(bool, (d, v) => void (d.options.showServerName = v)),
  show_server_avatar: entry(bool, (d, v) => void (d.options.showServerAvatar = v)),
  avatar_size: entry(avatarSize, (d, v) => void (d.options.avatarSize = v)),
  invite_url: entry(httpLink, (d, v) => void (d.invite.url = v)),
  invite_label: entry(text(), (d, v) => void (d.invite.label = v)),
  cta_enabled: entry(bool, (d, v) => void (d.ctaEnabled = v)),
  cta_label: entry(text(), (d, v) => void (d.cta.label = v)),
  cta_url: entry(httpLink, (d, v) => void (d.cta.url = v)),
  cta_style: entry(oneOf(["solid", "outline"] as const, "expected solid or outline"), (d, v) => void (d.cta.style = v)),
  cta_new_tab: entry(bool, (d, v) => void (d.cta.newTab = v)),
  cta_tooltip: entry(text(), (d, v) => void (d.cta.tooltip = v)),
  show_sparkline: entry(bool, (d, v) => void (d.options.showSparkline = v))
}

/** Assembles the options once every attribute is read: compact layout, boost label, nested groups, CTA. */
const finish = (draft: Draft, warnings: Array<string>): WidgetOptions => {
  const { options } = draft
  if (draft.compact) {
    if (options.layout !== undefined && options.layout !== "compact") {
      warnings.push(`compact: the compact layout replaces layout="${options.layout}"`)
    }
    options.layout = "compact"
  }
  const boosts = draft.boostsLabel.plural ?? draft.boostsLabel.generic ?? draft.boostsLabel.singular
  if (boosts !== undefined) draft.labels.boosts = boosts
  if (Object.keys(draft.icons).length > 0) options.icons = draft.icons
  if (Object.keys(draft.labels).length > 0) options.labels = draft.labels
  if (Object.keys(draft.colors).length > 0) options.colors = draft.colors
  if (Object.keys(draft.invite).length > 0) options.invite = draft.invite
  if (draft.ctaEnabled === true) {
    const { cta } = draft
    if (cta.url !== undefined && cta.label !== undefined) {
      options.cta = {
        url: cta.url,
        label: cta.label,
        ...(cta.style !== undefined ? { style: cta.style } : {}),
        newTab: cta.newTab ?? true,
        ...(cta.tooltip !== undefined ? { tooltip: cta.tooltip } : {})
      }
    } else {
      warnings.push("cta_enabled: the call-to-action button needs both cta_url and cta_label; it is not shown")
    }
  }
  return options
}

/** Maps legacy shortcode/block attributes onto `WidgetOptions`. */
export const fromLegacyAttributes = (attrs: LegacyAttributes): LegacyMapping => {
  const draft: Draft = { options: {}, icons: {}, labels: {}, colors: {}, invite: {}, cta: {}, boostsLabel: {}, ctaEnabled: undefined, compact: false }
  const ignored: Array<string> = []
  const warnings: Array<string> = []
  const invalid: Array<{ field: string; message: string }> = []
  const ignore = (name: string, why?: string): void => {
    ignored.push(name)
    if (why !== undefined) warnings.push(`${name}: ${why}`)
  }

  for (const name of Object.keys(attrs)) {
    const raw = attrs[name]
    if (raw === undefined) continue
    const key = name === "className" ? "class" : name.trim().toLowerCase()
    if (key.startsWith("bot_token")) {
      ignore(name, "tokens are never read from page markup; set the bot token on the GuildPulse server")
      continue
    }
    const reason = Object.hasOwn(legacyUnsupported, key) ? legacyUnsupported[key] : undefined
    if (reason !== undefined) {
      ignore(name, reason)
      continue
    }
    const mapping = Object.hasOwn(legacyAttributeTable, key) ? legacyAttributeTable[key] : undefined
    if (mapping === undefined) {
      ignore(name, "unknown attribute")
      continue
    }
    const parsed = mapping.parse(raw)
    if (parsed._tag === "empty") ignore(name)
    else if (parsed._tag === "invalid") {
      ignore(name, `ignored, ${parsed.expected}`)
      invalid.push({ field: name, message: parsed.expected })
    }
    else {
      for (const note of parsed.notes ?? []) warnings.push(`${name}: ${note}`)
      const warning = mapping.apply(draft, parsed.value)
      if (typeof warning === "string") warnings.push(`${name}: ${warning}`)
    }
  }
  return { options: finish(draft, warnings), ignored, warnings, invalid }
}
