/**
 * What Discord tells us about a guild, field by field, and where each field came from.
 *
 * Internally a guild's numbers are a flat record of fields (`StatsFields`) so that the merge policy can
 * treat every field alike; `GuildStats` is the nested public shape of docs/architecture.md §2.
 */
import { Schema } from "effect"

/** The three Discord sources. */
export const UpstreamSource = Schema.Literal("widget", "bot", "invite")
export type UpstreamSource = typeof UpstreamSource.Type
export const upstreamSources: ReadonlyArray<UpstreamSource> = ["widget", "bot", "invite"]

/** Where a field came from: a Discord source, the demo generator, or the profile's own settings. */
export const SourceName = Schema.Literal("widget", "bot", "invite", "demo", "profile")
export type SourceName = typeof SourceName.Type

/** A presence breakdown of the widget's member list — a capped sample, never a count of the guild. */
export const PresenceSample = Schema.Struct({
  online: Schema.NonNegativeInt,
  idle: Schema.NonNegativeInt,
  dnd: Schema.NonNegativeInt,
  sampleSize: Schema.NonNegativeInt
})
export type PresenceSample = typeof PresenceSample.Type

/** Every field a source may report. Each is optional: sources report what they know. */
export const StatsFields = Schema.Struct({
  name: Schema.optional(Schema.String),
  iconUrl: Schema.optional(Schema.String),
  bannerUrl: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  instantInvite: Schema.optional(Schema.String),
  online: Schema.optional(Schema.NonNegativeInt),
  members: Schema.optional(Schema.NonNegativeInt),
  boosts: Schema.optional(Schema.NonNegativeInt),
  boostTier: Schema.optional(Schema.Int.pipe(Schema.between(0, 3))),
  presence: Schema.optional(PresenceSample)
})
export type StatsFields = typeof StatsFields.Type
export const StatsField = Schema.Literal(
  "name",
  "iconUrl",
  "bannerUrl",
  "description",
  "instantInvite",
  "online",
  "members",
  "boosts",
  "boostTier",
  "presence"
)
export type StatsField = typeof StatsField.Type
export const statsFields: ReadonlyArray<StatsField> = StatsField.literals
/** The fields whose age decides whether a view is fresh or degraded. */
export const headlineFields: ReadonlyArray<StatsField> = ["online", "members"]

/** One source's answer in one refresh round. */
export const SourceStats = Schema.Struct({
  source: UpstreamSource,
  fetchedAtMs: Schema.Number,
  fields: StatsFields,
  /** Set by the demo generator so that demo numbers are labelled `demo`, whatever slot they fill. */
  origin: Schema.optional(Schema.Literal("demo"))
})
export type SourceStats = typeof SourceStats.Type

/** Which source gave a field, and when (epoch milliseconds). */
export const FieldProvenance = Schema.Struct({ source: SourceName, fetchedAtMs: Schema.Number })
export type FieldProvenance = typeof FieldProvenance.Type

export const Provenance = Schema.partial(Schema.Record({ key: Schema.String, value: FieldProvenance }))
/** Provenance per field; a field absent from `StatsFields` has no provenance. */
export type Provenance = { readonly [K in StatsField]?: FieldProvenance }

/** The nested public shape of a guild's numbers (docs/architecture.md §2). */
export const GuildStats = Schema.Struct({
  guild: Schema.Struct({
    id: Schema.String,
    name: Schema.optional(Schema.String),
    iconUrl: Schema.optional(Schema.String),
    bannerUrl: Schema.optional(Schema.String),
    description: Schema.optional(Schema.String),
    instantInvite: Schema.optional(Schema.String)
  }),
  counts: Schema.Struct({
    online: Schema.optional(Schema.NonNegativeInt),
    members: Schema.optional(Schema.NonNegativeInt),
    boosts: Schema.optional(Schema.NonNegativeInt),
    boostTier: Schema.optional(Schema.Int)
  }),
  presence: Schema.optional(PresenceSample)
})
export type GuildStats = typeof GuildStats.Type

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** Builds the nested `GuildStats` from flat fields, omitting what is absent. */
export const toGuildStats = (guildId: string, fields: StatsFields): GuildStats => {
  const guild: Mutable<GuildStats["guild"]> = { id: guildId }
  if (fields.name !== undefined) guild.name = fields.name
  if (fields.iconUrl !== undefined) guild.iconUrl = fields.iconUrl
  if (fields.bannerUrl !== undefined) guild.bannerUrl = fields.bannerUrl
  if (fields.description !== undefined) guild.description = fields.description
  if (fields.instantInvite !== undefined) guild.instantInvite = fields.instantInvite
  const counts: Mutable<GuildStats["counts"]> = {}
  if (fields.online !== undefined) counts.online = fields.online
  if (fields.members !== undefined) counts.members = fields.members
  if (fields.boosts !== undefined) counts.boosts = fields.boosts
  if (fields.boostTier !== undefined) counts.boostTier = fields.boostTier
  return fields.presence !== undefined ? { guild, counts, presence: fields.presence } : { guild, counts }
}

/** True when the fields hold at least one headline number. */
export const hasHeadline = (fields: StatsFields): boolean =>
  fields.online !== undefined || fields.members !== undefined
