/**
 * The behaviour every `SecretVault` shares: tokens per profile, `Redacted`, removable; and, for the encrypting
 * vaults, sealing under a keyring — rotation across two keys with `reencrypt`, and a token whose key left the
 * ring reported as `SecretUnreadable` (`key_missing`) without being deleted.
 *
 * `makeLayer(namespace, masterKeys)`: two layers made with the same namespace share their storage (a restart,
 * possibly with another `GUILDPULSE_MASTER_KEYS`).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Encoding, Layer, Option, Redacted } from "effect"
import { ProfileKey, SecretVault } from "../index.js"

const keyOf = (fill: number) => Encoding.encodeBase64(new Uint8Array(32).fill(fill))
/** Test keyrings (never use these anywhere else): `k1` alone, `k2` then `k1` (rotation), `k2` alone. */
export const vaultTestKeys = {
  k1: Redacted.make(`k1:${keyOf(7)}`),
  rotated: Redacted.make(`k2:${keyOf(9)},k1:${keyOf(7)}`),
  k2: Redacted.make(`k2:${keyOf(9)}`)
} as const

export interface SecretVaultContractOptions {
  /** Whether the vault seals under the given keyring (rotation and missing-key tests); default true. */
  readonly encrypts?: boolean
}

export const describeSecretVaultContract = (
  name: string,
  makeLayer: (namespace: string, masterKeys: Redacted.Redacted<string>) => Layer.Layer<SecretVault.SecretVault, unknown>,
  options: SecretVaultContractOptions = {}
) =>
  describe(`SecretVault contract: ${name}`, () => {
    let seq = 0
    /** One vault's lifetime; closed before the next opens the same storage (one owner at a time, like a restart). */
    const withVault = <A, E>(
      namespace: string,
      keys: Redacted.Redacted<string>,
      use: (vault: SecretVault.SecretVault["Type"]) => Effect.Effect<A, E>
    ) => Effect.provide(Effect.flatMap(SecretVault.SecretVault, use), makeLayer(namespace, keys))

    it.live("keeps one redacted token per profile until removed", () =>
      Effect.gen(function* () {
        const vault = yield* SecretVault.SecretVault
        assert.isTrue(Option.isNone(yield* vault.get(ProfileKey.make("main"))))
        yield* vault.put(ProfileKey.make("main"), Redacted.make("sandbox-token-main"))
        yield* vault.put(ProfileKey.make("other"), Redacted.make("sandbox-token-other"))
        const main = Option.getOrThrow(yield* vault.get(ProfileKey.make("main")))
        assert.isTrue(Redacted.isRedacted(main))
        assert.strictEqual(Redacted.value(main), "sandbox-token-main")
        assert.notInclude(String(main), "sandbox-token")
        yield* vault.put(ProfileKey.make("main"), Redacted.make("rotated"))
        assert.strictEqual(Redacted.value(Option.getOrThrow(yield* vault.get(ProfileKey.make("main")))), "rotated")
        yield* vault.remove(ProfileKey.make("main"))
        assert.isTrue(Option.isNone(yield* vault.get(ProfileKey.make("main"))))
        assert.strictEqual(Redacted.value(Option.getOrThrow(yield* vault.get(ProfileKey.make("other")))), "sandbox-token-other")
      }).pipe(Effect.provide(makeLayer(`vault${++seq}`, vaultTestKeys.k1))))

    it.live("round-trips any token text exactly", () =>
      Effect.gen(function* () {
        const vault = yield* SecretVault.SecretVault
        const tokens = ["", "MTIz.Gx-_y.ab", "ünïcødé ✓ 🔑", "x".repeat(4096)]
        for (const [i, token] of tokens.entries()) yield* vault.put(ProfileKey.make(`p${i}`), Redacted.make(token))
        for (const [i, token] of tokens.entries()) {
          assert.strictEqual(Redacted.value(Option.getOrThrow(yield* vault.get(ProfileKey.make(`p${i}`)))), token)
        }
      }).pipe(Effect.provide(makeLayer(`vault${++seq}`, vaultTestKeys.k1))))

    if (options.encrypts === false) return

    it.live("rotates across two keys: the new ring reads the old token, reencrypt moves it, the old key can go", () =>
      Effect.gen(function* () {
        const namespace = `vault${++seq}`
        yield* withVault(namespace, vaultTestKeys.k1, (before) =>
          Effect.gen(function* () {
            yield* before.put(ProfileKey.make("main"), Redacted.make("sandbox-token-main"))
            yield* before.put(ProfileKey.make("other"), Redacted.make("sandbox-token-other"))
          }))
        yield* withVault(namespace, vaultTestKeys.rotated, (rotated) =>
          Effect.gen(function* () {
            assert.strictEqual(Redacted.value(Option.getOrThrow(yield* rotated.get(ProfileKey.make("main")))), "sandbox-token-main")
            yield* rotated.put(ProfileKey.make("fresh"), Redacted.make("sandbox-token-fresh"))
            assert.deepStrictEqual(yield* rotated.reencrypt, { rewritten: 2, unchanged: 1, unreadable: [] })
            assert.deepStrictEqual(yield* rotated.reencrypt, { rewritten: 0, unchanged: 3, unreadable: [] })
          }))
        yield* withVault(namespace, vaultTestKeys.k2, (after) =>
          Effect.forEach(["main", "other", "fresh"], (profile) =>
            Effect.map(after.get(ProfileKey.make(profile)), (token) =>
              assert.strictEqual(Redacted.value(Option.getOrThrow(token)), `sandbox-token-${profile}`))))
      }))

    it.live("a token sealed under a key that left the ring is unreadable, named, and kept", () =>
      Effect.gen(function* () {
        const namespace = `vault${++seq}`
        yield* withVault(namespace, vaultTestKeys.k1, (old) => old.put(ProfileKey.make("main"), Redacted.make("sandbox-token-main")))
        yield* withVault(namespace, vaultTestKeys.k2, (without) =>
          Effect.gen(function* () {
            const failure = yield* Effect.flip(without.get(ProfileKey.make("main")))
            assert.strictEqual(failure._tag, "SecretUnreadable")
            if (failure._tag !== "SecretUnreadable") return
            assert.strictEqual(failure.reason, "key_missing")
            assert.strictEqual(failure.kid, "k1")
            assert.include(failure.message, "'k1'")
            assert.notInclude(failure.message, "sandbox-token")
            yield* without.put(ProfileKey.make("other"), Redacted.make("sandbox-token-other"))
            assert.deepStrictEqual(yield* without.reencrypt, { rewritten: 0, unchanged: 1, unreadable: ["main"] })
          }))
        // Nothing was deleted: with the key back, the token opens.
        yield* withVault(namespace, vaultTestKeys.rotated, (back) =>
          Effect.map(back.get(ProfileKey.make("main")), (token) => assert.strictEqual(Redacted.value(Option.getOrThrow(token)), "sandbox-token-main")))
      }))
  })
