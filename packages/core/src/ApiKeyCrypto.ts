/**
 * Port: the cryptography of API keys — random secrets, a slow salted hash of a secret, its verification, and
 * a fast digest for the verified-key cache. Core stays free of runtime built-ins: the production
 * implementation (scrypt and the system CSPRNG of `node:crypto`) lives in `@guildpulse/adapter-express`
 * (`ApiKeyAuth.layerCrypto`). `layerTest` here is deterministic and NOT secure — for tests of core only.
 */
import { Context, Effect, Layer, Random, Redacted } from "effect"

export class ApiKeyCrypto extends Context.Tag("@guildpulse/core/ApiKeyCrypto")<
  ApiKeyCrypto,
  {
    /** `length` characters of a-z, A-Z, 0-9 from a cryptographically secure source. */
    readonly randomId: (length: number) => Effect.Effect<string>
    /** A slow, salted hash of `secret` (self-describing: algorithm and parameters inside). */
    readonly hash: (secret: Redacted.Redacted<string>) => Effect.Effect<string>
    /** Whether `secret` matches `hash`, compared in constant time; false for a hash it cannot read. */
    readonly verify: (secret: Redacted.Redacted<string>, hash: string) => Effect.Effect<boolean>
    /** A fast digest (e.g. SHA-256, hex) of a secret already verified, to recognise it again cheaply. */
    readonly digest: (secret: Redacted.Redacted<string>) => string
  }
>() {}

/** Equality of two strings in time that depends only on their length (pure; meant for fixed-length digests). */
export const constantTimeEqual = (a: string, b: string): boolean => {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/** Deterministic, insecure crypto for tests of core (Effect `Random`, a reversible "hash"). */
export const layerTest: Layer.Layer<ApiKeyCrypto> = Layer.succeed(
  ApiKeyCrypto,
  ApiKeyCrypto.of({
    randomId: (length) =>
      Effect.gen(function*() {
        let out = ""
        for (let i = 0; i < length; i++) out += alphabet[yield* Random.nextIntBetween(0, alphabet.length)]
        return out
      }),
    hash: (secret) => Effect.succeed(`test$${[...Redacted.value(secret)].reverse().join("")}$padding`),
    verify: (secret, hash) => Effect.succeed(constantTimeEqual(`test$${[...Redacted.value(secret)].reverse().join("")}$padding`, hash)),
    digest: (secret) => `d:${Redacted.value(secret)}`
  })
)
