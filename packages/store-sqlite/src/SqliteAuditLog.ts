/**
 * `AuditLog` on the database file, durable: `append` commits the entry before it returns (who changed what
 * must not be lost to a crash). Queries run on the file, newest first, with core's filters and a cursor.
 */
import { Context, Effect, Either, Layer, Option, Scope } from "effect"
import { AuditLog } from "@guildpulse/core"
import type { StoreError } from "@guildpulse/core"
import { jsonCodec } from "./internal/json.js"
import { Where } from "./internal/where.js"
import { SqliteDatabase } from "./SqliteDatabase.js"

const STORE = "audit"
const codec = jsonCodec(AuditLog.AuditEntry)
const idText = (id: number) => String(id).padStart(12, "0")

export const make: Effect.Effect<Context.Tag.Service<AuditLog.AuditLog>, StoreError, SqliteDatabase | Scope.Scope> = Effect.gen(function* () {
  const database = yield* SqliteDatabase
  const insert = database.db.prepare("INSERT INTO audit (id, at_ms, key_id, action, profile, json) VALUES (?, ?, ?, ?, ?, ?)")
  const prune = database.db.prepare("DELETE FROM audit WHERE at_ms < ?")
  const maxRow = yield* database.read(STORE, (db) => db.prepare("SELECT max(id) FROM audit").raw(true).get() as [number | null])
  let seq = Number(maxRow[0] ?? 0)
  const permit = yield* Effect.makeSemaphore(1)

  const append = (input: AuditLog.AuditInput) =>
    permit.withPermits(1)(
      Effect.suspend(() => {
        const id = seq + 1
        const entry: AuditLog.AuditEntry = { ...input, id: idText(id) }
        return Effect.as(
          Effect.zipRight(
            database.write(STORE, () => insert.run(id, entry.atMs, entry.keyId, entry.action, entry.profile ?? null, codec.encode(entry))),
            Effect.sync(() => {
              seq = id
            })
          ),
          entry
        )
      })
    )

  const query = (q: AuditLog.AuditQuery) =>
    Effect.gen(function* () {
      const limit = AuditLog.limitOf(q)
      const where = new Where()
        .eq("key_id", q.keyId)
        .dotted("action", q.action)
        .eq("profile", q.profile)
        .range("at_ms", q.sinceMs, q.untilMs)
        .before(q.cursor)
      const sql = `SELECT json FROM audit ${where.sql} ORDER BY id DESC LIMIT ?`
      const rows = yield* database.read(STORE, (db) => db.prepare(sql).raw(true).all(...where.params, limit + 1) as Array<[string]>)
      const entries: Array<AuditLog.AuditEntry> = []
      for (const [json] of rows) {
        const decoded = codec.decode(json)
        if (Either.isRight(decoded)) entries.push(decoded.right)
        else yield* Effect.logWarning(`an audit entry is unreadable, skipping it: ${decoded.left}`)
      }
      const page = entries.slice(0, limit)
      const last = page[page.length - 1]
      return { entries: page, nextCursor: rows.length > limit && last !== undefined ? Option.some(last.id) : Option.none<string>() }
    })

  return AuditLog.AuditLog.of({
    append,
    query,
    prune: (beforeMs) => database.write(STORE, () => prune.run(beforeMs).changes)
  })
})

export const layer: Layer.Layer<AuditLog.AuditLog, StoreError, SqliteDatabase> = Layer.scoped(AuditLog.AuditLog, make)
