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

export type LegacyAttributes = Readonly<Record<string, string | boolean | number>>

export interface LegacyMapping {
  readonly options: WidgetOptions
  /** Attribute names whose value was not used (unknown, unsupported, invalid, or a token). */
  readonly ignored: Array<string>
  readonly warnings: Array<string>
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

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
type MutableOptions = Mutable<WidgetOptions>

/** Attributes the new widget knows but does not support, with the reason given to the user. */
const unsupported: Readonly<Record<string, string>> = {
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

const toBoolean = (value: string | boolean | number): boolean | undefined => {
  if (typeof value === "boolean") return value
  if (typeof value === "number") return value !== 0
  const text = value.trim().toLowerCase()
  return TRUE.has(text) ? true : FALSE.has(text) ? false : undefined
}

const toNumber = (value: string | boolean | number): number | undefined => {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined
  if (typeof value === "boolean") return undefined
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*(px)?\s*$/i.exec(value)
  return match === null ? undefined : Number(match[1])
}

const toText = (value: string | boolean | number): string => (typeof value === "string" ? value : String(value))

/** Maps legacy shortcode/block attributes onto `WidgetOptions`. */
export const fromLegacyAttributes = (attrs: LegacyAttributes): LegacyMapping => {
  const options: MutableOptions = {}
  const icons: Mutable<NonNullable<WidgetOptions["icons"]>> = {}
  const labels: Mutable<NonNullable<WidgetOptions["labels"]>> = {}
  const colors: Mutable<NonNullable<WidgetOptions["colors"]>> = {}
  const invite: Mutable<NonNullable<WidgetOptions["invite"]>> = {}
  const cta: { url?: string; label?: string; style?: "solid" | "outline"; newTab?: boolean; tooltip?: string } = {}
  let ctaEnabled: boolean | undefined
  let compact = false
  let boostsLabel: { plural?: string; generic?: string; singular?: string } = {}
  const ignored: Array<string> = []
  const warnings: Array<string> = []

  const ignore = (name: string, why?: string): void => {
    ignored.push(name)
    if (why !== undefined) warnings.push(`${name}: ${why}`)
  }
  const invalid = (name: string, expected: string): void => ignore(name, `ignored, ${expected}`)

  for (const name of Object.keys(attrs)) {
    const raw = attrs[name]
    if (raw === undefined) continue
    const key = name === "className" ? "class" : name.trim().toLowerCase()

    if (key.startsWith("bot_token")) {
      ignore(name, "tokens are never read from page markup; set the bot token on the GuildPulse server")
      continue
    }
    const reason = unsupported[key]
    if (reason !== undefined) {
      ignore(name, reason)
      continue
    }

    const bool = (set: (value: boolean) => void): void => {
      const value = toBoolean(raw)
      if (value === undefined) invalid(name, "expected true or false")
      else set(value)
    }
    const label = (set: (value: string) => void, max = LABEL_MAX): void => {
      const text = toText(raw).trim()
      if (text === "") return ignore(name)
      if (text.length > max) warnings.push(`${name}: shortened to ${max} characters`)
      set(text.slice(0, max))
    }
    const number = (set: (value: number) => void, min: number, max: number, unit = "pixels"): void => {
      const value = toNumber(raw)
      if (value === undefined) return invalid(name, `expected a number of ${unit}`)
      const clamped = Math.min(max, Math.max(min, Math.round(value)))
      if (clamped !== value) warnings.push(`${name}: ${value} adjusted to ${clamped} (allowed ${min}…${max})`)
      set(clamped)
    }
    const color = (set: (value: string) => void): void => {
      const text = toText(raw).trim()
      if (text === "") return ignore(name)
      if (isCssColor(text)) set(text)
      else invalid(name, "expected a hex colour or rgb()/rgba()")
    }

    switch (key) {
      case "show_online":
        bool((v) => (options.showOnline = v))
        break
      case "show_total":
        bool((v) => (options.showMembers = v))
        break
      case "show_approximate_member_count":
        bool((v) => {
          if (v) {
            if (options.showMembers === undefined) options.showMembers = true
            warnings.push(`${name}: approximate member counts are shown in the members figure, marked with ≈`)
          }
        })
        break
      case "show_presence_breakdown":
        bool((v) => (options.showPresence = v))
        break
      case "show_premium_subscriptions":
        bool((v) => (options.showBoosts = v))
        break
      case "layout": {
        const text = toText(raw).trim().toLowerCase()
        if (text === "horizontal" || text === "vertical" || text === "compact") options.layout = text
        else invalid(name, "expected horizontal or vertical")
        break
      }
      case "compact":
        bool((v) => (compact = v))
        break
      case "theme": {
        const text = toText(raw).trim().toLowerCase()
        if (text === "discord" || text === "dark" || text === "light" || text === "minimal" || text === "high-contrast") {
          options.theme = text
        } else if (legacyThemeMap[text] !== undefined) {
          options.theme = legacyThemeMap[text]
          warnings.push(`${name}: legacy theme "${text}" is shown with the nearest GuildPulse theme, "${legacyThemeMap[text]}"`)
        } else {
          invalid(name, "unknown theme")
        }
        break
      }
      case "animated":
        bool((v) => (options.animated = v))
        break
      case "align": {
        const text = toText(raw).trim().toLowerCase()
        if (text === "left" || text === "center" || text === "right") options.align = text
        else invalid(name, "expected left, center or right")
        break
      }
      case "width": {
        const text = toText(raw).trim()
        if (text === "") ignore(name)
        else if (isCssLength(text)) options.width = text
        else invalid(name, "expected a CSS length such as 320px, 100% or auto")
        break
      }
      case "class": {
        const text = toText(raw).trim()
        if (isSafeClassName(text)) {
          if (text !== "") options.className = text
        } else invalid(name, "class names may only contain letters, digits, - and _")
        break
      }
      case "border_radius":
        number((v) => (options.borderRadiusPx = v), 0, 64)
        break
      case "gap":
        number((v) => (options.gapPx = v), 0, 96)
        break
      case "padding":
        number((v) => (options.paddingPx = v), 0, 96)
        break
      case "stat_bg_color":
        color((v) => (colors.background = v))
        break
      case "stat_text_color":
        color((v) => (colors.text = v))
        break
      case "accent_color":
        color((v) => (colors.accent = v))
        break
      case "accent_color_alt":
        color((v) => (colors.accentAlt = v))
        break
      case "accent_text_color":
        color((v) => (colors.accentText = v))
        break
      case "show_title":
        bool((v) => (options.showTitle = v))
        break
      case "title":
        label((v) => (options.title = v))
        break
      case "refresh":
        bool((v) => {
          if (!v) {
            warnings.push(`${name}: the card refreshes whenever embed.js is loaded on the page; leave the script out for a static card`)
          }
        })
        break
      case "refresh_interval":
        number((v) => (options.refreshIntervalSeconds = v), 10, 3600, "seconds")
        break
      case "icon_online":
        label((v) => (icons.online = v), ICON_MAX)
        break
      case "icon_total":
        label((v) => (icons.members = v), ICON_MAX)
        break
      case "icon_presence":
        label((v) => (icons.presence = v), ICON_MAX)
        break
      case "icon_premium":
        label((v) => (icons.boosts = v), ICON_MAX)
        break
      case "label_online":
        label((v) => (labels.online = v))
        break
      case "label_total":
        label((v) => (labels.members = v))
        break
      case "label_presence":
        label((v) => (labels.presence = v))
        break
      case "label_presence_idle":
        label((v) => (labels.idle = v))
        break
      case "label_presence_dnd":
        label((v) => (labels.dnd = v))
        break
      case "label_premium_plural":
        label((v) => (boostsLabel = { ...boostsLabel, plural: v }))
        break
      case "label_premium":
        label((v) => (boostsLabel = { ...boostsLabel, generic: v }))
        break
      case "label_premium_singular":
        label((v) => (boostsLabel = { ...boostsLabel, singular: v }))
        break
      case "hide_labels":
        bool((v) => (options.showLabels = !v))
        break
      case "hide_icons":
        bool((v) => (options.showIcons = !v))
        break
      case "show_server_name":
        bool((v) => (options.showServerName = v))
        break
      case "show_server_avatar":
        bool((v) => (options.showServerAvatar = v))
        break
      case "avatar_size": {
        const value = toNumber(raw)
        if (value === undefined) invalid(name, "expected a number of pixels")
        else {
          const snapped = snapAvatarSize(value)
          if (snapped !== value) warnings.push(`${name}: ${value} snapped to ${snapped} (a power of two, 16…4096)`)
          options.avatarSize = snapped
        }
        break
      }
      case "invite_url": {
        const text = toText(raw).trim()
        if (text === "") ignore(name)
        else if (safeHttpUrl(text) !== undefined) invite.url = text
        else invalid(name, "only http(s) links are allowed")
        break
      }
      case "invite_label":
        label((v) => (invite.label = v))
        break
      case "cta_enabled":
        bool((v) => (ctaEnabled = v))
        break
      case "cta_label":
        label((v) => (cta.label = v))
        break
      case "cta_url": {
        const text = toText(raw).trim()
        if (text === "") ignore(name)
        else if (safeHttpUrl(text) !== undefined) cta.url = text
        else invalid(name, "only http(s) links are allowed")
        break
      }
      case "cta_style": {
        const text = toText(raw).trim().toLowerCase()
        if (text === "solid" || text === "outline") cta.style = text
        else invalid(name, "expected solid or outline")
        break
      }
      case "cta_new_tab":
        bool((v) => (cta.newTab = v))
        break
      case "cta_tooltip":
        label((v) => (cta.tooltip = v))
        break
      case "show_sparkline":
        bool((v) => (options.showSparkline = v))
        break
      default:
        ignore(name, "unknown attribute")
    }
  }

  if (compact) {
    if (options.layout !== undefined && options.layout !== "compact") {
      warnings.push(`compact: the compact layout replaces layout="${options.layout}"`)
    }
    options.layout = "compact"
  }
  const boosts = boostsLabel.plural ?? boostsLabel.generic ?? boostsLabel.singular
  if (boosts !== undefined) labels.boosts = boosts
  if (Object.keys(icons).length > 0) options.icons = icons
  if (Object.keys(labels).length > 0) options.labels = labels
  if (Object.keys(colors).length > 0) options.colors = colors
  if (Object.keys(invite).length > 0) options.invite = invite
  if (ctaEnabled === true) {
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
  return { options, ignored, warnings }
}
