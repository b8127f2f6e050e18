/**
 * Envelope encryption of bot tokens: AES-256-GCM under the active key of a keyring (`kid:base64key,…`, first is
 * active), the profile key bound as additional authenticated data (a ciphertext copied onto another profile does
 * not open). Stored as `{v, kid, iv, tag, ct}` JSON.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto"
import { Either, Redacted, Schema } from "effect"

const ALGORITHM = "aes-256-gcm"

export interface MasterKey {
  readonly kid: string
  readonly key: Redacted.Redacted<Buffer>
}

export interface Keyring {
  readonly active: MasterKey
  readonly byId: ReadonlyMap<string, MasterKey>
}

const kidPattern = /^[A-Za-z0-9_.-]{1,32}$/

/** Parses `kid:base64key,kid2:base64key2` (first is active); every key must be 32 bytes. */
export const parseKeyring = (text: string): Either.Either<Keyring, string> => {
  const entries = text.split(",").map((part) => part.trim()).filter((part) => part.length > 0)
  if (entries.length === 0) return Either.left("GUILDPULSE_MASTER_KEYS is empty: expected kid:base64key[,kid:base64key…]")
  const byId = new Map<string, MasterKey>()
  const ordered: Array<MasterKey> = []
  for (const entry of entries) {
    const separator = entry.indexOf(":")
    const kid = separator > 0 ? entry.slice(0, separator) : ""
    if (!kidPattern.test(kid)) return Either.left(`key id '${kid.slice(0, 40)}' must be 1-32 characters of A-Z, a-z, 0-9, '_', '.', '-'`)
    const key = Buffer.from(entry.slice(separator + 1), "base64")
    if (key.length !== 32) return Either.left(`key '${kid}' must be 32 bytes of base64 (got ${key.length} bytes)`)
    if (byId.has(kid)) return Either.left(`key id '${kid}' appears twice`)
    const master = { kid, key: Redacted.make(key) }
    byId.set(kid, master)
    ordered.push(master)
  }
  return Either.right({ active: ordered[0]!, byId })
}

/** A new random keyring text with one key. */
export const generateKeyringText = (kid: string): string => `${kid}:${randomBytes(32).toString("base64")}`

const Envelope = Schema.Struct({ v: Schema.Literal(1), kid: Schema.String, iv: Schema.String, tag: Schema.String, ct: Schema.String })
const EnvelopeJson = Schema.parseJson(Envelope)
const decodeEnvelope = Schema.decodeUnknownEither(EnvelopeJson)
const encodeEnvelope = Schema.encodeSync(EnvelopeJson)

const aadOf = (profile: string) => Buffer.from(`guildpulse:secret:v1:${profile}`, "utf8")

export const seal = (keyring: Keyring, profile: string, token: Redacted.Redacted<string>): string => {
  const iv = randomBytes(12)
  const cipher = createCipheriv(ALGORITHM, Redacted.value(keyring.active.key), iv)
  cipher.setAAD(aadOf(profile))
  const ct = Buffer.concat([cipher.update(Redacted.value(token), "utf8"), cipher.final()])
  return encodeEnvelope({ v: 1, kid: keyring.active.kid, iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64"), ct: ct.toString("base64") })
}

/** Opens an envelope; the failure message never contains the token. */
export const open = (
  keyring: Keyring,
  profile: string,
  stored: string
): Either.Either<{ readonly token: Redacted.Redacted<string>; readonly kid: string }, string> => {
  const envelope = decodeEnvelope(stored)
  if (Either.isLeft(envelope)) return Either.left("not a sealed envelope")
  const { kid, iv, tag, ct } = envelope.right
  const master = keyring.byId.get(kid)
  if (master === undefined) return Either.left(`sealed with key '${kid}', which is not in the keyring`)
  try {
    const decipher = createDecipheriv(ALGORITHM, Redacted.value(master.key), Buffer.from(iv, "base64"))
    decipher.setAAD(aadOf(profile))
    decipher.setAuthTag(Buffer.from(tag, "base64"))
    const plain = Buffer.concat([decipher.update(Buffer.from(ct, "base64")), decipher.final()]).toString("utf8")
    return Either.right({ token: Redacted.make(plain), kid })
  } catch {
    return Either.left("authentication failed (tampered, or sealed for another profile)")
  }
}
