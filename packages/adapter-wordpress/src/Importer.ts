/**
 * The legacy plugin's stored settings (the `discord_server_stats_options` option, as
 * `wp option get discord_server_stats_options --format=json` prints it) turned into GuildPulse profiles and
 * display defaults.
 *
 * Pure: the plan says what to create; `guildpulse import-wp`, the service's import route and the WordPress
 * plugin apply it through the profiles API. Bot tokens are encrypted with the old site's salts and cannot be
 * read anywhere else: they are never copied, and the plan lists the profiles whose token must be set again.
 */
import { GuildId, InviteCode, MAX_TTL_SECONDS, MIN_TTL_SECONDS, type ProfileInputEncoded, type WidgetOptions } from "@guildpulse/core"
import { fromLegacyAttributes } from "@guildpulse/widget"
import { Either, Schema } from "effect"

/** The profile key the legacy plugin's main server (`server_id` at the top level) becomes. */
export const MAIN_PROFILE_KEY = "default"

export interface ImportedProfile {
  readonly input: ProfileInputEncoded
  /** The legacy profile had a bot token: set it again (`guildpulse tokens set <key>`). */
  readonly needsToken: boolean
  /** Where it came from: `main` (top-level `server_id`) or `server_profiles.<legacy key>`. */
  readonly from: string
}

export interface ImportPlan {
  readonly profiles: ReadonlyArray<ImportedProfile>
  /** Display defaults given to every imported profile. */
  readonly display: WidgetOptions
  /** Keys of the profiles whose token must be set again. */
  readonly needsToken: ReadonlyArray<string>
  /** Legacy profiles that could not be imported, and why. */
  readonly skipped: ReadonlyArray<{ readonly from: string; readonly reason: string }>
  /** Settings carried over differently, or not at all, and why. */
  readonly warnings: ReadonlyArray<string>
}

export class ImportError extends Error {
  readonly _tag = "ImportError"
  constructor(readonly reason: string) {
    super(reason)
  }
}

/** Legacy option name → the shortcode attribute it is the site-wide default of. */
const DISPLAY_OPTIONS: Readonly<Record<string, string>> = {
  show_online: "show_online",
  show_total: "show_total",
  show_presence_breakdown: "show_presence_breakdown",
  show_approximate_member_count: "show_approximate_member_count",
  show_premium_subscriptions: "show_premium_subscriptions",
  show_server_name: "show_server_name",
  show_server_avatar: "show_server_avatar",
  default_theme: "theme",
  stat_bg_color: "stat_bg_color",
  stat_text_color: "stat_text_color",
  accent_color: "accent_color",
  accent_color_alt: "accent_color_alt",
  accent_text_color: "accent_text_color",
  invite_url: "invite_url",
  invite_label: "invite_label",
  default_refresh_interval: "refresh_interval"
}

/** Options with no GuildPulse counterpart in a profile, and where their job is done now. */
const NOT_IMPORTED: Readonly<Record<string, string>> = {
  custom_css: "custom CSS is not imported: add it to the theme (the card's classes are documented in the widget README)",
  analytics_retention_days: "analytics retention is a GuildPulse server setting",
  analytics_alerts_enabled: "alerts are configured on the GuildPulse server (alert rules and channels)",
  analytics_alert_drop_percent: "alerts are configured on the GuildPulse server (alert rules and channels)",
  analytics_alert_cooldown: "alerts are configured on the GuildPulse server (alert rules and channels)",
  analytics_alert_recipients: "alerts are configured on the GuildPulse server (alert rules and channels)",
  analytics_alert_webhook: "alerts are configured on the GuildPulse server (alert rules and channels)",
  widget_title: "the classic widget's heading is set in the widget itself (Appearance → Widgets)",
  default_refresh_enabled: "live refresh is on for a card whose shortcode or block sets refresh=true (or the plugin's default)"
}

/** Handled elsewhere in this module (not display options, not warnings). */
const HANDLED = new Set(["server_id", "bot_token", "demo_mode", "cache_duration", "server_profiles"])

const isGuildId = Schema.is(GuildId)
const decodeInvite = Schema.decodeUnknownEither(InviteCode)

/** The legacy plugin's profile-key rule: lower case, whitespace → `_`, only `[a-z0-9_-]`. */
export const legacyProfileKey = (raw: string): string =>
  raw
    .trim()
    .toLowerCase()
    .replace(/\s+/g, "_")
    .replace(/[^a-z0-9_-]/g, "")
    .replace(/^[_-]+/, "")
    .slice(0, 64)

const text = (value: unknown): string | undefined =>
  typeof value === "string" ? value.trim() : typeof value === "number" ? String(value) : undefined

const truthy = (value: unknown): boolean =>
  value === true || value === 1 || (typeof value === "string" && ["1", "true", "yes", "on"].includes(value.trim().toLowerCase()))

const hasToken = (value: unknown): boolean => typeof value === "string" && value.trim() !== ""

/** A label GuildPulse accepts: printable, 1–120 characters. */
const cleanLabel = (raw: string | undefined, fallback: string): string => {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const cleaned = (raw ?? "").replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, "").trim().slice(0, 120)
  return cleaned === "" ? fallback : cleaned
}

/** Reads the legacy option JSON (text or parsed) into an import plan. */
export const planImport = (json: unknown, options: { readonly mainLabel?: string } = {}): Either.Either<ImportPlan, ImportError> => {
  let value = json
  if (typeof json === "string") {
    try {
      value = JSON.parse(json)
    } catch (error) {
      return Either.left(new ImportError(`not JSON: ${error instanceof Error ? error.message : String(error)}`))
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return Either.left(new ImportError("expected the JSON object of the discord_server_stats_options option"))
  }
  const legacy = value as Record<string, unknown>
  const warnings: Array<string> = []
  const skipped: Array<{ from: string; reason: string }> = []

  // Display defaults, through the same mapping as the shortcode's attributes.
  const attributes: Record<string, string | boolean | number> = {}
  for (const [name, raw] of Object.entries(legacy)) {
    if (raw === null || raw === undefined) continue
    const target = Object.hasOwn(DISPLAY_OPTIONS, name)
      ? DISPLAY_OPTIONS[name]
      : name.startsWith("default_icon_")
      ? `icon_${name.slice("default_icon_".length)}`
      : name.startsWith("default_label_")
      ? `label_${name.slice("default_label_".length)}`
      : undefined
    if (target !== undefined) {
      if (typeof raw === "string" || typeof raw === "boolean" || typeof raw === "number") attributes[target] = raw
      else warnings.push(`${name}: ignored, expected text, a number or a boolean`)
      continue
    }
    const reason = Object.hasOwn(NOT_IMPORTED, name) ? NOT_IMPORTED[name] : undefined
    if (reason !== undefined) {
      if (raw !== "" && raw !== false && raw !== 0) warnings.push(`${name}: ${reason}`)
      continue
    }
    if (HANDLED.has(name) || name.startsWith("bot_token")) continue
    warnings.push(`${name}: unknown option, not imported`)
  }
  const mapped = fromLegacyAttributes(attributes)
  for (const warning of mapped.warnings) warnings.push(`display: ${warning}`)
  // The invite link shows as the card's button only when the profile says so; legacy sites showed it when set.
  const display: WidgetOptions =
    mapped.options.invite?.url !== undefined ? { ...mapped.options, invite: { ...mapped.options.invite, show: true } } : mapped.options

  const inviteRaw = text(legacy["invite_url"])
  const invite = inviteRaw !== undefined && inviteRaw !== "" ? decodeInvite(inviteRaw) : undefined
  const inviteCode = invite !== undefined && Either.isRight(invite) ? (invite.right as string) : undefined
  if (inviteRaw !== undefined && inviteRaw !== "" && inviteCode === undefined) {
    warnings.push("invite_url: not a Discord invite link, so the invite source (member counts without a bot) stays off")
  }

  const cache = Number(text(legacy["cache_duration"]) ?? "")
  const ttlSeconds = Number.isFinite(cache) && cache > 0 ? Math.min(MAX_TTL_SECONDS, Math.max(MIN_TTL_SECONDS, Math.round(cache))) : undefined
  if (legacy["cache_duration"] !== undefined && ttlSeconds === undefined) warnings.push("cache_duration: not a number of seconds, the default ttl (300 s) applies")
  const demo = truthy(legacy["demo_mode"])

  const profiles: Array<ImportedProfile> = []
  const used = new Set<string>()
  const add = (from: string, keyRaw: string, labelRaw: string | undefined, guildRaw: unknown, token: boolean, ownInvite: string | undefined) => {
    const guildId = text(guildRaw) ?? ""
    if (!isGuildId(guildId)) {
      skipped.push({ from, reason: guildId === "" ? "no server id" : "the server id is not a Discord snowflake (17-20 digits)" })
      return
    }
    let key = legacyProfileKey(keyRaw)
    if (key === "") key = `server-${guildId}`
    for (let n = 2; used.has(key); n++) key = `${legacyProfileKey(keyRaw).slice(0, 60) || "server"}-${n}`
    used.add(key)
    const code = ownInvite ?? inviteCode
    const input: ProfileInputEncoded = {
      key,
      label: cleanLabel(labelRaw, `Discord server ${guildId}`),
      guildId,
      ...(code !== undefined ? { inviteCode: code } : {}),
      // Without a bot token the old site used Discord's public widget only: so does the new profile until one is set.
      sources: { widget: true, bot: token, invite: code !== undefined },
      ...(ttlSeconds !== undefined ? { refresh: { ttlSeconds } } : {}),
      fallback: { demo: demo ? "when-empty" : "never" },
      display
    }
    profiles.push({ input, needsToken: token, from })
  }

  const mainGuild = text(legacy["server_id"])
  if (mainGuild !== undefined && mainGuild !== "") {
    add("main", MAIN_PROFILE_KEY, options.mainLabel, mainGuild, hasToken(legacy["bot_token"]), undefined)
  }
  const serverProfiles = legacy["server_profiles"]
  if (serverProfiles !== undefined && serverProfiles !== null && serverProfiles !== "") {
    if (typeof serverProfiles !== "object") warnings.push("server_profiles: ignored, expected an object of profiles")
    else {
      const entries = Array.isArray(serverProfiles) ? serverProfiles.map((p, i) => [String(i), p] as const) : Object.entries(serverProfiles)
      for (const [legacyKey, raw] of entries) {
        const from = `server_profiles.${legacyKey}`
        if (typeof raw !== "object" || raw === null) {
          skipped.push({ from, reason: "not an object" })
          continue
        }
        const p = raw as Record<string, unknown>
        const ownInviteRaw = text(p["invite_url"])
        const ownInvite = ownInviteRaw !== undefined && ownInviteRaw !== "" ? decodeInvite(ownInviteRaw) : undefined
        add(
          from,
          text(p["key"]) || legacyKey,
          text(p["label"]),
          p["server_id"],
          hasToken(p["bot_token"]),
          ownInvite !== undefined && Either.isRight(ownInvite) ? (ownInvite.right as string) : undefined
        )
      }
    }
  }
  if (profiles.length === 0 && skipped.length === 0) warnings.push("no server_id and no server_profiles: nothing to import")
  return Either.right({
    profiles,
    display,
    needsToken: profiles.filter((p) => p.needsToken).map((p) => p.input.key),
    skipped,
    warnings
  })
}
