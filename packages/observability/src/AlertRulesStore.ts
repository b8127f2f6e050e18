/**
 * Port: the alert rules configuration (`GET|PUT /v1/alerts/rules`). Core has no such port; it lives here
 * with a memory layer. `put` takes untrusted input and validates it, naming the offending fields.
 */
import { Context, Effect, Layer, Ref } from "effect"
import { Validation } from "@guildpulse/core"
import type { StoreError, ValidationError } from "@guildpulse/core"
import { AlertRules } from "./AlertRules.js"

export class AlertRulesStore extends Context.Tag("@guildpulse/observability/AlertRulesStore")<
  AlertRulesStore,
  {
    readonly get: Effect.Effect<AlertRules, StoreError>
    /** Validates and replaces the configuration; returns it as stored. */
    readonly put: (input: unknown) => Effect.Effect<AlertRules, ValidationError | StoreError>
  }
>() {}

export const decode = Validation.decode(AlertRules)

export const makeMemory = (initial: AlertRules = {}) =>
  Effect.map(Ref.make(initial), (ref) =>
    AlertRulesStore.of({
      get: Ref.get(ref),
      put: (input) => Effect.tap(decode(input), (rules) => Ref.set(ref, rules))
    })
  )

/** `initial` is untrusted too (a config file): invalid rules fail the layer with a `ValidationError`. */
export const layerMemory = (initial: unknown = {}): Layer.Layer<AlertRulesStore, ValidationError> =>
  Layer.effect(AlertRulesStore, Effect.flatMap(decode(initial), makeMemory))
