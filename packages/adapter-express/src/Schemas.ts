/**
 * The HTTP shapes of the API, as effect Schemas: the engine's own schemas (named for the OpenAPI components)
 * plus the adapter's envelopes and query parameters. Query schemas decode the wire form (strings); their
 * type side documents them.
 */
import { EventLevel, EventType, GuildPulseEvent, Profile, ProfileInput, ProfileKey, ProfilePatch, StatsView } from "@guildpulse/core"
import { Schema } from "effect"

export const StatsViewBody = StatsView.annotations({ identifier: "StatsView", description: "A profile's numbers with provenance and freshness" })
export const ProfileBody = Profile.annotations({ identifier: "Profile", description: "A profile (the bot token itself is never returned, only its metadata)" })

/** PUT body: a profile input whose `key` may be omitted (it is taken from the path). */
export const ProfilePutBody = Schema.Struct({ ...ProfileInput.fields, key: Schema.optional(ProfileKey) }).annotations({
  identifier: "ProfileInput",
  description: "A profile to create or replace; everything but label and guildId has defaults"
})
export const ProfilePatchBody = ProfilePatch.annotations({
  identifier: "ProfilePatch",
  description: "Fields to change; absent fields are kept, inviteCode: null removes the invite code"
})

export const ProfileList = Schema.Struct({ profiles: Schema.Array(ProfileBody) }).annotations({ identifier: "ProfileList" })

export const EventBody = GuildPulseEvent.annotations({ identifier: "Event" })
export const EventPage = Schema.Struct({
  events: Schema.Array(EventBody),
  nextCursor: Schema.NullOr(Schema.String).annotations({ description: "Pass as `cursor` for the next (older) page; null at the end" })
}).annotations({ identifier: "EventPage" })

export const RefreshAccepted = Schema.Struct({
  profile: Schema.String,
  nextAttemptAt: Schema.String.annotations({ description: "When the refresh is expected to run (ISO 8601)" })
}).annotations({ identifier: "RefreshAccepted" })

export const Health = Schema.Struct({ status: Schema.Literal("ok") }).annotations({ identifier: "Health" })
export const Ready = Schema.Struct({
  status: Schema.Literal("ready"),
  scheduler: Schema.Struct({ running: Schema.Boolean, queueDepth: Schema.Number, deadLetters: Schema.Number })
}).annotations({ identifier: "Ready" })

/** A boolean query flag: `1`, `true`, `0`, `false` (or empty for true). */
export const Flag = Schema.Literal("1", "0", "true", "false", "").annotations({
  description: "1/true or 0/false"
})
export const parseFlag = (value: unknown): boolean | undefined => {
  switch (value) {
    case "1":
    case "true":
    case "":
      return true
    case "0":
    case "false":
      return false
    default:
      return undefined
  }
}

const isoDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/
/** A point in time: ISO 8601 date-time with offset, or epoch milliseconds. */
export const Timestamp = Schema.String.pipe(
  Schema.filter((s) => (isoDateTime.test(s) && !Number.isNaN(Date.parse(s))) || /^\d{1,15}$/.test(s), {
    message: () => "must be an ISO 8601 date-time with offset (2026-01-31T12:00:00Z) or epoch milliseconds"
  })
).annotations({ jsonSchema: { type: "string", format: "date-time" } })
export const timestampMs = (s: string): number => (/^\d+$/.test(s) ? Number(s) : Date.parse(s))

const typeFamilies = [...new Set(EventType.literals.map((t) => t.split(".")[0]!))]
const typeFilters: ReadonlyArray<string> = [...EventType.literals, ...typeFamilies]
/** An event type (`refresh.failed`) or a family of types (`refresh`). */
export const EventTypeFilter = Schema.String.pipe(
  Schema.filter((s) => typeFilters.includes(s), {
    message: () => `must be an event type (e.g. refresh.failed) or a family (${typeFamilies.join(", ")})`,
    jsonSchema: { enum: typeFilters }
  })
)

export const Limit = Schema.NumberFromString.pipe(
  Schema.int({ message: () => "must be an integer" }),
  Schema.between(1, 1000, { message: () => "must be an integer between 1 and 1000" })
)
export const Cursor = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9._:-]{1,64}$/, { message: () => "must be a cursor returned as nextCursor" })
)

export const eventQueryParams = {
  profile: { schema: ProfileKey, description: "Only events of this profile" },
  type: { schema: EventTypeFilter, description: "An event type, or a family such as `refresh`" },
  level: { schema: EventLevel, description: "Minimum level" },
  since: { schema: Timestamp, description: "Events at or after this time" },
  until: { schema: Timestamp, description: "Events at or before this time" },
  limit: { schema: Limit, description: "Page size (default 100, at most 1000)" },
  cursor: { schema: Cursor, description: "`nextCursor` of the previous page" }
} as const

export const EventsQuery = Schema.Struct({
  profile: Schema.optional(ProfileKey),
  type: Schema.optional(EventTypeFilter),
  level: Schema.optional(EventLevel),
  since: Schema.optional(Timestamp),
  until: Schema.optional(Timestamp),
  limit: Schema.optional(Limit),
  cursor: Schema.optional(Cursor)
})
export type EventsQuery = typeof EventsQuery.Type
