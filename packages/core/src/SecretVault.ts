/**
 * Port: bot tokens per profile. Tokens are `Redacted` everywhere so they never reach logs or responses.
 * The memory layer keeps them in process; encrypted persistent vaults implement the same port.
 */
import { Context, Effect, Layer, Option, Redacted } from "effect"
import type { StoreError } from "./Errors.js"

export class SecretVault extends Context.Tag("@guildpulse/core/SecretVault")<
  SecretVault,
  {
    readonly get: (profile: string) => Effect.Effect<Option.Option<Redacted.Redacted<string>>, StoreError>
    readonly put: (profile: string, token: Redacted.Redacted<string>) => Effect.Effect<void, StoreError>
    readonly remove: (profile: string) => Effect.Effect<void, StoreError>
  }
>() {}

export const makeMemory = (initial: Readonly<Record<string, string>> = {}) =>
  Effect.sync(() => {
    const tokens = new Map<string, Redacted.Redacted<string>>(
      Object.entries(initial).map(([profile, token]) => [profile, Redacted.make(token)])
    )
    return SecretVault.of({
      get: (profile) => Effect.sync(() => Option.fromNullable(tokens.get(profile))),
      put: (profile, token) => Effect.sync(() => void tokens.set(profile, token)),
      remove: (profile) => Effect.sync(() => void tokens.delete(profile))
    })
  })

export const layerMemory = (initial?: Readonly<Record<string, string>>): Layer.Layer<SecretVault> =>
  Layer.effect(SecretVault, makeMemory(initial))
