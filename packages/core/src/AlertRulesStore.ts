/**
 * Port: the alert rules configuration (`GET|PUT /v1/alerts/rules`). `put` takes rules already decoded with
 * the `AlertRules` schema (callers validate untrusted input first, naming the offending fields).
 */
import { Context, Effect, Layer, Ref } from "effect"
import { AlertRules } from "./AlertRules.js"
import type { StoreError } from "./Errors.js"

export class AlertRulesStore extends Context.Tag("@guildpulse/core/AlertRulesStore")<
  AlertRulesStore,
  {
    readonly get: Effect.Effect<AlertRules, StoreError>
    /** Replaces the configuration; returns it as stored. */
    readonly put: (rules: AlertRules) => Effect.Effect<AlertRules, StoreError>
  }
>() {}

export const makeMemory = (initial: AlertRules = {}) =>
  Effect.map(Ref.make(initial), (ref) =>
    AlertRulesStore.of({
      get: Ref.get(ref),
      put: (rules) => Effect.as(Ref.set(ref, rules), rules)
    })
  )

export const layerMemory = (initial?: AlertRules): Layer.Layer<AlertRulesStore> => Layer.effect(AlertRulesStore, makeMemory(initial))
