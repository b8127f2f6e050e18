/**
 * Schemas of the Discord responses the connector reads. Only the fields GuildPulse uses are declared:
 * unknown extra fields are ignored, optional ones may be missing (or `null` where Discord sends null), and a
 * field of the wrong type fails the whole response as a `decode` error — a 200 that cannot be trusted is
 * never turned into numbers.
 */
import { Schema } from "effect"

const OptionalNullableString = Schema.optional(Schema.NullOr(Schema.String))
const Count = Schema.NonNegativeInt

/** A member of the widget's anonymised sample (at most 100 entries; statuses online/idle/dnd). */
export const WidgetMember = Schema.Struct({
  id: Schema.optional(Schema.String),
  username: Schema.optional(Schema.String),
  status: Schema.optional(Schema.String)
})
export type WidgetMember = typeof WidgetMember.Type

/** `GET /guilds/{id}/widget.json`. */
export const Widget = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  instant_invite: OptionalNullableString,
  channels: Schema.optional(
    Schema.Array(Schema.Struct({ id: Schema.String, name: Schema.String, position: Schema.optional(Schema.Number) }))
  ),
  members: Schema.optional(Schema.Array(WidgetMember)),
  presence_count: Count
})
export type Widget = typeof Widget.Type

/** `GET /guilds/{id}?with_counts=true` — the fields of the guild object GuildPulse shows. */
export const Guild = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  icon: OptionalNullableString,
  banner: OptionalNullableString,
  splash: OptionalNullableString,
  description: OptionalNullableString,
  features: Schema.optional(Schema.Array(Schema.String)),
  vanity_url_code: OptionalNullableString,
  /** 0–3 today; a future tier decodes and is clamped to 3 when mapped. */
  premium_tier: Schema.optional(Count),
  premium_subscription_count: Schema.optional(Schema.NullOr(Count)),
  approximate_member_count: Schema.optional(Count),
  approximate_presence_count: Schema.optional(Count),
  widget_enabled: Schema.optional(Schema.Boolean)
})
export type Guild = typeof Guild.Type

/** The partial guild inside an invite. */
export const InviteGuild = Guild.pick(
  "id",
  "name",
  "icon",
  "banner",
  "splash",
  "description",
  "features",
  "vanity_url_code",
  "premium_subscription_count"
)
export type InviteGuild = typeof InviteGuild.Type

/** `GET /invites/{code}?with_counts=true`. GuildPulse only reads guild invites, so `guild` is required. */
export const Invite = Schema.Struct({
  code: Schema.String,
  expires_at: OptionalNullableString,
  guild: InviteGuild,
  approximate_member_count: Schema.optional(Count),
  approximate_presence_count: Schema.optional(Count)
})
export type Invite = typeof Invite.Type

/** `GET /users/@me`. */
export const User = Schema.Struct({
  id: Schema.String,
  username: Schema.String,
  discriminator: Schema.optional(Schema.String),
  global_name: OptionalNullableString,
  avatar: OptionalNullableString,
  bot: Schema.optional(Schema.Boolean)
})
export type User = typeof User.Type

/** Discord's JSON error body `{code, message}` (both optional: proxies answer with HTML or nothing). */
export const ErrorBody = Schema.Struct({
  code: Schema.optional(Schema.Number),
  message: Schema.optional(Schema.String)
})
export type ErrorBody = typeof ErrorBody.Type

/** The body of a 429: `retry_after` in seconds (float). */
export const RateLimitBody = Schema.Struct({
  message: Schema.optional(Schema.String),
  retry_after: Schema.optional(Schema.Number),
  global: Schema.optional(Schema.Boolean),
  code: Schema.optional(Schema.Number)
})
export type RateLimitBody = typeof RateLimitBody.Type
