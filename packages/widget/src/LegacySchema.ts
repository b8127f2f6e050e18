/**
 * The legacy plugin's shortcode/block attributes as data: name, type, the legacy default, allowed values and
 * the editor panel they belong to. The WordPress block (`block.json` attributes and inspector controls) is
 * generated from this list, and the widget route accepts the same names (`parseWidgetQuery`), so one schema
 * serves the shortcode, the block and the service.
 *
 * Block attributes are declared without defaults on purpose: an attribute left unset is not sent, so the
 * profile's display defaults (set on the GuildPulse server, or imported from the legacy options) apply.
 */

export type LegacyAttributeType = "boolean" | "string" | "number"

export type LegacyPanel = "counts" | "layout" | "colors" | "title" | "labels" | "branding" | "invite" | "data"

export interface LegacyAttributeSpec {
  readonly type: LegacyAttributeType
  /** The legacy plugin's default (documentation and editor placeholders; never sent). */
  readonly default?: string | number | boolean
  /** Allowed values, for a select control. */
  readonly enum?: ReadonlyArray<string>
  readonly panel: LegacyPanel
  readonly label: string
  /** Accepted for compatibility but not used by GuildPulse (the reason is in `legacyUnsupported`). */
  readonly unsupported?: true
}

const b = (panel: LegacyPanel, label: string, dflt?: boolean): LegacyAttributeSpec =>
  dflt === undefined ? { type: "boolean", panel, label } : { type: "boolean", panel, label, default: dflt }
const s = (panel: LegacyPanel, label: string, dflt?: string, choices?: ReadonlyArray<string>): LegacyAttributeSpec => ({
  type: "string",
  panel,
  label,
  ...(dflt !== undefined ? { default: dflt } : {}),
  ...(choices !== undefined ? { enum: choices } : {})
})
const n = (panel: LegacyPanel, label: string, dflt: number): LegacyAttributeSpec => ({ type: "number", panel, label, default: dflt })
const u = (spec: LegacyAttributeSpec): LegacyAttributeSpec => ({ ...spec, unsupported: true })

export const LEGACY_THEMES = ["discord", "dark", "light", "minimal", "radix", "headless", "shadcn", "bootstrap", "semantic", "anime"] as const

/** Every attribute of `[discord_stats]` and of the `discord-bot-jlg/discord-stats` block (`bot_token*` excluded: never accepted). */
export const legacyAttributes: Readonly<Record<string, LegacyAttributeSpec>> = {
  show_online: b("counts", "Show online count", true),
  show_total: b("counts", "Show member count", true),
  show_presence_breakdown: b("counts", "Show presence breakdown", false),
  show_approximate_member_count: b("counts", "Show approximate member count", false),
  show_premium_subscriptions: b("counts", "Show server boosts", false),
  layout: s("layout", "Layout", "horizontal", ["horizontal", "vertical"]),
  theme: s("layout", "Theme", "discord", LEGACY_THEMES),
  animated: b("layout", "Animated", true),
  compact: b("layout", "Compact", false),
  align: s("layout", "Alignment", "left", ["left", "center", "right"]),
  width: s("layout", "Width (CSS length)"),
  class: s("layout", "Extra CSS classes"),
  border_radius: n("layout", "Border radius (px)", 8),
  gap: n("layout", "Gap (px)", 20),
  padding: n("layout", "Padding (px)", 15),
  stat_bg_color: s("colors", "Background colour"),
  stat_text_color: s("colors", "Text colour"),
  accent_color: s("colors", "Accent colour"),
  accent_color_alt: s("colors", "Second accent colour"),
  accent_text_color: s("colors", "Accent text colour"),
  show_title: b("title", "Show title", false),
  title: s("title", "Title"),
  refresh: b("title", "Live refresh", false),
  refresh_interval: n("title", "Refresh interval (s, 10…3600)", 60),
  icon_online: s("labels", "Online icon", "🟢"),
  icon_total: s("labels", "Members icon", "👥"),
  icon_presence: s("labels", "Presence icon", "📊"),
  icon_approximate: u(s("labels", "Approximate icon", "📈")),
  icon_premium: s("labels", "Boosts icon", "💎"),
  label_online: s("labels", "Online label", "En ligne"),
  label_total: s("labels", "Members label", "Membres"),
  label_presence: s("labels", "Presence label", "Présence par statut"),
  label_presence_online: u(s("labels", "Presence: online")),
  label_presence_idle: s("labels", "Presence: idle"),
  label_presence_dnd: s("labels", "Presence: do not disturb"),
  label_presence_offline: u(s("labels", "Presence: offline")),
  label_presence_streaming: u(s("labels", "Presence: streaming")),
  label_presence_other: u(s("labels", "Presence: other")),
  label_approximate: u(s("labels", "Approximate label", "Membres (approx.)")),
  label_premium: s("labels", "Boosts label"),
  label_premium_singular: s("labels", "Boosts label (singular)"),
  label_premium_plural: s("labels", "Boosts label (plural)", "Boost(s) serveur"),
  hide_labels: b("labels", "Hide labels (screen-reader only)", false),
  hide_icons: b("labels", "Hide icons", false),
  show_discord_icon: u(b("branding", "Show Discord logo", false)),
  discord_icon_position: u(s("branding", "Discord logo position", "left", ["left", "top", "right"])),
  show_server_name: b("branding", "Show server name", false),
  show_server_avatar: b("branding", "Show server avatar", false),
  avatar_size: n("branding", "Avatar size (px, power of two)", 128),
  invite_url: s("invite", "Invite URL"),
  invite_label: s("invite", "Invite label", "Rejoindre le serveur"),
  cta_enabled: b("invite", "Show call-to-action button", false),
  cta_label: s("invite", "Button label"),
  cta_url: s("invite", "Button URL"),
  cta_style: s("invite", "Button style", "solid", ["solid", "outline"]),
  cta_new_tab: b("invite", "Open in a new tab", true),
  cta_tooltip: s("invite", "Button tooltip"),
  demo: u(b("data", "Demo data", false)),
  profile: s("data", "Profile"),
  profiles: u(s("data", "Profiles (comparison)")),
  reference_profile: u(s("data", "Reference profile")),
  server_id: s("data", "Server id (must belong to a configured profile)"),
  show_sparkline: b("data", "Show sparkline", false),
  sparkline_metric: u(s("data", "Sparkline metric", "online", ["online", "presence", "premium"])),
  sparkline_days: u(n("data", "Sparkline days (3…30)", 7))
}

/**
 * Legacy names the widget route accepts and ignores: data selection (the profile is in the URL; the WordPress
 * plugin resolves `profile`/`server_id` itself), unsupported features, and links — links are never settable
 * from a query string (anyone can craft a widget URL), so they come from the profile's display defaults.
 */
export const legacyQueryIgnored: ReadonlySet<string> = new Set([
  "demo",
  "profile",
  "profiles",
  "reference_profile",
  "server_id",
  "show_discord_icon",
  "discord_icon_position",
  "sparkline_metric",
  "sparkline_days",
  "icon_approximate",
  "label_approximate",
  "label_presence_online",
  "label_presence_offline",
  "label_presence_streaming",
  "label_presence_other",
  "invite_url",
  "cta_enabled",
  "cta_label",
  "cta_url",
  "cta_style",
  "cta_new_tab",
  "cta_tooltip"
])

/** The block's `attributes` for block.json: types only, no defaults (see the module comment). */
export const blockAttributes = (): Record<string, { type: LegacyAttributeType; enum?: ReadonlyArray<string> }> => {
  const out: Record<string, { type: LegacyAttributeType; enum?: ReadonlyArray<string> }> = {}
  for (const [name, spec] of Object.entries(legacyAttributes)) out[name] = { type: spec.type }
  return out
}
