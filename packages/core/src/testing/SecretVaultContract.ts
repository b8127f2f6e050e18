/** The behaviour every `SecretVault` shares: tokens per profile, `Redacted`, removable. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { SecretVault } from "../index.js"

export const describeSecretVaultContract = (name: string, makeLayer: (namespace: string) => Layer.Layer<SecretVault.SecretVault, unknown>) =>
  describe(`SecretVault contract: ${name}`, () => {
    let seq = 0
    it.live("keeps one redacted token per profile until removed", () =>
      Effect.gen(function* () {
        const vault = yield* SecretVault.SecretVault
        assert.isTrue(Option.isNone(yield* vault.get("main")))
        yield* vault.put("main", Redacted.make("sandbox-token-main"))
        yield* vault.put("other", Redacted.make("sandbox-token-other"))
        const main = Option.getOrThrow(yield* vault.get("main"))
        assert.isTrue(Redacted.isRedacted(main))
        assert.strictEqual(Redacted.value(main), "sandbox-token-main")
        assert.notInclude(String(main), "sandbox-token")
        yield* vault.put("main", Redacted.make("rotated"))
        assert.strictEqual(Redacted.value(Option.getOrThrow(yield* vault.get("main"))), "rotated")
        yield* vault.remove("main")
        assert.isTrue(Option.isNone(yield* vault.get("main")))
        assert.strictEqual(Redacted.value(Option.getOrThrow(yield* vault.get("other"))), "sandbox-token-other")
      }).pipe(Effect.provide(makeLayer(`vault${++seq}`))))
  })
