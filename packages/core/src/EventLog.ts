/**
 * Port: structured events, queryable by profile, type, level and time with a cursor.
 * The memory layer is a ring buffer; production stores use a capped stream.
 */
import { Clock, Context, Effect, Layer, Option } from "effect"
import type { EventInput, EventLevel, EventType, GuildPulseEvent } from "./Event.js"
import type { ProfileKey } from "./Identifiers.js"

export interface EventQuery {
  readonly profile?: ProfileKey | ReadonlyArray<ProfileKey>
  readonly type?: EventType | string
  readonly level?: EventLevel
  readonly sinceMs?: number
  readonly untilMs?: number
  readonly limit?: number
  /** Return events older than this cursor (an event id); pages go from newest to oldest. */
  readonly cursor?: string
}

export interface EventPage {
  readonly events: ReadonlyArray<GuildPulseEvent>
  readonly nextCursor: Option.Option<string>
}

export class EventLog extends Context.Tag("@guildpulse/core/EventLog")<
  EventLog,
  {
    readonly emit: (event: EventInput) => Effect.Effect<void>
    readonly query: (query: EventQuery) => Effect.Effect<EventPage>
  }
>() {}

const levelRank: Record<EventLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 }

/** Pure filter shared by every EventLog implementation. */
export const matches = (event: GuildPulseEvent, query: EventQuery): boolean => {
  if (query.profile !== undefined) {
    const profiles: ReadonlyArray<string> = typeof query.profile === "string" ? [query.profile] : query.profile
    if (event.profile === undefined || !profiles.includes(event.profile)) return false
  }
  if (query.type !== undefined && event.type !== query.type && !event.type.startsWith(`${query.type}.`)) return false
  if (query.level !== undefined && levelRank[event.level] < levelRank[query.level]) return false
  const ts = Date.parse(event.ts)
  if (query.sinceMs !== undefined && ts < query.sinceMs) return false
  if (query.untilMs !== undefined && ts > query.untilMs) return false
  return true
}

export const DEFAULT_EVENT_CAPACITY = 10_000
export const DEFAULT_QUERY_LIMIT = 100
export const MAX_QUERY_LIMIT = 1000

/** In-memory ring buffer of the newest `capacity` events. */
export const makeMemory = (capacity: number = DEFAULT_EVENT_CAPACITY) =>
  Effect.sync(() => {
    // A plain array trimmed in chunks: appends are O(1) amortised, which matters on the refresh path.
    const events: Array<GuildPulseEvent> = []
    let seq = 0
    const emit = (event: EventInput) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        seq += 1
        events.push({ ...event, id: String(seq).padStart(12, "0"), ts: event.ts ?? new Date(now).toISOString() })
        if (events.length > capacity + Math.ceil(capacity / 10)) events.splice(0, events.length - capacity)
      })
    const query = (q: EventQuery) =>
      Effect.sync(() => {
        const limit = Math.min(Math.max(1, q.limit ?? DEFAULT_QUERY_LIMIT), MAX_QUERY_LIMIT)
        const first = Math.max(0, events.length - capacity)
        const out: Array<GuildPulseEvent> = []
        for (let i = events.length - 1; i >= first && out.length <= limit; i--) {
          const event = events[i]!
          if (q.cursor !== undefined && event.id! >= q.cursor) continue
          if (matches(event, q)) out.push(event)
        }
        const hasMore = out.length > limit
        const page = hasMore ? out.slice(0, limit) : out
        return { events: page, nextCursor: hasMore ? Option.some(page[page.length - 1]!.id!) : Option.none<string>() }
      })
    return EventLog.of({ emit, query })
  })

export const layerMemory = (capacity?: number): Layer.Layer<EventLog> => Layer.effect(EventLog, makeMemory(capacity))
