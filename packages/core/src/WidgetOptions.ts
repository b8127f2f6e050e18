/**
 * Display options of the stats card. They live in core because a profile stores its display defaults;
 * `@guildpulse/widget` renders them and maps the legacy plugin's snake_case attributes onto them.
 */
import { Schema } from "effect"

export const Theme = Schema.Literal("discord", "dark", "light", "minimal", "high-contrast")
export type Theme = typeof Theme.Type
export const Layout = Schema.Literal("horizontal", "vertical", "compact")
export type Layout = typeof Layout.Type
export const Locale = Schema.Literal("en", "fr")
export type Locale = typeof Locale.Type

/** A CSS colour: hex (3/4/6/8 digits) or rgb()/rgba(). Anything else is refused (no CSS injection). */
export const CssColor = Schema.String.pipe(
  Schema.pattern(
    /^(#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})|rgba?\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*(?:,\s*(?:0|1|0?\.\d+)\s*)?\))$/,
    { message: () => "must be a hex colour (#rgb, #rgba, #rrggbb, #rrggbbaa) or rgb()/rgba()" }
  )
)

/** A CSS length: px/em/rem/%/vw/ch values, auto and the content keywords, or calc/min/max/clamp of those. */
export const CssLength = Schema.String.pipe(
  Schema.maxLength(80),
  Schema.pattern(
    /^(auto|fit-content|max-content|min-content|\d+(\.\d+)?(px|em|rem|%|vw|vh|ch)?|(calc|min|max|clamp)\([0-9a-z%.,+\-*/\s]+\))$/,
    { message: () => "must be a CSS length such as 320px, 100%, auto or clamp(200px, 50%, 400px)" }
  )
)

const HttpsUrl = Schema.String.pipe(
  Schema.maxLength(2048),
  Schema.pattern(/^https?:\/\/[^\s"'<>]+$/, { message: () => "must be an http(s) URL" })
)

const Label = Schema.String.pipe(Schema.maxLength(80))
const Icon = Schema.String.pipe(Schema.maxLength(16))

export const WidgetOptions = Schema.Struct({
  theme: Schema.optional(Theme),
  layout: Schema.optional(Layout),
  locale: Schema.optional(Locale),
  align: Schema.optional(Schema.Literal("left", "center", "right")),
  width: Schema.optional(CssLength),
  className: Schema.optional(Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_\- ]{0,120}$/))),
  showOnline: Schema.optional(Schema.Boolean),
  showMembers: Schema.optional(Schema.Boolean),
  showPresence: Schema.optional(Schema.Boolean),
  showBoosts: Schema.optional(Schema.Boolean),
  showTitle: Schema.optional(Schema.Boolean),
  title: Schema.optional(Label),
  showServerName: Schema.optional(Schema.Boolean),
  showServerAvatar: Schema.optional(Schema.Boolean),
  avatarSize: Schema.optional(Schema.Int.pipe(Schema.between(16, 4096))),
  showIcons: Schema.optional(Schema.Boolean),
  showLabels: Schema.optional(Schema.Boolean),
  showStatus: Schema.optional(Schema.Boolean),
  showSparkline: Schema.optional(Schema.Boolean),
  animated: Schema.optional(Schema.Boolean),
  icons: Schema.optional(
    Schema.Struct({
      online: Schema.optional(Icon),
      members: Schema.optional(Icon),
      presence: Schema.optional(Icon),
      boosts: Schema.optional(Icon)
    })
  ),
  labels: Schema.optional(
    Schema.Struct({
      online: Schema.optional(Label),
      members: Schema.optional(Label),
      presence: Schema.optional(Label),
      boosts: Schema.optional(Label),
      idle: Schema.optional(Label),
      dnd: Schema.optional(Label)
    })
  ),
  colors: Schema.optional(
    Schema.Struct({
      background: Schema.optional(CssColor),
      text: Schema.optional(CssColor),
      accent: Schema.optional(CssColor),
      accentAlt: Schema.optional(CssColor),
      accentText: Schema.optional(CssColor)
    })
  ),
  borderRadiusPx: Schema.optional(Schema.Int.pipe(Schema.between(0, 64))),
  gapPx: Schema.optional(Schema.Int.pipe(Schema.between(0, 96))),
  paddingPx: Schema.optional(Schema.Int.pipe(Schema.between(0, 96))),
  invite: Schema.optional(
    Schema.Struct({ show: Schema.optional(Schema.Boolean), url: Schema.optional(HttpsUrl), label: Schema.optional(Label) })
  ),
  cta: Schema.optional(
    Schema.Struct({
      url: HttpsUrl,
      label: Label,
      style: Schema.optional(Schema.Literal("solid", "outline")),
      newTab: Schema.optional(Schema.Boolean),
      tooltip: Schema.optional(Label)
    })
  ),
  refreshIntervalSeconds: Schema.optional(Schema.Int.pipe(Schema.between(10, 3600)))
})
export type WidgetOptions = typeof WidgetOptions.Type
