/** The behaviour every `AlertRulesStore` shares. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { AlertRules, AlertRulesStore, ProfileKey } from "../index.js"

export const describeAlertRulesStoreContract = (
  name: string,
  makeLayer: (namespace: string) => Layer.Layer<AlertRulesStore.AlertRulesStore, unknown>
) =>
  describe(`AlertRulesStore contract: ${name}`, () => {
    it.effect("starts empty, replaces the whole configuration on put, and reads back what was put", () =>
      Effect.gen(function* () {
        const store = yield* AlertRulesStore.AlertRulesStore
        assert.deepStrictEqual(yield* store.get, AlertRules.empty)
        const rules: AlertRules.AlertRules = {
          defaults: { stale_data: { olderThanMinutes: 15 }, presence_drop: { channels: ["ops"] } },
          profiles: { [ProfileKey.make("main")]: { presence_drop: { enabled: false } } }
        }
        assert.deepStrictEqual(yield* store.put(rules), rules)
        assert.deepStrictEqual(yield* store.get, rules)
        const next: AlertRules.AlertRules = { defaults: { circuit_open: { openForMinutes: 5 } } }
        yield* store.put(next)
        assert.deepStrictEqual(yield* store.get, next, "put replaces, it does not merge")
      }).pipe(Effect.provide(makeLayer("rules"))))
  })
