/**
 * Envelope encryption of bot tokens, shared by every encrypting `SecretVault` (memory, SQLite, Redis).
 *
 * A keyring comes from `GUILDPULSE_MASTER_KEYS` = `kid:base64key,kid2:base64key2,…`: 32-byte AES keys, the first
 * one active (it seals new secrets), the others kept to open what they sealed until `reencrypt` has moved every
 * secret onto the active key. A secret is sealed with AES-256-GCM (a random 96-bit IV per seal, 128-bit tag),
 * the profile key bound as additional authenticated data (a ciphertext copied onto another profile does not
 * open), and stored as the JSON envelope `{"v":1,"kid","iv","tag","ct"}` (base64 fields) — the format the stores
 * wrote before this module existed, so their stored ciphertexts stay readable.
 *
 * Core stays free of runtime built-ins: the cipher is the platform's Web Crypto (`globalThis.crypto.subtle`,
 * in Node since 15 and in every browser). Failures never contain the token or key bytes.
 */
import { ConfigError, Data, Effect, Either, Encoding, Option, Redacted, Schema } from "effect"

export interface MasterKey {
  readonly kid: string
  readonly key: Redacted.Redacted<Uint8Array<ArrayBuffer>>
}

export interface Keyring {
  /** Seals new secrets. */
  readonly active: MasterKey
  readonly byId: ReadonlyMap<string, MasterKey>
}

export const MASTER_KEYS_ENV = "GUILDPULSE_MASTER_KEYS"
export const KEY_BYTES = 32
const IV_BYTES = 12
const TAG_BYTES = 16
const kidPattern = /^[A-Za-z0-9_.-]{1,32}$/

/** Why a stored secret does not open. */
export class SecretUnreadable extends Data.TaggedError("SecretUnreadable")<{
  readonly profile: string
  /** `key_missing`: sealed under a key id absent from the keyring; `tampered`: authentication failed. */
  readonly reason: "key_missing" | "tampered" | "malformed"
  readonly kid?: string
  readonly message: string
}> {}

/** Parses `kid:base64key,kid2:base64key2` (first is active); every key must be 32 bytes. */
export const parseKeyring = (text: string): Either.Either<Keyring, string> => {
  const entries = text.split(",").map((part) => part.trim()).filter((part) => part.length > 0)
  const [first] = entries
  if (first === undefined) return Either.left(`${MASTER_KEYS_ENV} is empty: expected kid:base64key[,kid:base64key…]`)
  const byId = new Map<string, MasterKey>()
  for (const entry of entries) {
    const separator = entry.indexOf(":")
    const kid = separator > 0 ? entry.slice(0, separator) : ""
    if (!kidPattern.test(kid)) return Either.left(`key id '${kid.slice(0, 40)}' must be 1-32 characters of A-Z, a-z, 0-9, '_', '.', '-'`)
    const key = Encoding.decodeBase64(entry.slice(separator + 1))
    if (Either.isLeft(key)) return Either.left(`key '${kid}' is not base64`)
    if (key.right.length !== KEY_BYTES) return Either.left(`key '${kid}' must be ${KEY_BYTES} bytes of base64 (got ${key.right.length} bytes)`)
    if (byId.has(kid)) return Either.left(`key id '${kid}' appears twice`)
    byId.set(kid, { kid, key: Redacted.make(Uint8Array.from(key.right)) })
  }
  const active = byId.get(first.slice(0, first.indexOf(":")))
  return active === undefined ? Either.left("no active key") : Either.right({ active, byId })
}

/** The keyring of a `GUILDPULSE_MASTER_KEYS` value, or a configuration error naming the variable. */
export const keyringFrom = (text: Redacted.Redacted<string>): Effect.Effect<Keyring, ConfigError.ConfigError> =>
  Either.match(parseKeyring(Redacted.value(text)), {
    onLeft: (message) => Effect.fail(ConfigError.InvalidData([MASTER_KEYS_ENV], message)),
    onRight: Effect.succeed
  })

const randomBytes = (length: number): Uint8Array<ArrayBuffer> => globalThis.crypto.getRandomValues(new Uint8Array(length))

/** A new random keyring text with one key (`kid:base64key`). */
export const generateKeyringText = (kid: string): Effect.Effect<string> =>
  Effect.sync(() => `${kid}:${Encoding.encodeBase64(randomBytes(KEY_BYTES))}`)

const Envelope = Schema.Struct({ v: Schema.Literal(1), kid: Schema.String, iv: Schema.String, tag: Schema.String, ct: Schema.String })
const EnvelopeJson = Schema.parseJson(Envelope)
const decodeEnvelope = Schema.decodeUnknownEither(EnvelopeJson)
const encodeEnvelope = Schema.encodeSync(EnvelopeJson)

const textEncoder = new TextEncoder()
const aadOf = (profile: string) => textEncoder.encode(`guildpulse:secret:v1:${profile}`)

// One imported CryptoKey per key material (keyed by the Redacted wrapper, so a ring made again imports again).
const imported = new WeakMap<Redacted.Redacted<Uint8Array<ArrayBuffer>>, Promise<CryptoKey>>()
const cryptoKeyOf = (master: MasterKey): Promise<CryptoKey> => {
  const known = imported.get(master.key)
  if (known !== undefined) return known
  const key = globalThis.crypto.subtle.importKey("raw", Redacted.value(master.key), { name: "AES-GCM" }, false, ["encrypt", "decrypt"])
  imported.set(master.key, key)
  return key
}

/** Seals `token` for `profile` under the active key: the JSON envelope to store. */
export const seal = (keyring: Keyring, profile: string, token: Redacted.Redacted<string>): Effect.Effect<string> =>
  Effect.promise(async () => {
    const iv = randomBytes(IV_BYTES)
    const sealed = new Uint8Array(
      await globalThis.crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: aadOf(profile), tagLength: TAG_BYTES * 8 },
        await cryptoKeyOf(keyring.active),
        textEncoder.encode(Redacted.value(token))
      )
    )
    return encodeEnvelope({
      v: 1,
      kid: keyring.active.kid,
      iv: Encoding.encodeBase64(iv),
      tag: Encoding.encodeBase64(sealed.subarray(sealed.length - TAG_BYTES)),
      ct: Encoding.encodeBase64(sealed.subarray(0, sealed.length - TAG_BYTES))
    })
  })

/** The key id an envelope names, when it is one. */
export const kidOf = (stored: string): Option.Option<string> =>
  Either.match(decodeEnvelope(stored), { onLeft: () => Option.none(), onRight: (envelope) => Option.some(envelope.kid) })

/** Opens an envelope sealed for `profile`. */
export const open = (
  keyring: Keyring,
  profile: string,
  stored: string
): Effect.Effect<{ readonly token: Redacted.Redacted<string>; readonly kid: string }, SecretUnreadable> =>
  Effect.suspend(() => {
    const malformed = () =>
      Effect.fail(new SecretUnreadable({ profile, reason: "malformed", message: `the secret of '${profile}' is not a sealed envelope` }))
    const envelope = decodeEnvelope(stored)
    if (Either.isLeft(envelope)) return malformed()
    const { ct, iv, kid, tag } = envelope.right
    const master = keyring.byId.get(kid)
    if (master === undefined) {
      return Effect.fail(new SecretUnreadable({
        profile,
        reason: "key_missing",
        kid,
        message: `the token of '${profile}' is sealed with key '${kid}', which is not in ${MASTER_KEYS_ENV}; add that key back (after the active one) or set the token again`
      }))
    }
    const parts = [Encoding.decodeBase64(iv), Encoding.decodeBase64(tag), Encoding.decodeBase64(ct)]
    const bytes = parts.flatMap((part) => (Either.isRight(part) ? [Uint8Array.from(part.right)] : []))
    const [ivBytes, tagBytes, ctBytes] = bytes
    if (ivBytes === undefined || tagBytes === undefined || ctBytes === undefined || bytes.length !== 3) return malformed()
    return Effect.tryPromise({
      try: async () => {
        const joined = new Uint8Array(ctBytes.length + tagBytes.length)
        joined.set(ctBytes, 0)
        joined.set(tagBytes, ctBytes.length)
        const plain = await globalThis.crypto.subtle.decrypt(
          { name: "AES-GCM", iv: ivBytes, additionalData: aadOf(profile), tagLength: TAG_BYTES * 8 },
          await cryptoKeyOf(master),
          joined
        )
        return { token: Redacted.make(new TextDecoder().decode(plain)), kid }
      },
      catch: () =>
        new SecretUnreadable({
          profile,
          reason: "tampered",
          kid,
          message: `the token of '${profile}' failed authentication under key '${kid}' (tampered, or sealed for another profile)`
        })
    })
  })
