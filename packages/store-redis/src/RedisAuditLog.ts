/**
 * `AuditLog` on Redis, shared by every instance. Ids come from `INCR <prefix>audit:seq` (zero-padded, so they
 * order as strings); an entry is one `MULTI`: its JSON in the hash `<prefix>audit`, its id in the sorted sets
 * `audit:ids` (score: the sequence number, for newest-first pages and the cursor) and `audit:times` (score:
 * `atMs`, for pruning by age). Queries walk `audit:ids` from the newest (or from the cursor) in batches and
 * filter with core's `matches`.
 */
import { Effect, Either, Layer, Option } from "effect"
import { AuditLog, type StoreError } from "@guildpulse/core"
import { jsonCodec } from "./internal/codec.js"
import { RedisConnection } from "./RedisConnection.js"

const STORE = "audit"
const codec = jsonCodec(AuditLog.AuditEntry, STORE)
const idText = (seq: number) => String(seq).padStart(12, "0")
const BATCH = 200
const PRUNE_BATCH = 1000

export const make = Effect.gen(function* () {
  const connection = yield* RedisConnection
  const { keys } = connection

  const append = (input: AuditLog.AuditInput): Effect.Effect<AuditLog.AuditEntry, StoreError> =>
    Effect.gen(function* () {
      const seq = yield* connection.run(STORE, (client) => client.incr(keys.auditSeq))
      const entry: AuditLog.AuditEntry = { ...input, id: idText(seq) }
      const json = yield* Either.match(codec.encode(entry), { onLeft: Effect.fail, onRight: Effect.succeed })
      yield* connection.run(STORE, (client) =>
        client.multi().hset(keys.audit, entry.id, json).zadd(keys.auditIds, seq, entry.id).zadd(keys.auditTimes, entry.atMs, entry.id).exec()
      )
      return entry
    })

  const query = (q: AuditLog.AuditQuery): Effect.Effect<AuditLog.AuditPage, StoreError> =>
    Effect.gen(function* () {
      const limit = AuditLog.limitOf(q)
      const cursorSeq = q.cursor !== undefined && /^\d{1,15}$/.test(q.cursor) ? Number(q.cursor) : undefined
      if (q.cursor !== undefined && cursorSeq === undefined) return { entries: [], nextCursor: Option.none<string>() }
      let max = cursorSeq !== undefined ? `(${cursorSeq}` : "+inf"
      const found: Array<AuditLog.AuditEntry> = []
      for (;;) {
        const ids = yield* connection.run(STORE, (client) => client.zrevrangebyscore(keys.auditIds, max, "-inf", "LIMIT", 0, BATCH))
        if (ids.length === 0) break
        const jsons = yield* connection.run(STORE, (client) => client.hmget(keys.audit, ...ids))
        for (const json of jsons) {
          if (json === null) continue
          const decoded = codec.decode(json)
          if (Either.isLeft(decoded)) {
            yield* Effect.logWarning(`an audit entry is unreadable, skipping it: ${decoded.left.message}`)
            continue
          }
          if (AuditLog.matches(decoded.right, q)) found.push(decoded.right)
        }
        if (found.length > limit || ids.length < BATCH) break
        max = `(${Number(ids[ids.length - 1])}`
      }
      const page = found.slice(0, limit)
      const last = page[page.length - 1]
      return { entries: page, nextCursor: found.length > limit && last !== undefined ? Option.some(last.id) : Option.none<string>() }
    })

  const prune = (beforeMs: number): Effect.Effect<number, StoreError> =>
    Effect.gen(function* () {
      let dropped = 0
      for (;;) {
        const ids = yield* connection.run(STORE, (client) => client.zrangebyscore(keys.auditTimes, "-inf", `(${beforeMs}`, "LIMIT", 0, PRUNE_BATCH))
        if (ids.length === 0) return dropped
        const replies = yield* connection.run(STORE, (client) =>
          client.multi().zrem(keys.auditTimes, ...ids).zrem(keys.auditIds, ...ids).hdel(keys.audit, ...ids).exec()
        )
        // Counted by what this call removed (another instance pruning at once does not double-count).
        dropped += Number(replies?.[0]?.[1] ?? 0)
      }
    })

  return AuditLog.AuditLog.of({ append, query, prune })
})

export const layer: Layer.Layer<AuditLog.AuditLog, never, RedisConnection> = Layer.effect(AuditLog.AuditLog, make)
