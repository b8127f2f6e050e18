/**
 * `EventLog` on the database file, write-behind and bounded: `emit` appends to memory (it is on the refresh
 * path) and the next flush writes the batch; `query` flushes what is pending, then reads the file, so it sees
 * every event emitted before it. The table keeps the newest `capacity` events (default 100,000) and none older
 * than `maxAgeMs` (default 30 days), trimmed as batches are written.
 */
import { Clock, Context, Effect, Either, Layer, Option, Scope } from "effect"
import { EventLog, GuildPulseEvent } from "@guildpulse/core"
import type { EventInput, EventLevel, StoreError } from "@guildpulse/core"
import { jsonCodec } from "./internal/json.js"
import { Where } from "./internal/where.js"
import { SqliteDatabase } from "./SqliteDatabase.js"

const STORE = "events"
export const DEFAULT_CAPACITY = 100_000
export const DEFAULT_MAX_AGE_MS = 30 * 24 * 60 * 60_000
const AGE_TRIM_EVERY_MS = 60_000
const codec = jsonCodec(GuildPulseEvent)

export interface SqliteEventLogOptions {
  /** Events kept (the newest). Default 100,000. */
  readonly capacity?: number
  /** Events older than this are dropped. Default 30 days. */
  readonly maxAgeMs?: number
}

const levelRank: Record<EventLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 }
const ID_WIDTH = 12
const idText = (id: number) => String(id).padStart(ID_WIDTH, "0")

export const make = (
  options: SqliteEventLogOptions = {}
): Effect.Effect<Context.Tag.Service<EventLog.EventLog>, StoreError, SqliteDatabase | Scope.Scope> =>
  Effect.gen(function* () {
    const database = yield* SqliteDatabase
    const capacity = Math.max(1, options.capacity ?? DEFAULT_CAPACITY)
    const maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS
    const insert = database.db.prepare("INSERT INTO events (id, ts_ms, level, type, profile, json) VALUES (?, ?, ?, ?, ?, ?)")
    const trimCount = database.db.prepare("DELETE FROM events WHERE id <= ?")
    const trimAge = database.db.prepare("DELETE FROM events WHERE ts_ms < ?")
    const maxRow = yield* database.read(STORE, (db) => db.prepare("SELECT max(id) FROM events").raw(true).get() as [number | null])
    let seq = Number(maxRow[0] ?? 0)
    let pending: Array<{ readonly id: number; readonly tsMs: number; readonly event: GuildPulseEvent }> = []
    let lastAgeTrimMs = 0

    yield* database.registerWriteBehind({
      name: STORE,
      take: () => {
        if (pending.length === 0) return undefined
        const taken = pending
        pending = []
        const newest = taken[taken.length - 1]!
        return {
          count: taken.length,
          write: () => {
            for (const { id, tsMs, event } of taken) {
              insert.run(id, tsMs, levelRank[event.level], event.type, event.profile ?? null, JSON.stringify(event))
            }
            if (newest.id > capacity) trimCount.run(newest.id - capacity)
            if (newest.tsMs - lastAgeTrimMs >= AGE_TRIM_EVERY_MS) {
              trimAge.run(newest.tsMs - maxAgeMs)
              lastAgeTrimMs = newest.tsMs
            }
          },
          requeue: () => {
            pending = [...taken, ...pending]
          }
        }
      }
    })

    const emit = (input: EventInput) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        seq += 1
        const event: GuildPulseEvent = { ...input, id: idText(seq), ts: input.ts ?? new Date(now).toISOString() }
        const parsed = Date.parse(event.ts)
        pending.push({ id: seq, tsMs: Number.isNaN(parsed) ? now : parsed, event })
      })

    const query = (q: EventLog.EventQuery): Effect.Effect<EventLog.EventPage> =>
      Effect.gen(function* () {
        const limit = Math.min(Math.max(1, q.limit ?? EventLog.DEFAULT_QUERY_LIMIT), EventLog.MAX_QUERY_LIMIT)
        yield* Effect.ignore(database.flush)
        const where = new Where()
        if (q.profile !== undefined) {
          const profiles = typeof q.profile === "string" ? [q.profile] : [...q.profile]
          if (profiles.length === 0) return { events: [], nextCursor: Option.none() }
          where.add(`profile IN (${profiles.map(() => "?").join(", ")})`, ...profiles)
        }
        where.dotted("type", q.type)
        if (q.level !== undefined) where.add("level >= ?", levelRank[q.level])
        where.range("ts_ms", q.sinceMs, q.untilMs).before(q.cursor)
        const sql = `SELECT id, json FROM events ${where.sql} ORDER BY id DESC LIMIT ?`
        const rows = yield* database
          .read(STORE, (db) => db.prepare(sql).raw(true).all(...where.params, limit + 1) as Array<[number, string]>)
          .pipe(Effect.catchAll((error) => Effect.as(Effect.logWarning(`event query failed: ${error.message}`), [] as Array<[number, string]>)))
        const events: Array<GuildPulseEvent> = []
        for (const [, json] of rows) {
          const decoded = codec.decode(json)
          if (Either.isRight(decoded)) events.push(decoded.right)
        }
        const hasMore = events.length > limit
        const page = hasMore ? events.slice(0, limit) : events
        return { events: page, nextCursor: hasMore ? Option.some(page[page.length - 1]!.id!) : Option.none<string>() }
      })

    return EventLog.EventLog.of({ emit, query })
  })

export const layer = (options?: SqliteEventLogOptions): Layer.Layer<EventLog.EventLog, StoreError, SqliteDatabase> =>
  Layer.scoped(EventLog.EventLog, make(options))
