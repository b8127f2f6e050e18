/**
 * Query-string overrides for `GET /v1/profiles/{profile}/widget` and `…/badge.svg`.
 *
 * Parameters are flat (`?theme=dark&layout=vertical&showMembers=false&locale=fr&accent=%235865F2`); each maps
 * onto one option. Unknown parameters are refused, except the pass-through list (`profile`), so a typo is an
 * error naming the parameter rather than a silently ignored setting. Every `ValidationError` issue's `field`
 * is the query parameter's name.
 *
 * Links (invite URL, call-to-action) are deliberately not settable from the query string: anyone can craft a
 * URL to a public widget, and it must not be able to point the card's buttons elsewhere. They come from the
 * profile's display defaults.
 */
import { ValidationError, Validation, WidgetOptions } from "@guildpulse/core"
import type { ValidationIssue } from "@guildpulse/core"
import { Either } from "effect"
import { BadgeOptions } from "./Badge.js"
import { fromLegacyAttributes, legacyThemeMap } from "./Legacy.js"
import { legacyAttributes, legacyQueryIgnored } from "./LegacySchema.js"

/**
 * A parsed query string, as Express (`req.query`) or `Object.fromEntries(searchParams)` give it. Values other
 * than one string (repeated or nested parameters) are refused.
 */
export type QueryInput = Readonly<Record<string, unknown>>

/** Parameters accepted and ignored (they select data, not display). */
export const QUERY_PASSTHROUGH: ReadonlyArray<string> = ["profile"]

type Kind = "string" | "boolean" | "integer" | "color"

/** One query parameter: how its text is read, and where its value goes in the options object. */
export interface QueryParam {
  readonly kind: Kind
  /** Where the value goes in the options object. */
  readonly path: ReadonlyArray<string>
}

const p = (kind: Kind, ...path: ReadonlyArray<string>): QueryParam => ({ kind, path })

/** Every parameter of the widget route, with the option it sets. */
export const widgetQueryParams: Readonly<Record<string, QueryParam>> = {
  theme: p("string", "theme"),
  layout: p("string", "layout"),
  locale: p("string", "locale"),
  align: p("string", "align"),
  width: p("string", "width"),
  className: p("string", "className"),
  showOnline: p("boolean", "showOnline"),
  showMembers: p("boolean", "showMembers"),
  showPresence: p("boolean", "showPresence"),
  showBoosts: p("boolean", "showBoosts"),
  showTitle: p("boolean", "showTitle"),
  title: p("string", "title"),
  showServerName: p("boolean", "showServerName"),
  showServerAvatar: p("boolean", "showServerAvatar"),
  avatarSize: p("integer", "avatarSize"),
  showIcons: p("boolean", "showIcons"),
  showLabels: p("boolean", "showLabels"),
  showStatus: p("boolean", "showStatus"),
  showSparkline: p("boolean", "showSparkline"),
  animated: p("boolean", "animated"),
  iconOnline: p("string", "icons", "online"),
  iconMembers: p("string", "icons", "members"),
  iconPresence: p("string", "icons", "presence"),
  iconBoosts: p("string", "icons", "boosts"),
  labelOnline: p("string", "labels", "online"),
  labelMembers: p("string", "labels", "members"),
  labelPresence: p("string", "labels", "presence"),
  labelBoosts: p("string", "labels", "boosts"),
  labelIdle: p("string", "labels", "idle"),
  labelDnd: p("string", "labels", "dnd"),
  background: p("color", "colors", "background"),
  text: p("color", "colors", "text"),
  accent: p("color", "colors", "accent"),
  accentAlt: p("color", "colors", "accentAlt"),
  accentText: p("color", "colors", "accentText"),
  borderRadiusPx: p("integer", "borderRadiusPx"),
  gapPx: p("integer", "gapPx"),
  paddingPx: p("integer", "paddingPx"),
  showInvite: p("boolean", "invite", "show"),
  inviteLabel: p("string", "invite", "label"),
  refreshIntervalSeconds: p("integer", "refreshIntervalSeconds")
}

/** Every parameter of the badge route. */
export const badgeQueryParams: Readonly<Record<string, QueryParam>> = {
  label: p("string", "label"),
  color: p("string", "color"),
  labelColor: p("string", "labelColor"),
  style: p("string", "style"),
  showOnline: p("boolean", "showOnline"),
  showMembers: p("boolean", "showMembers"),
  locale: p("string", "locale")
}

const BARE_HEX = /^[0-9a-fA-F]{3,8}$/

const coerce = (kind: Kind, raw: string): Either.Either<unknown, string> => {
  switch (kind) {
    case "boolean":
      if (raw === "true" || raw === "1") return Either.right(true)
      if (raw === "false" || raw === "0") return Either.right(false)
      return Either.left("must be true, false, 1 or 0")
    case "integer":
      return /^-?\d{1,6}$/.test(raw) ? Either.right(Number(raw)) : Either.left("must be a whole number")
    case "color":
      // `#` must be URL-encoded (%23); a bare hex value is accepted too.
      return Either.right(BARE_HEX.test(raw) ? `#${raw}` : raw)
    case "string":
      return Either.right(raw)
  }
}

const setPath = (target: Record<string, unknown>, path: ReadonlyArray<string>, value: unknown): void => {
  let node = target
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] ?? ""
    const next = node[key]
    if (typeof next === "object" && next !== null) node = next as Record<string, unknown>
    else {
      const created: Record<string, unknown> = {}
      node[key] = created
      node = created
    }
  }
  node[path[path.length - 1] ?? ""] = value
}

const parseQuery = <A>(
  params: Readonly<Record<string, QueryParam>>,
  decode: (input: unknown) => Either.Either<A, ValidationError>,
  query: QueryInput
): Either.Either<A, ValidationError> => {
  const issues: Array<ValidationIssue> = []
  const input: Record<string, unknown> = {}
  const byPath = new Map<string, string>()
  for (const name of Object.keys(query)) {
    const raw = query[name]
    if (raw === undefined) continue
    const param = Object.hasOwn(params, name) ? params[name] : undefined
    if (param === undefined) {
      if (!QUERY_PASSTHROUGH.includes(name)) {
        issues.push({ field: name, message: `unknown parameter; accepted: ${Object.keys(params).join(", ")}` })
      }
      continue
    }
    if (typeof raw !== "string") {
      issues.push({ field: name, message: Array.isArray(raw) ? "must be given once" : "must be a single value" })
      continue
    }
    const value = coerce(param.kind, raw)
    if (Either.isLeft(value)) {
      issues.push({ field: name, message: value.left })
      continue
    }
    setPath(input, param.path, value.right)
    byPath.set(param.path.join("."), name)
  }
  if (issues.length > 0) return Either.left(new ValidationError({ issues }))
  return Either.mapLeft(decode(input), (error) =>
    new ValidationError({
      issues: readable(error.issues.map((issue) => ({ field: paramFor(issue.field, byPath), message: issue.message })))
    })
  )
}

/** One issue per parameter (core's validation already folds union alternatives into one message). */
const readable = (issues: ReadonlyArray<ValidationIssue>): ReadonlyArray<ValidationIssue> => {
  const byField = new Map<string, Array<string>>()
  for (const issue of issues) {
    const messages = byField.get(issue.field) ?? []
    if (!messages.includes(issue.message)) messages.push(issue.message)
    byField.set(issue.field, messages)
  }
  return [...byField].map(([field, messages]) => ({ field, message: messages.join("; ") }))
}

/** The query parameter behind a decoded path (`colors.accent` → `accent`). */
const paramFor = (path: string, byPath: ReadonlyMap<string, string>): string => {
  for (let end = path.length; end > 0; end = path.lastIndexOf(".", end - 1)) {
    const name = byPath.get(path.slice(0, end))
    if (name !== undefined) return name
  }
  return path
}

const decodeWidgetOptions = Validation.decodeEither(WidgetOptions)
const decodeBadgeOptions = Validation.decodeEither(BadgeOptions)

/** Whether `name` is a legacy plugin attribute the widget route accepts (`show_online`, `stat_bg_color`, …). */
export const isLegacyQueryName = (name: string): boolean =>
  !Object.hasOwn(widgetQueryParams, name) && (Object.hasOwn(legacyAttributes, name) || name.startsWith("bot_token"))

/**
 * Names both vocabularies share (`theme`, `layout`, `animated`…) are parsed as GuildPulse parameters; the
 * values only the legacy plugin knew are translated first (`theme=radix` → the nearest theme, `yes`/`on`).
 */
const legacyValue = (name: string, raw: string): string => {
  const lowered = raw.trim().toLowerCase()
  if (name === "theme") return Object.hasOwn(legacyThemeMap, lowered) ? (legacyThemeMap[lowered] ?? raw) : lowered
  if (name === "layout" || name === "align") return lowered
  if (name === "animated") return ["yes", "on"].includes(lowered) ? "true" : ["no", "off"].includes(lowered) ? "false" : lowered
  return raw
}

/** One level deep: a query's `labels`/`colors`/`icons` add to the legacy attributes' ones. */
const mergeOneLevel = (base: WidgetOptions, over: WidgetOptions): WidgetOptions => {
  const out: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(over)) {
    const prior = out[key]
    out[key] = typeof value === "object" && value !== null && typeof prior === "object" && prior !== null ? { ...prior, ...value } : value
  }
  return out as WidgetOptions
}

/**
 * Parses the widget route's query string into `WidgetOptions` overrides (Right), or names the bad parameters.
 *
 * The legacy plugin's attribute names are accepted too (`show_online=false&stat_bg_color=%23202225`), mapped
 * by `fromLegacyAttributes`: sizes are clamped to their range, a value that cannot be read (a bad colour, an
 * unknown layout) is a 400 naming the attribute. Legacy data-selection attributes, unsupported features,
 * links and `bot_token*` are accepted and ignored (`legacyQueryIgnored`); a GuildPulse parameter wins over a
 * legacy attribute setting the same option.
 */
export const parseWidgetQuery = (query: QueryInput): Either.Either<WidgetOptions, ValidationError> => {
  const native: Record<string, unknown> = {}
  const legacy: Record<string, string> = {}
  const issues: Array<ValidationIssue> = []
  for (const name of Object.keys(query)) {
    const raw = query[name]
    if (raw === undefined) continue
    if (!isLegacyQueryName(name)) {
      native[name] = typeof raw === "string" && Object.hasOwn(widgetQueryParams, name) ? legacyValue(name, raw) : raw
      continue
    }
    if (typeof raw !== "string") {
      issues.push({ field: name, message: Array.isArray(raw) ? "must be given once" : "must be a single value" })
      continue
    }
    if (legacyQueryIgnored.has(name) || name.startsWith("bot_token")) continue
    legacy[name] = raw
  }
  const mapped = fromLegacyAttributes(legacy)
  issues.push(...mapped.invalid)
  const parsed = parseQuery(widgetQueryParams, decodeWidgetOptions, native)
  if (Either.isLeft(parsed)) issues.push(...parsed.left.issues)
  if (issues.length > 0) return Either.left(new ValidationError({ issues }))
  return Either.right(mergeOneLevel(mapped.options, Either.getOrThrow(parsed)))
}

/** Parses the badge route's query string into `BadgeOptions` (Right), or names the bad parameters. */
export const parseBadgeQuery = (query: QueryInput): Either.Either<BadgeOptions, ValidationError> =>
  parseQuery(badgeQueryParams, decodeBadgeOptions, query)
