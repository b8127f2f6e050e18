/**
 * A profile: one Discord server shown by GuildPulse, with its sources, refresh policy, fallback and display
 * defaults. The bot token never lives here — only its metadata; the token is kept by the `SecretVault`.
 */
import { Schema } from "effect"
import { StatsField, UpstreamSource } from "./GuildStats.js"
import { GuildId, InviteCode, ProfileKey } from "./Identifiers.js"
import { WidgetOptions } from "./WidgetOptions.js"

export const DEFAULT_TTL_SECONDS = 300
export const MIN_TTL_SECONDS = 30
export const MAX_TTL_SECONDS = 3600
export const DEFAULT_MAX_STALE_SECONDS = 604_800

export const Sources = Schema.Struct({
  widget: Schema.Boolean,
  bot: Schema.Boolean,
  invite: Schema.Boolean
})
export type Sources = typeof Sources.Type

export const RefreshSettings = Schema.Struct({
  ttlSeconds: Schema.Int.pipe(
    Schema.between(MIN_TTL_SECONDS, MAX_TTL_SECONDS, {
      message: () => `must be an integer between ${MIN_TTL_SECONDS} and ${MAX_TTL_SECONDS}`
    })
  ),
  maxStaleSeconds: Schema.Int.pipe(
    Schema.between(60, 31_536_000, { message: () => "must be an integer between 60 and 31536000" })
  )
})
export type RefreshSettings = typeof RefreshSettings.Type

/**
 * `demo: "never"` (the default): with nothing to show the view is `unavailable`, saying why and when it retries.
 * `"when-empty"`: demo numbers, labelled `demo`, until the first real ones — never for a profile whose every
 * source is misconfigured.
 */
export const FallbackSettings = Schema.Struct({ demo: Schema.Literal("never", "when-empty") })
export type FallbackSettings = typeof FallbackSettings.Type

/** Per-field source priority override; fields not named keep the default order. */
export const FieldPriority = Schema.partial(
  Schema.Record({ key: StatsField, value: Schema.Array(Schema.Literal("widget", "bot", "invite", "profile")) })
)
export type FieldPriority = typeof FieldPriority.Type

export const TokenStatus = Schema.Literal("missing", "valid", "invalid", "expiring", "expired")
export type TokenStatus = typeof TokenStatus.Type

export const TokenMetadata = Schema.Struct({
  present: Schema.Boolean,
  status: TokenStatus,
  rotatedAt: Schema.optional(Schema.String),
  expiresAt: Schema.optional(Schema.String),
  lastValidatedAt: Schema.optional(Schema.String),
  /** Why the token is `invalid` (Discord's refusal, or a token the keyring cannot open); never the token. */
  problem: Schema.optional(Schema.String)
})
export type TokenMetadata = typeof TokenMetadata.Type

/**
 * Characters a label may not carry: C0/C1 controls (NUL, BEL, ESC…), and the bidirectional embeddings,
 * overrides and isolates that reorder the text around them (U+202A–U+202E, U+2066–U+2069) — a label is shown
 * on other people's pages, where an override could make it read as something else. The plain direction
 * marks (U+200E/F, U+061C) stay allowed: mixed right-to-left names need them.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const forbiddenInLabel = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/
const isWellFormed = (text: string): boolean => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text)

/** A profile's display name as a caller supplies it: 1–120 characters, printable, no bidi controls. */
export const ProfileLabel = Schema.String.pipe(
  Schema.minLength(1),
  Schema.maxLength(120),
  Schema.filter((text) => !forbiddenInLabel.test(text), {
    message: () => "must not contain control characters or bidirectional-override characters"
  }),
  Schema.filter(isWellFormed, { message: () => "must be well-formed Unicode (no unpaired surrogates)" })
)

export const Profile = Schema.Struct({
  key: ProfileKey,
  label: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(120)),
  guildId: GuildId,
  inviteCode: Schema.optional(InviteCode),
  sources: Sources,
  refresh: RefreshSettings,
  fallback: FallbackSettings,
  priority: Schema.optional(FieldPriority),
  public: Schema.Boolean,
  display: WidgetOptions,
  token: TokenMetadata,
  version: Schema.Int.pipe(Schema.positive()),
  createdAt: Schema.String,
  updatedAt: Schema.String
})
export type Profile = typeof Profile.Type

/** What a caller supplies to create or replace a profile; everything but key, label and guild id has defaults. */
export const ProfileInput = Schema.Struct({
  key: ProfileKey,
  label: ProfileLabel,
  guildId: GuildId,
  inviteCode: Schema.optional(InviteCode),
  sources: Schema.optional(Schema.partial(Sources)),
  refresh: Schema.optional(Schema.partial(RefreshSettings)),
  fallback: Schema.optional(FallbackSettings),
  priority: Schema.optional(FieldPriority),
  public: Schema.optional(Schema.Boolean),
  display: Schema.optional(WidgetOptions)
})
export type ProfileInput = typeof ProfileInput.Type
export type ProfileInputEncoded = typeof ProfileInput.Encoded

/** A partial update; `inviteCode: null` removes the invite code. */
export const ProfilePatch = Schema.Struct({
  label: Schema.optional(ProfileLabel),
  guildId: Schema.optional(GuildId),
  inviteCode: Schema.optional(Schema.NullOr(InviteCode)),
  sources: Schema.optional(Schema.partial(Sources)),
  refresh: Schema.optional(Schema.partial(RefreshSettings)),
  fallback: Schema.optional(FallbackSettings),
  priority: Schema.optional(FieldPriority),
  public: Schema.optional(Schema.Boolean),
  display: Schema.optional(WidgetOptions)
})
export type ProfilePatch = typeof ProfilePatch.Type

export const defaultSources: Sources = { widget: true, bot: true, invite: true }
export const missingToken: TokenMetadata = { present: false, status: "missing" }

/** Builds a full profile from validated input (pure: timestamps are given). */
export const fromInput = (input: ProfileInput, nowIso: string, token: TokenMetadata = missingToken): Profile => ({
  key: input.key,
  label: input.label,
  guildId: input.guildId,
  ...(input.inviteCode !== undefined ? { inviteCode: input.inviteCode } : {}),
  sources: {
    widget: input.sources?.widget ?? defaultSources.widget,
    bot: input.sources?.bot ?? defaultSources.bot,
    invite: input.sources?.invite ?? defaultSources.invite
  },
  refresh: {
    ttlSeconds: input.refresh?.ttlSeconds ?? DEFAULT_TTL_SECONDS,
    maxStaleSeconds: input.refresh?.maxStaleSeconds ?? DEFAULT_MAX_STALE_SECONDS
  },
  fallback: input.fallback ?? { demo: "never" },
  ...(input.priority !== undefined ? { priority: input.priority } : {}),
  public: input.public ?? true,
  display: input.display ?? {},
  token,
  version: 1,
  createdAt: nowIso,
  updatedAt: nowIso
})

/** Applies a validated patch; bumps the version (pure). */
export const applyPatch = (profile: Profile, patch: ProfilePatch, nowIso: string): Profile => {
  const { inviteCode, ...rest } = profile
  const next: Profile = {
    ...rest,
    ...(patch.label !== undefined ? { label: patch.label } : {}),
    ...(patch.guildId !== undefined ? { guildId: patch.guildId } : {}),
    ...(patch.inviteCode === undefined
      ? inviteCode !== undefined ? { inviteCode } : {}
      : patch.inviteCode === null ? {} : { inviteCode: patch.inviteCode }),
    sources: {
      widget: patch.sources?.widget ?? profile.sources.widget,
      bot: patch.sources?.bot ?? profile.sources.bot,
      invite: patch.sources?.invite ?? profile.sources.invite
    },
    refresh: {
      ttlSeconds: patch.refresh?.ttlSeconds ?? profile.refresh.ttlSeconds,
      maxStaleSeconds: patch.refresh?.maxStaleSeconds ?? profile.refresh.maxStaleSeconds
    },
    fallback: patch.fallback ?? profile.fallback,
    ...(patch.priority !== undefined ? { priority: patch.priority } : profile.priority !== undefined ? { priority: profile.priority } : {}),
    public: patch.public ?? profile.public,
    display: patch.display ?? profile.display,
    version: profile.version + 1,
    updatedAt: nowIso
  }
  return next
}

/** The sources a profile can actually use: enabled, and with an invite code for the invite source. */
export const activeSources = (profile: Profile): ReadonlyArray<UpstreamSource> => {
  const out: Array<UpstreamSource> = []
  if (profile.sources.widget) out.push("widget")
  if (profile.sources.bot) out.push("bot")
  if (profile.sources.invite && profile.inviteCode !== undefined) out.push("invite")
  return out
}

/**
 * The token metadata a caller should see: whether the engine actually holds a token for the profile (however it
 * was supplied — the vault seeded at start, an admin call, an encrypted store) and what the bot's latest round
 * said about it. Stored metadata (rotation, expiry) is kept; `present`, `status` and `lastValidatedAt` follow
 * the token in use:
 * - no token in the vault → `{ present: false, status: "missing" }`;
 * - the bot answered → `valid` (or the stored `expiring`/`expired`), `lastValidatedAt` = that answer;
 * - the bot was refused (401/403) → `invalid` (with the stored `problem`, or Discord's refusal);
 * - not used yet → the stored status, or `valid` when nothing is stored (no `lastValidatedAt`: not yet proven).
 */
export const effectiveToken = (
  stored: TokenMetadata,
  hasToken: boolean,
  botReport: { readonly ok: boolean; readonly atMs: number; readonly error?: string | undefined } | undefined
): TokenMetadata => {
  if (!hasToken) return missingToken
  const { status: _status, present: _present, problem, ...kept } = stored
  if (botReport?.ok === true) {
    return {
      ...kept,
      present: true,
      status: stored.status === "expiring" || stored.status === "expired" ? stored.status : "valid",
      lastValidatedAt: new Date(botReport.atMs).toISOString()
    }
  }
  if (botReport?.error === "unauthorized" || botReport?.error === "forbidden") {
    return { ...kept, present: true, status: "invalid", problem: problem ?? `Discord refused the token (${botReport.error})` }
  }
  const status = stored.status === "missing" ? "valid" : stored.status
  return { ...kept, present: true, status, ...(status === "invalid" && problem !== undefined ? { problem } : {}) }
}
