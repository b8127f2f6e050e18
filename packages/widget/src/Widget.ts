/**
 * Server-side rendering of the stats card: a pure function from a `StatsView` and `WidgetOptions` to an HTML
 * fragment that works with no JavaScript at all, and that the `<guildpulse-stats>` element upgrades in place.
 *
 * Honesty rules: numbers from Discord's `approximate_*` counts (the `bot` and `invite` sources) carry a "≈";
 * the widget's `presence_count` (source `widget`) is Discord's own online count and is shown without it; the
 * presence breakdown is always labelled as a sample of N; demo data is labelled "Demo"; an unavailable view
 * shows a message and no numbers. Every string that comes from Discord or from a caller is escaped, and only
 * http(s) links are printed.
 *
 * Hooks for the element: `data-gp-field` on every value it may update (with the raw number in
 * `data-gp-value`), `data-gp-stat` on each stat, `data-state` (the shown state, see `State.ts`), `data-expires`
 * and `data-reasons` on the card, `.gp-approx` markers, `.gp-message`.
 *
 * The avatar is the server's initials with the icon over them: an icon that cannot load leaves the initials
 * (CSS only, see widget.css), never a broken image.
 */
import { CssLength } from "@guildpulse/core"
import type { FreshnessState, Locale, StatsView, Theme, WidgetOptions } from "@guildpulse/core"
import { Schema } from "effect"
import { parseColor, readableTextColor } from "./internal/color.js"
import { escapeHtml, inviteHref, isSafeClassName, safeEndpoint, safeHttpUrl, safeId } from "./internal/escape.js"
import { formatNumber, formatUpdated, labelsFor } from "./Labels.js"
import type { Labels } from "./Labels.js"
import { problemMessage, shownState } from "./State.js"
import type { ShownState } from "./State.js"
import { defaultTheme, themeBackground } from "./Theme.js"

/** Per-request facts the card needs besides the view and the options. */
export interface RenderContext {
  /** The clock used for "updated … ago" (epoch ms). Defaults to `Date.now()`. */
  readonly nowMs?: number
  /** The stats JSON URL the custom element polls (`data-endpoint`): a same-origin path or an http(s) URL. */
  readonly endpoint?: string
  /** Prefix of the ids in the fragment; give each card on a page its own. Defaults to `gp-<profile>`. */
  readonly idPrefix?: string
  /**
   * Recorded online counts (oldest first) drawn as the sparkline when `showSparkline` is set; fewer than two
   * points draw nothing. The host reads them from analytics (e.g. the last 24 hours).
   */
  readonly sparkline?: ReadonlyArray<SparklinePoint>
}

export interface SparklinePoint {
  readonly atMs: number
  readonly online: number
}

const SPARK_WIDTH = 240
const SPARK_HEIGHT = 40
const sparkWords = {
  en: { title: "Online over the last 24 hours", range: (min: string, max: string, last: string) => `Between ${min} and ${max} online; ${last} at the latest sample.` },
  fr: { title: "En ligne ces dernières 24 heures", range: (min: string, max: string, last: string) => `Entre ${min} et ${max} en ligne ; ${last} au dernier relevé.` }
} as const

/**
 * The sparkline: an inline SVG (no script) with a polyline of the online counts over their time span, an
 * accessible name (`<title>`) and description (`<desc>`: lowest, highest, latest). Empty for fewer than two
 * usable points.
 */
export const sparklineSvg = (points: ReadonlyArray<SparklinePoint>, locale: Locale, id: string): string => {
  const usable = points.filter((p) => Number.isFinite(p.atMs) && Number.isFinite(p.online))
  const first = usable[0]
  const last = usable[usable.length - 1]
  if (usable.length < 2 || first === undefined || last === undefined) return ""
  let min = Infinity
  let max = -Infinity
  for (const p of usable) {
    if (p.online < min) min = p.online
    if (p.online > max) max = p.online
  }
  const spanMs = Math.max(1, last.atMs - first.atMs)
  const spanV = max - min
  const pad = 2
  const coordinates = usable
    .map((p) => {
      const x = ((p.atMs - first.atMs) / spanMs) * SPARK_WIDTH
      const y = spanV === 0 ? SPARK_HEIGHT / 2 : pad + (1 - (p.online - min) / spanV) * (SPARK_HEIGHT - 2 * pad)
      return `${Math.round(x * 10) / 10},${Math.round(y * 10) / 10}`
    })
    .join(" ")
  const words = sparkWords[locale]
  const n = (v: number) => escapeHtml(formatNumber(locale, Math.round(v)))
  return (
    `<svg class="gp-sparkline" viewBox="0 0 ${SPARK_WIDTH} ${SPARK_HEIGHT}" preserveAspectRatio="none" role="img" aria-labelledby="${id}-spark-title ${id}-spark-desc" focusable="false">` +
    `<title id="${id}-spark-title">${escapeHtml(words.title)}</title>` +
    `<desc id="${id}-spark-desc">${words.range(n(min), n(max), n(last.online))}</desc>` +
    `<polyline fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" stroke-linecap="round" vector-effect="non-scaling-stroke" points="${coordinates}"></polyline>` +
    `</svg>`
  )
}

/** Default icons, as in the legacy plugin. */
export const defaultIcons = { online: "🟢", members: "👥", presence: "📊", boosts: "💎" } as const

/** Default avatar size requested from Discord's CDN (px, a power of two). */
export const DEFAULT_AVATAR_SIZE = 128

/** Discord's CDN serves powers of two from 16 to 4096: the nearest one (ties go up). */
export const snapAvatarSize = (size: number): number => {
  if (!Number.isFinite(size) || size <= 16) return 16
  if (size >= 4096) return 4096
  return Math.pow(2, Math.round(Math.log2(size)))
}

const withSize = (url: string, size: number): string => {
  const hash = url.indexOf("#")
  const base = hash === -1 ? url : url.slice(0, hash)
  const query = base.indexOf("?")
  if (query === -1) return `${base}?size=${size}`
  const params = base
    .slice(query + 1)
    .split("&")
    .filter((part) => part !== "" && !part.startsWith("size="))
  params.push(`size=${size}`)
  return `${base.slice(0, query)}?${params.join("&")}`
}

/** True when a headline count comes from Discord's `approximate_*` fields (bot and invite sources). */
export const isApproximate = (view: StatsView, field: "online" | "members"): boolean => {
  const source = view.provenance[field]?.source
  return source === "bot" || source === "invite"
}

const isCssLength = Schema.is(CssLength)

/** The inline custom properties for colours and sizes (already vetted), or "" when there are none. */
const styleOf = (options: WidgetOptions, theme: Theme): string => {
  let style = ""
  const colors = options.colors
  if (colors !== undefined) {
    const backdrop = parseColor(themeBackground[theme])
    const background = colors.background === undefined ? undefined : parseColor(colors.background)
    const text = colors.text === undefined ? undefined : parseColor(colors.text)
    if (background !== undefined && colors.background !== undefined) {
      style += `--gp-bg:${colors.background};--gp-surface:${colors.background};`
      // A custom background invalidates the theme's text colours: pick one that reads on it.
      const auto = text === undefined ? readableTextColor(background, backdrop) : undefined
      const textColor = auto ?? colors.text
      style += `--gp-text:${textColor};--gp-muted:${textColor};`
      if (text === undefined) style += "--gp-border:transparent;"
    } else if (text !== undefined && colors.text !== undefined) {
      style += `--gp-text:${colors.text};`
    }
    const accent = colors.accent === undefined ? undefined : parseColor(colors.accent)
    if (accent !== undefined) {
      style += `--gp-accent:${colors.accent};--gp-focus:${colors.accent};`
      const accentText = colors.accentText === undefined ? undefined : parseColor(colors.accentText)
      style += `--gp-accent-text:${accentText === undefined ? readableTextColor(accent, backdrop) : colors.accentText};`
    } else if (colors.accentText !== undefined && parseColor(colors.accentText) !== undefined) {
      style += `--gp-accent-text:${colors.accentText};`
    }
    if (colors.accentAlt !== undefined && parseColor(colors.accentAlt) !== undefined) style += `--gp-accent-alt:${colors.accentAlt};`
  }
  if (options.borderRadiusPx !== undefined) style += `--gp-radius:${clampInt(options.borderRadiusPx, 0, 64)}px;`
  if (options.gapPx !== undefined) style += `--gp-gap:${clampInt(options.gapPx, 0, 96)}px;`
  if (options.paddingPx !== undefined) style += `--gp-pad:${clampInt(options.paddingPx, 0, 96)}px;`
  if (options.width !== undefined && isCssLength(options.width)) style += `--gp-width:${options.width};`
  return style
}

const clampInt = (value: number, min: number, max: number): number =>
  Number.isFinite(value) ? Math.min(max, Math.max(min, Math.round(value))) : min

const approxMarker = (labels: Labels, approximate: boolean): string =>
  `<span class="gp-approx" title="${escapeHtml(labels.approximateTitle)}"${approximate ? "" : " hidden"}><span aria-hidden="true">≈</span><span class="gp-sr">${escapeHtml(labels.approximately)} </span></span>`

const value = (field: string, locale: Locale, count: number | undefined, tag = "span"): string =>
  count === undefined
    ? `<${tag} data-gp-field="${field}"></${tag}>`
    : `<${tag} data-gp-field="${field}" data-gp-value="${count}">${formatNumber(locale, count)}</${tag}>`

interface Resolved {
  readonly locale: Locale
  readonly labels: Labels
  readonly showIcons: boolean
  readonly labelClass: string
  readonly show: boolean
}

const icon = (r: Resolved, custom: string | undefined, fallback: string): string =>
  r.showIcons ? `<span class="gp-icon" aria-hidden="true">${escapeHtml(custom ?? fallback)}</span>` : ""

const countStat = (
  r: Resolved,
  field: "online" | "members",
  count: number | undefined,
  approximate: boolean,
  iconText: string,
  label: string
): string =>
  `<li class="gp-stat gp-stat-${field}" data-gp-stat="${field}"${r.show && count !== undefined ? "" : " hidden"}>${iconText}<span class="gp-body"><span class="gp-figure">${approxMarker(r.labels, approximate)}${value(field, r.locale, r.show ? count : undefined)}</span> <span class="${r.labelClass}">${escapeHtml(label)}</span></span></li>`

const presenceStat = (r: Resolved, view: StatsView, options: WidgetOptions): string => {
  const presence = r.show ? view.presence : undefined
  const labels = options.labels
  const sub = r.labelClass === "gp-label" ? "gp-sublabel" : "gp-sr"
  const item = (key: "online" | "idle" | "dnd", text: string): string =>
    `<li class="gp-p-${key}"><span class="gp-dot" aria-hidden="true"></span>${value(`presence.${key}`, r.locale, presence?.[key], "b")} <span class="${sub}">${escapeHtml(text)}</span></li>`
  return `<li class="gp-stat gp-stat-presence" data-gp-stat="presence"${presence === undefined ? " hidden" : ""}>${icon(r, options.icons?.presence, defaultIcons.presence)}<span class="gp-body"><span class="${r.labelClass}">${escapeHtml(labels?.presence ?? r.labels.presence)}</span><ul class="gp-presence">${item("online", r.labels.presenceOnline)}${item("idle", labels?.idle ?? r.labels.idle)}${item("dnd", labels?.dnd ?? r.labels.dnd)}</ul><span class="gp-sample">${escapeHtml(r.labels.sampleOf)} ${value("presence.sampleSize", r.locale, presence?.sampleSize)}</span></span></li>`
}

const boostStat = (r: Resolved, view: StatsView, options: WidgetOptions): string => {
  const boosts = r.show ? view.counts.boosts : undefined
  const tier = r.show ? view.counts.boostTier : undefined
  const label = options.labels?.boosts ?? (boosts === 1 ? r.labels.boost : r.labels.boosts)
  return `<li class="gp-stat gp-stat-boosts" data-gp-stat="boosts"${boosts === undefined ? " hidden" : ""}>${icon(r, options.icons?.boosts, defaultIcons.boosts)}<span class="gp-body"><span class="gp-figure">${value("boosts", r.locale, boosts)}</span> <span class="${r.labelClass}">${escapeHtml(label)}</span><span class="gp-tier"${tier === undefined || tier <= 0 ? " hidden" : ""}>${escapeHtml(r.labels.level)} ${value("boostTier", r.locale, tier)}</span></span></li>`
}

const stateLine = (view: StatsView, shown: ShownState, labels: Labels, locale: Locale, nowMs: number | undefined, id: string): string => {
  const state: FreshnessState = view.freshness.state
  const fetchedAt = view.freshness.fetchedAt
  // The age is always in the markup (hidden when unknown) so the element can fill it in later.
  let age = `<span class="gp-age" hidden> · <time data-gp-field="updated"></time></span>`
  if (fetchedAt !== null && state !== "unavailable") {
    const fetchedMs = Date.parse(fetchedAt)
    if (Number.isFinite(fetchedMs)) {
      const ageSeconds = Math.floor(((nowMs ?? Date.now()) - fetchedMs) / 1000)
      age = `<span class="gp-age"> · <time data-gp-field="updated" datetime="${escapeHtml(fetchedAt)}">${escapeHtml(formatUpdated(locale, ageSeconds))}</time></span>`
    }
  }
  return `<p class="gp-status" id="${id}-status"><span class="gp-dot" aria-hidden="true"></span><span class="gp-state">${escapeHtml(labels.states[shown])}</span>${age}</p>`
}

/** Demo data says so; an unavailable view says what is wrong ("Server not found.") or when it retries. */
const messageOf = (view: StatsView, labels: Labels, locale: Locale): string => {
  const state = view.freshness.state
  if (state === "demo") return `<p class="gp-message">${escapeHtml(labels.demoNote)}</p>`
  if (state !== "unavailable") return `<p class="gp-message" hidden></p>`
  return `<p class="gp-message">${escapeHtml(problemMessage(labels, locale, view.freshness))}</p>`
}

/**
 * The server's initials, as Discord shows a guild without an icon: the first character of up to three
 * words ("Pulse Makers" → "PM").
 */
export const initialsOf = (name: string | undefined): string => {
  if (name === undefined) return ""
  let initials = ""
  let count = 0
  for (const word of name.split(/\s+/)) {
    const first = word.codePointAt(0)
    if (first === undefined) continue
    initials += String.fromCodePoint(first)
    if (++count === 3) break
  }
  return initials
}

/**
 * The avatar: the initials, and the icon over them. While the icon loads, and when it cannot load, the
 * initials show; a failed image draws its `::after` (the initials again) instead of a broken-image icon, so
 * no script is needed. Decorative: the server's name is in the heading.
 */
const avatarOf = (iconUrl: string | undefined, initials: string, size: number, box: number): string => {
  let html = `<span class="gp-avatar" aria-hidden="true"><span class="gp-initials">${escapeHtml(initials)}</span>`
  if (iconUrl !== undefined) {
    html += `<img src="${escapeHtml(withSize(iconUrl, size))}" alt="" width="${box}" height="${box}" loading="lazy" decoding="async" referrerpolicy="no-referrer" data-initials="${escapeHtml(initials)}">`
  }
  return `${html}</span>`
}

const link = (href: string, className: string, label: string, newTab: boolean, labels: Labels, tooltip?: string): string =>
  `<a class="${className}" href="${escapeHtml(href)}" rel="noopener noreferrer nofollow"${newTab ? ' target="_blank"' : ""}${tooltip === undefined ? "" : ` title="${escapeHtml(tooltip)}"`}>${escapeHtml(label)}${newTab ? `<span class="gp-sr"> ${escapeHtml(labels.newTab)}</span>` : ""}</a>`

/**
 * Renders the card as an HTML fragment rooted at `<guildpulse-stats>`. Pure: the same view, options and
 * `context.nowMs` always give the same string.
 */
export const renderWidget = (view: StatsView, options: WidgetOptions = {}, context: RenderContext = {}): string => {
  // Options are typed, but a caller may hand over unvalidated input: literals are checked before printing.
  const locale: Locale = options.locale === "fr" ? "fr" : "en"
  const labels = labelsFor(locale)
  const theme: Theme = options.theme !== undefined && Object.hasOwn(themeBackground, options.theme) ? options.theme : defaultTheme
  const layout = options.layout === "vertical" || options.layout === "compact" ? options.layout : "horizontal"
  const align = options.align === "left" || options.align === "center" || options.align === "right" ? options.align : undefined
  const state = view.freshness.state
  const shown = shownState(view.freshness)
  const id = safeId(context.idPrefix ?? `gp-${view.profile}`)
  const resolved: Resolved = {
    locale,
    labels,
    showIcons: options.showIcons ?? true,
    labelClass: options.showLabels === false ? "gp-sr" : "gp-label",
    // An unavailable view has no numbers worth showing, whatever it carries.
    show: state !== "unavailable"
  }

  // Root: the custom element, with what it needs to poll.
  let html = "<guildpulse-stats"
  const endpoint = safeEndpoint(context.endpoint)
  if (endpoint !== undefined) html += ` data-endpoint="${escapeHtml(endpoint)}"`
  html += ` data-locale="${locale}"`
  if (options.refreshIntervalSeconds !== undefined) html += ` data-interval="${clampInt(options.refreshIntervalSeconds, 10, 3600)}"`
  if (options.animated === false) html += ` data-animated="false"`
  html += ">"

  // Card: one labelled region.
  const name = view.guild.name
  const showTitle = options.showTitle === true
  const title = options.title ?? labels.defaultTitle
  const regionLabel = showTitle ? title : name !== undefined && name !== "" ? `${labels.region}${labels.colon}${name}` : labels.region
  let cardClass = `gp-card gp-theme-${theme} gp-layout-${layout}`
  if (options.className !== undefined && isSafeClassName(options.className)) cardClass += ` ${options.className.trim()}`
  html += `<section class="${cardClass}" id="${id}" lang="${locale}" data-theme="${theme}" data-layout="${layout}" data-state="${shown}"`
  // For the element: when the data stops being live, and what is failing (it derives its state from these).
  const { expiresAt, reasons } = view.freshness
  if (expiresAt !== null) html += ` data-expires="${escapeHtml(expiresAt)}"`
  if (reasons.length > 0) html += ` data-reasons="${escapeHtml(reasons.join(" "))}"`
  if (align !== undefined) html += ` data-align="${align}"`
  html += ` role="region" aria-label="${escapeHtml(regionLabel)}" aria-describedby="${id}-status"`
  const style = styleOf(options, theme)
  if (style !== "") html += ` style="${escapeHtml(style)}"`
  html += ">"

  // Header: avatar, title, server name.
  const showName = (options.showServerName ?? true) && name !== undefined && name !== ""
  const showAvatar = options.showServerAvatar ?? true
  const iconUrl = showAvatar ? safeHttpUrl(view.guild.iconUrl) : undefined
  const initials = showAvatar ? initialsOf(name) : ""
  const avatar = iconUrl !== undefined || initials !== ""
  if (showTitle || showName || avatar) {
    html += `<div class="gp-header">`
    if (avatar) html += avatarOf(iconUrl, initials, snapAvatarSize(options.avatarSize ?? DEFAULT_AVATAR_SIZE), layout === "compact" ? 28 : 48)
    html += `<div class="gp-heading">`
    if (showTitle) html += `<p class="gp-title">${escapeHtml(title)}</p>`
    if (showName) {
      html += `<p class="gp-name" data-gp-field="name">${escapeHtml(name)}</p>`
      const description = view.guild.description
      if (description !== undefined && description !== "" && layout !== "compact") {
        html += `<p class="gp-desc">${escapeHtml(description)}</p>`
      }
    }
    html += `</div></div>`
  }

  html += messageOf(view, labels, locale)

  // Numbers: the one polite live region.
  html += `<ul class="gp-stats" aria-live="polite">`
  const icons = options.icons
  const custom = options.labels
  if (options.showOnline ?? true) {
    html += countStat(resolved, "online", view.counts.online, isApproximate(view, "online"), icon(resolved, icons?.online, defaultIcons.online), custom?.online ?? labels.online)
  }
  if (options.showMembers ?? true) {
    html += countStat(resolved, "members", view.counts.members, isApproximate(view, "members"), icon(resolved, icons?.members, defaultIcons.members), custom?.members ?? labels.members)
  }
  if (options.showPresence === true) html += presenceStat(resolved, view, options)
  if (options.showBoosts === true) html += boostStat(resolved, view, options)
  html += `</ul>`
  if (options.showSparkline === true && resolved.show && context.sparkline !== undefined) html += sparklineSvg(context.sparkline, locale, id)

  // Footer: freshness (always when it is demo or unavailable, so those are never unlabelled), links.
  const showStatus = options.showStatus ?? true
  const status = showStatus || state === "demo" || state === "unavailable" ? stateLine(view, shown, labels, locale, context.nowMs, id) : `<p class="gp-status gp-sr" id="${id}-status"><span class="gp-state">${escapeHtml(labels.states[shown])}</span></p>`
  let actions = ""
  if (options.invite?.show ?? true) {
    const href = safeHttpUrl(options.invite?.url) ?? inviteHref(view.guild.instantInvite)
    if (href !== undefined) actions += link(href, "gp-button gp-invite", options.invite?.label ?? labels.invite, true, labels)
  }
  const cta = options.cta
  if (cta !== undefined) {
    const href = safeHttpUrl(cta.url)
    if (href !== undefined) {
      actions += link(href, cta.style === "outline" ? "gp-button gp-cta gp-button-outline" : "gp-button gp-cta", cta.label, cta.newTab ?? true, labels, cta.tooltip)
    }
  }
  html += `<div class="gp-footer">${status}`
  if (actions !== "") html += `<div class="gp-actions">${actions}</div>`
  html += `</div></section></guildpulse-stats>`
  return html
}
