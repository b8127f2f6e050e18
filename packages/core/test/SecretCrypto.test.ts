import { createCipheriv } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Redacted } from "effect"
import { SecretCrypto } from "../src/index.js"
import { vaultTestKeys } from "../src/testing/index.js"

const ring = (keys: Redacted.Redacted<string>) => Either.getOrThrow(SecretCrypto.parseKeyring(Redacted.value(keys)))
const token = Redacted.make("sandbox-token-crypto")

/** Re-encodes one base64 field of an envelope after flipping a bit of it. */
const flipBit = (stored: string, field: "ct" | "tag" | "iv"): string => {
  const envelope = JSON.parse(stored) as Record<string, string>
  const bytes = Buffer.from(envelope[field]!, "base64")
  bytes[0] = bytes[0]! ^ 1
  return JSON.stringify({ ...envelope, [field]: bytes.toString("base64") })
}

describe("SecretCrypto", () => {
  it.effect("seals under the active key and opens it again; the envelope shows neither token nor key", () =>
    Effect.gen(function* () {
      const keyring = ring(vaultTestKeys.rotated)
      const stored = yield* SecretCrypto.seal(keyring, "main", token)
      const envelope = JSON.parse(stored) as Record<string, unknown>
      assert.deepStrictEqual(Object.keys(envelope).sort(), ["ct", "iv", "kid", "tag", "v"])
      assert.strictEqual(envelope.kid, "k2")
      assert.notInclude(stored, "sandbox-token")
      assert.notInclude(stored, Redacted.value(vaultTestKeys.k2).slice(3))
      const opened = yield* SecretCrypto.open(keyring, "main", stored)
      assert.strictEqual(Redacted.value(opened.token), "sandbox-token-crypto")
      assert.strictEqual(opened.kid, "k2")
      assert.notStrictEqual(yield* SecretCrypto.seal(keyring, "main", token), stored, "a fresh IV every seal")
    }))

  it.effect("refuses a tampered ciphertext, tag or IV, and a ciphertext moved onto another profile", () =>
    Effect.gen(function* () {
      const keyring = ring(vaultTestKeys.k1)
      const stored = yield* SecretCrypto.seal(keyring, "main", token)
      for (const field of ["ct", "tag", "iv"] as const) {
        const failure = yield* Effect.flip(SecretCrypto.open(keyring, "main", flipBit(stored, field)))
        assert.strictEqual(failure.reason, "tampered", field)
        assert.notInclude(failure.message, "sandbox-token")
      }
      assert.strictEqual((yield* Effect.flip(SecretCrypto.open(keyring, "thief", stored))).reason, "tampered")
      assert.strictEqual((yield* Effect.flip(SecretCrypto.open(keyring, "main", "plain-text-token"))).reason, "malformed")
    }))

  it.effect("names the missing key when the ring lacks the one that sealed", () =>
    Effect.gen(function* () {
      const stored = yield* SecretCrypto.seal(ring(vaultTestKeys.k1), "main", token)
      const failure = yield* Effect.flip(SecretCrypto.open(ring(vaultTestKeys.k2), "main", stored))
      assert.strictEqual(failure.reason, "key_missing")
      assert.strictEqual(failure.kid, "k1")
      assert.include(failure.message, "GUILDPULSE_MASTER_KEYS")
    }))

  it.effect("opens envelopes written by the stores' earlier node:crypto sealing (stored tokens stay readable)", () =>
    Effect.gen(function* () {
      const key = Buffer.alloc(32, 7)
      const iv = Buffer.alloc(12, 3)
      const cipher = createCipheriv("aes-256-gcm", key, iv)
      cipher.setAAD(Buffer.from("guildpulse:secret:v1:main", "utf8"))
      const ct = Buffer.concat([cipher.update("sandbox-token-legacy", "utf8"), cipher.final()])
      const legacy = JSON.stringify({ v: 1, kid: "k1", iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64"), ct: ct.toString("base64") })
      const opened = yield* SecretCrypto.open(ring(vaultTestKeys.k1), "main", legacy)
      assert.strictEqual(Redacted.value(opened.token), "sandbox-token-legacy")
    }))

  it("parses a keyring: first key active; bad ids, lengths and duplicates are refused with the reason", () => {
    const keyring = ring(vaultTestKeys.rotated)
    assert.strictEqual(keyring.active.kid, "k2")
    assert.deepStrictEqual([...keyring.byId.keys()], ["k2", "k1"])
    const refused = (text: string) => Either.flip(SecretCrypto.parseKeyring(text)).pipe(Either.getOrThrow)
    assert.include(refused(""), "empty")
    assert.include(refused("k1:dG9vLXNob3J0"), "must be 32 bytes")
    assert.include(refused(`bad id:${Buffer.alloc(32).toString("base64")}`), "key id 'bad id'")
    assert.include(refused(`${Redacted.value(vaultTestKeys.k1)},${Redacted.value(vaultTestKeys.k1)}`), "appears twice")
  })

  it.effect("generates a keyring text that parses to one 32-byte key", () =>
    Effect.gen(function* () {
      const text = yield* SecretCrypto.generateKeyringText("local1")
      const keyring = Either.getOrThrow(SecretCrypto.parseKeyring(text))
      assert.strictEqual(keyring.active.kid, "local1")
      assert.strictEqual(Redacted.value(keyring.active.key).length, 32)
    }))
})
