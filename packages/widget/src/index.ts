/**
 * @guildpulse/widget — the server-rendered GuildPulse stats card, its themes, the SVG badge, the
 * `<guildpulse-stats>` custom element, query-string overrides and the legacy plugin's attribute mapping.
 */
export { BADGE_DEFAULT_COLOR, BADGE_DEGRADED_COLOR, BADGE_LABEL_COLOR, BADGE_MISCONFIGURED_COLOR, BADGE_UNAVAILABLE_COLOR, BadgeColor, badgeDescription, badgeMessage, BadgeOptions, BadgeStyle, renderBadge, textWidth } from "./Badge.js"
export { embedScript } from "./Embed.js"
export { en, formatNumber, formatRelative, formatUpdated, fr, labelsFor, locales } from "./Labels.js"
export type { Labels } from "./Labels.js"
export { enWords, frWords, wordsFor } from "./Words.js"
export type { CardWords } from "./Words.js"
export { fromLegacyAttributes, legacyAttributeTable, legacyThemeMap, legacyUnsupported } from "./Legacy.js"
export { blockAttributes, LEGACY_THEMES, legacyAttributes, legacyQueryIgnored } from "./LegacySchema.js"
export type { LegacyAttributeSpec, LegacyAttributeType, LegacyPanel } from "./LegacySchema.js"
export type { LegacyAttributes, LegacyMapping } from "./Legacy.js"
export { badgeQueryParams, parseBadgeQuery, isLegacyQueryName, parseWidgetQuery, QUERY_PASSTHROUGH, widgetQueryParams } from "./Query.js"
export type { QueryInput, QueryParam } from "./Query.js"
export { defaultTheme, themeBackground, themes, widgetCss } from "./Theme.js"
export { DEFAULT_AVATAR_SIZE, defaultIcons, initialsOf, isApproximate, renderWidget, snapAvatarSize, sparklineSvg } from "./Widget.js"
export type { RenderContext, SparklinePoint } from "./Widget.js"
export { DEGRADED_AFTER_FAILURES, MISCONFIGURED, misconfigurations, problemMessage, shownState } from "./State.js"
export type { FreshnessInput, Misconfiguration, ShownState } from "./State.js"
