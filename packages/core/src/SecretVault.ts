/**
 * Port: bot tokens per profile. Tokens are `Redacted` everywhere so they never reach logs or responses.
 *
 * Encrypting vaults (SQLite, Redis, and the memory vault given a keyring) seal each token with `SecretCrypto`
 * under the active key of a keyring. A token sealed under a key that is no longer in the ring fails `get` with
 * `SecretUnreadable` (`key_missing`) — the profile's token then counts as invalid with that message; it is never
 * deleted, and putting the key back makes it readable again. `reencrypt` moves every readable token onto the
 * active key and names the ones it could not open.
 *
 * Token metadata (`present, status, rotatedAt, lastValidatedAt, expiresAt, problem`) lives beside the token, on
 * the profile (`Profile.token`, kept by the `ProfileRepository`), so it is listed and versioned with the profile.
 */
import { Context, Effect, Layer, Option, Redacted } from "effect"
import type { StoreError } from "./Errors.js"
import type { ProfileKey } from "./Identifiers.js"
import * as SecretCrypto from "./SecretCrypto.js"

export interface ReencryptReport {
  /** Tokens re-sealed under the active key. */
  readonly rewritten: number
  /** Tokens already under the active key. */
  readonly unchanged: number
  /** Profiles whose token could not be opened (missing key, tampered): left as they are. */
  readonly unreadable: ReadonlyArray<string>
}

export class SecretVault extends Context.Tag("@guildpulse/core/SecretVault")<
  SecretVault,
  {
    readonly get: (profile: ProfileKey) => Effect.Effect<Option.Option<Redacted.Redacted<string>>, StoreError | SecretCrypto.SecretUnreadable>
    readonly put: (profile: ProfileKey, token: Redacted.Redacted<string>) => Effect.Effect<void, StoreError>
    readonly remove: (profile: ProfileKey) => Effect.Effect<void, StoreError>
    /** Re-seals every stored token under the active key (a vault that does not encrypt reports them unchanged). */
    readonly reencrypt: Effect.Effect<ReencryptReport, StoreError>
  }
>() {}

/**
 * Re-seals each `[profile, stored]` not yet under the active key; `write` stores the new envelope (and may
 * refuse when the token changed meanwhile, returning false). Shared by the encrypting vaults.
 */
export const reencryptAll = <E>(
  keyring: SecretCrypto.Keyring,
  entries: ReadonlyArray<readonly [string, string]>,
  write: (profile: string, previous: string, next: string) => Effect.Effect<boolean, E>
): Effect.Effect<ReencryptReport, E> =>
  Effect.gen(function* () {
    let rewritten = 0
    let unchanged = 0
    const unreadable: Array<string> = []
    for (const [profile, stored] of entries) {
      const opened = yield* Effect.either(SecretCrypto.open(keyring, profile, stored))
      if (opened._tag === "Left") {
        unreadable.push(profile)
        continue
      }
      if (opened.right.kid === keyring.active.kid) {
        unchanged += 1
        continue
      }
      if (yield* write(profile, stored, yield* SecretCrypto.seal(keyring, profile, opened.right.token))) rewritten += 1
    }
    return { rewritten, unchanged, unreadable }
  })

export interface MemoryVaultOptions {
  /** Seal tokens in memory with this keyring (as the persistent vaults do); plain `Redacted` values without. */
  readonly keyring?: SecretCrypto.Keyring
  /** The envelopes, shared between vaults made on the same map (tests: a restart with another keyring). */
  readonly envelopes?: Map<string, string>
}

export const makeMemory = (initial: Readonly<Record<string, string>> = {}, options: MemoryVaultOptions = {}) =>
  Effect.gen(function* () {
    const { keyring } = options
    if (keyring === undefined) {
      const tokens = new Map<string, Redacted.Redacted<string>>(
        Object.entries(initial).map(([profile, token]) => [profile, Redacted.make(token)])
      )
      return SecretVault.of({
        get: (profile) => Effect.sync(() => Option.fromNullable(tokens.get(profile))),
        put: (profile, token) => Effect.sync(() => void tokens.set(profile, token)),
        remove: (profile) => Effect.sync(() => void tokens.delete(profile)),
        reencrypt: Effect.sync(() => ({ rewritten: 0, unchanged: tokens.size, unreadable: [] }))
      })
    }
    const envelopes = options.envelopes ?? new Map<string, string>()
    for (const [profile, token] of Object.entries(initial)) {
      envelopes.set(profile, yield* SecretCrypto.seal(keyring, profile, Redacted.make(token)))
    }
    return SecretVault.of({
      get: (profile) =>
        Option.match(Option.fromNullable(envelopes.get(profile)), {
          onNone: () => Effect.succeed(Option.none()),
          onSome: (stored) => Effect.map(SecretCrypto.open(keyring, profile, stored), ({ token }) => Option.some(token))
        }),
      put: (profile, token) => Effect.map(SecretCrypto.seal(keyring, profile, token), (stored) => void envelopes.set(profile, stored)),
      remove: (profile) => Effect.sync(() => void envelopes.delete(profile)),
      reencrypt: Effect.suspend(() =>
        reencryptAll(keyring, [...envelopes], (profile, previous, next) =>
          Effect.sync(() => envelopes.get(profile) === previous && envelopes.set(profile, next) !== undefined)
        )
      )
    })
  })

export const layerMemory = (initial?: Readonly<Record<string, string>>, options?: MemoryVaultOptions): Layer.Layer<SecretVault> =>
  Layer.effect(SecretVault, makeMemory(initial, options))
