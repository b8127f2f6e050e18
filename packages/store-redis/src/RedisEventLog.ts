/**
 * `EventLog` on Redis Streams: every event goes into a capped global stream (`<prefix>events`,
 * `XADD MAXLEN ~ capacity`) and, when it names a profile, into that profile's capped stream
 * (`<prefix>events:profile:<profile>`) under the same id, so a profile-scoped query reads only that profile's
 * events. The cursor is the stream id; pages go from newest to oldest with `XREVRANGE` and core's `matches`.
 *
 * `emit` never fails: while Redis is unreachable events wait in a bounded in-process buffer (oldest dropped
 * first, and counted) and are written in order on reconnection, keeping their original `ts`. Queries during
 * the outage are answered from an in-process ring of this instance's recent events.
 */
import { Clock, Context, Effect, Either, Layer, Option, Schema, Scope } from "effect"
import { EventLog, GuildPulseEvent } from "@guildpulse/core"
import type { EventInput } from "@guildpulse/core"
import { jsonCodec } from "./internal/codec.js"
import * as Lua from "./internal/lua.js"
import { evalScript, RedisConnection } from "./RedisConnection.js"

const STORE = "events"

export interface RedisEventLogOptions {
  /** Approximate length of the global stream (default core's 10,000). */
  readonly capacity?: number
  /** Approximate length of each profile's stream (default 2,000). */
  readonly profileCapacity?: number
  /** A profile's stream expires after this long without events (default 30 days). */
  readonly profileStreamTtlMs?: number
  /** Events kept in process while Redis is unreachable (default 10,000; the oldest are dropped first). */
  readonly bufferCapacity?: number
  /** Recent events of this instance, to answer queries during an outage (default 1,000). */
  readonly localCapacity?: number
}

export const DEFAULT_PROFILE_CAPACITY = 2000
export const DEFAULT_PROFILE_STREAM_TTL_MS = 30 * 86_400_000
export const DEFAULT_BUFFER_CAPACITY = 10_000
export const DEFAULT_LOCAL_CAPACITY = 1000
/** Clock skew allowed between instances and Redis when a time bound stops a scan early. */
const SCAN_SKEW_MS = 5000

const codec = jsonCodec(GuildPulseEvent, STORE)
const StreamReply = Schema.Array(Schema.Tuple(Schema.String, Schema.Array(Schema.String)))
const decodeStreamReply = Schema.decodeUnknownEither(StreamReply)

/** Orders stream ids (`<ms>-<seq>`) numerically. */
export const compareIds = (a: string, b: string): number => {
  const [ams = "0", aseq = "0"] = a.split("-")
  const [bms = "0", bseq = "0"] = b.split("-")
  const byMs = Number(ams) - Number(bms)
  return byMs !== 0 ? byMs : Number(aseq) - Number(bseq)
}

const idTimeMs = (id: string): number => Number(id.split("-")[0])
const validCursor = /^\d{1,20}-\d{1,20}$/

export const make = (
  options: RedisEventLogOptions = {}
): Effect.Effect<Context.Tag.Service<EventLog.EventLog>, never, RedisConnection | Scope.Scope> =>
  Effect.gen(function* () {
    const connection = yield* RedisConnection
    const { keys } = connection
    const capacity = options.capacity ?? EventLog.DEFAULT_EVENT_CAPACITY
    const profileCapacity = options.profileCapacity ?? DEFAULT_PROFILE_CAPACITY
    const profileTtlMs = options.profileStreamTtlMs ?? DEFAULT_PROFILE_STREAM_TTL_MS
    const bufferCapacity = options.bufferCapacity ?? DEFAULT_BUFFER_CAPACITY
    const local = yield* EventLog.makeMemory(options.localCapacity ?? DEFAULT_LOCAL_CAPACITY)
    /** Encoded events waiting for Redis, oldest first. */
    const buffer: Array<{ readonly json: string; readonly profile: string | undefined }> = []
    let dropped = 0

    const add = (json: string, profile: string | undefined, direct: boolean) => {
      const run = direct ? connection.runDirect : connection.run
      return run(STORE, (client) =>
        evalScript(
          client,
          Lua.eventAdd,
          [keys.events, profile === undefined ? keys.events : keys.profileEvents(profile)],
          [json, capacity, profileCapacity, profile === undefined ? "0" : "1", profileTtlMs]
        )
      )
    }

    const enqueue = (json: string, profile: string | undefined) => {
      buffer.push({ json, profile })
      if (buffer.length > bufferCapacity) {
        buffer.shift()
        dropped += 1
      }
    }

    const emit = (input: EventInput): Effect.Effect<void> =>
      Effect.gen(function* () {
        const ts = input.ts ?? new Date(yield* Clock.currentTimeMillis).toISOString()
        const event: GuildPulseEvent = { ...input, ts }
        yield* local.emit(event)
        const json = codec.encode(event)
        if (Either.isLeft(json)) return yield* Effect.logWarning(`event not recorded: ${json.left.message}`)
        // Keep the order: while older events wait, newer ones queue behind them.
        if (buffer.length > 0) return enqueue(json.right, event.profile)
        yield* add(json.right, event.profile, false).pipe(
          Effect.catchAll(() => Effect.sync(() => enqueue(json.right, event.profile)))
        )
      })

    yield* connection.onReconnect(() =>
      Effect.gen(function* () {
        while (buffer.length > 0) {
          const next = buffer[0]!
          yield* add(next.json, next.profile, true)
          buffer.shift()
        }
        if (dropped > 0) {
          const lost = dropped
          dropped = 0
          const json = codec.encode({
            ts: new Date(yield* Clock.currentTimeMillis).toISOString(),
            level: "warn",
            type: "store.state",
            source: "redis",
            outcome: "events_dropped",
            message: `${lost} events emitted while Redis was unreachable were dropped (buffer of ${bufferCapacity})`
          })
          if (Either.isRight(json)) yield* add(json.right, undefined, true)
        }
      })
    )

    /** Up to `want` matching events older than `before`, newest first, from one stream. */
    const scan = (stream: string, query: EventLog.EventQuery, before: string | undefined, want: number) =>
      Effect.gen(function* () {
        const out: Array<GuildPulseEvent> = []
        const batch = Math.min(1000, Math.max(50, want * 2))
        let end = before === undefined ? "+" : `(${before}`
        while (out.length < want) {
          const reply = yield* connection.run(STORE, (client) => client.xrevrange(stream, end, "-", "COUNT", batch))
          const entries = decodeStreamReply(reply)
          if (Either.isLeft(entries)) return out
          for (const [id, fields] of entries.right) {
            if (query.sinceMs !== undefined && idTimeMs(id) < query.sinceMs - SCAN_SKEW_MS) return out
            const json = fields[fields.indexOf("e") + 1]
            if (json === undefined) continue
            const decoded = codec.decode(json)
            if (Either.isLeft(decoded)) continue
            const event: GuildPulseEvent = { ...decoded.right, id }
            if (EventLog.matches(event, query)) {
              out.push(event)
              if (out.length >= want) return out
            }
          }
          if (entries.right.length < batch) return out
          end = `(${entries.right[entries.right.length - 1]![0]}`
        }
        return out
      })

    const query = (q: EventLog.EventQuery): Effect.Effect<EventLog.EventPage> => {
      const limit = Math.min(Math.max(1, q.limit ?? EventLog.DEFAULT_QUERY_LIMIT), EventLog.MAX_QUERY_LIMIT)
      const cursor = q.cursor !== undefined && validCursor.test(q.cursor) ? q.cursor : undefined
      const profiles = q.profile === undefined ? undefined : typeof q.profile === "string" ? [q.profile] : [...new Set(q.profile)]
      const streams = profiles === undefined ? [keys.events] : profiles.map(keys.profileEvents)
      return Effect.forEach(streams, (stream) => scan(stream, q, cursor, limit + 1), { concurrency: 4 }).pipe(
        Effect.map((pages): EventLog.EventPage => {
          const merged = pages.length === 1 ? pages[0]! : pages.flat().sort((a, b) => compareIds(b.id!, a.id!))
          const hasMore = merged.length > limit
          const page = hasMore ? merged.slice(0, limit) : merged
          return { events: page, nextCursor: hasMore ? Option.some(page[page.length - 1]!.id!) : Option.none() }
        }),
        // During an outage: what this instance saw recently.
        Effect.catchAll(() => local.query(q))
      )
    }

    return EventLog.EventLog.of({ emit, query })
  })

export const layer = (options?: RedisEventLogOptions): Layer.Layer<EventLog.EventLog, never, RedisConnection> =>
  Layer.scoped(EventLog.EventLog, make(options))
