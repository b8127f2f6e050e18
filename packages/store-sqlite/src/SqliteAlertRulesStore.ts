/**
 * `AlertRulesStore` on the database file, durable: `put` commits before it returns; `get` answers from the copy
 * kept in step with every write. Stored as one JSON row of `meta` (`alert_rules`), decoded with `AlertRules`.
 */
import { Context, Effect, Either, Layer, Ref, Scope } from "effect"
import { AlertRules, AlertRulesStore } from "@guildpulse/core"
import type { StoreError } from "@guildpulse/core"
import { jsonCodec } from "./internal/json.js"
import { SqliteDatabase } from "./SqliteDatabase.js"

const STORE = "alert_rules"
const codec = jsonCodec(AlertRules.AlertRules)

export const make: Effect.Effect<Context.Tag.Service<AlertRulesStore.AlertRulesStore>, StoreError, SqliteDatabase | Scope.Scope> = Effect.gen(function* () {
  const database = yield* SqliteDatabase
  const row = yield* database.read(STORE, (db) => db.prepare("SELECT value FROM meta WHERE key = 'alert_rules'").raw(true).get() as [string] | undefined)
  let initial: AlertRules.AlertRules = AlertRules.empty
  if (row !== undefined) {
    const decoded = codec.decode(row[0])
    if (Either.isRight(decoded)) initial = decoded.right
    else yield* Effect.logError(`stored alert rules are unreadable, using the built-in rules until they are set again: ${decoded.left}`)
  }
  const current = yield* Ref.make(initial)
  const upsert = database.db.prepare("INSERT INTO meta (key, value) VALUES ('alert_rules', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
  const permit = yield* Effect.makeSemaphore(1)
  return AlertRulesStore.AlertRulesStore.of({
    get: Ref.get(current),
    put: (rules) =>
      permit.withPermits(1)(
        Effect.zipRight(
          database.write(STORE, () => upsert.run(codec.encode(rules))),
          Effect.as(Ref.set(current, rules), rules)
        )
      )
  })
})

export const layer: Layer.Layer<AlertRulesStore.AlertRulesStore, StoreError, SqliteDatabase> = Layer.scoped(AlertRulesStore.AlertRulesStore, make)
