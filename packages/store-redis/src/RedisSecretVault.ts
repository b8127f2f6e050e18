/**
 * `SecretVault` on Redis, encrypted at rest: each bot token is sealed with AES-256-GCM under the active key of
 * a keyring (`GUILDPULSE_MASTER_KEYS` = `kid:base64key,…`, first is active) and stored in the hash
 * `<prefix>secrets` as `{v, kid, iv, tag, ct}`. The profile key is bound as additional authenticated data, so a
 * ciphertext copied onto another profile does not open. Older keys stay in the ring to read what they sealed;
 * `reencrypt` rewrites every token under the active key (rotation), after which an old key can be retired.
 *
 * Tokens are `Redacted` everywhere and never appear in errors or logs. While Redis is unreachable, reads are
 * answered from the in-process copy; writes fail with `StoreError("unavailable")`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto"
import { Config, ConfigError, Context, Effect, Either, Layer, Option, Redacted, Schema, Scope } from "effect"
import { SecretVault, StoreError } from "@guildpulse/core"
import { evalScript, isOutage, RedisConnection } from "./RedisConnection.js"
import * as Lua from "./internal/lua.js"

const STORE = "secrets"
const ALGORITHM = "aes-256-gcm"

export interface MasterKey {
  readonly kid: string
  readonly key: Redacted.Redacted<Buffer>
}

export interface Keyring {
  /** Seals new secrets. */
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

const Envelope = Schema.Struct({
  v: Schema.Literal(1),
  kid: Schema.String,
  iv: Schema.String,
  tag: Schema.String,
  ct: Schema.String
})
type Envelope = typeof Envelope.Type
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

export const open = (keyring: Keyring, profile: string, stored: string): Either.Either<{ readonly token: Redacted.Redacted<string>; readonly kid: string }, StoreError> => {
  const corrupt = (message: string) => Either.left(new StoreError({ reason: "corrupt", store: STORE, message: `secret of '${profile}': ${message}` }))
  const envelope = decodeEnvelope(stored)
  if (Either.isLeft(envelope)) return corrupt("not a sealed envelope")
  const { kid, iv, tag, ct }: Envelope = envelope.right
  const master = keyring.byId.get(kid)
  if (master === undefined) return corrupt(`sealed with key '${kid}', which is not in GUILDPULSE_MASTER_KEYS`)
  try {
    const decipher = createDecipheriv(ALGORITHM, Redacted.value(master.key), Buffer.from(iv, "base64"))
    decipher.setAAD(aadOf(profile))
    decipher.setAuthTag(Buffer.from(tag, "base64"))
    const plain = Buffer.concat([decipher.update(Buffer.from(ct, "base64")), decipher.final()]).toString("utf8")
    return Either.right({ token: Redacted.make(plain), kid })
  } catch {
    return corrupt("authentication failed (tampered, or sealed for another profile)")
  }
}

export interface RedisSecretVaultService extends Context.Tag.Service<SecretVault.SecretVault> {
  /** Re-seals every stored token under the active key; returns how many were rewritten. */
  readonly reencrypt: Effect.Effect<number, StoreError>
}

export const make = (keyring: Keyring): Effect.Effect<RedisSecretVaultService, never, RedisConnection | Scope.Scope> =>
  Effect.gen(function* () {
    const connection = yield* RedisConnection
    const { keys } = connection
    const copy = new Map<string, Redacted.Redacted<string>>()

    yield* connection.onReconnect((info) =>
      info.dataLost && connection.reseedAfterDataLoss
        ? Effect.forEach(
            [...copy],
            ([profile, token]) => connection.runDirect(STORE, (client) => client.hsetnx(keys.secrets, profile, seal(keyring, profile, token))),
            { discard: true }
          )
        : Effect.void
    )

    const get = (profile: string): Effect.Effect<Option.Option<Redacted.Redacted<string>>, StoreError> =>
      connection.run(STORE, (client) => client.hget(keys.secrets, profile)).pipe(
        Effect.flatMap((stored) => {
          if (stored === null) {
            copy.delete(profile)
            return Effect.succeed(Option.none())
          }
          return Effect.map(open(keyring, profile, stored), ({ token }) => {
            copy.set(profile, token)
            return Option.some(token)
          })
        }),
        Effect.catchIf(isOutage, () => Effect.succeed(Option.fromNullable(copy.get(profile))))
      )

    const put = (profile: string, token: Redacted.Redacted<string>) =>
      Effect.zipRight(
        connection.run(STORE, (client) => client.hset(keys.secrets, profile, seal(keyring, profile, token))),
        Effect.sync(() => void copy.set(profile, token))
      )

    const remove = (profile: string) =>
      Effect.zipRight(
        connection.run(STORE, (client) => client.hdel(keys.secrets, profile)),
        Effect.sync(() => void copy.delete(profile))
      )

    const reencrypt = Effect.gen(function* () {
      const all = yield* connection.run(STORE, (client) => client.hgetall(keys.secrets))
      let rewritten = 0
      for (const [profile, stored] of Object.entries(all)) {
        const opened = yield* open(keyring, profile, stored)
        if (opened.kid === keyring.active.kid) continue
        // Compare-and-set: a token replaced meanwhile is left as the newer write made it.
        const done = yield* connection.run(STORE, (client) =>
          evalScript(client, Lua.hashReplaceIfEqual, [keys.secrets], [profile, stored, seal(keyring, profile, opened.token)])
        )
        if (done === 1) rewritten += 1
      }
      return rewritten
    })

    return { get, put, remove, reencrypt }
  })

export class RedisSecretVault extends Context.Tag("@guildpulse/store-redis/RedisSecretVault")<RedisSecretVault, RedisSecretVaultService>() {}

const keyringFrom = (masterKeys: Redacted.Redacted<string>): Effect.Effect<Keyring, ConfigError.ConfigError> =>
  Either.match(parseKeyring(Redacted.value(masterKeys)), {
    onLeft: (message) => Effect.fail(ConfigError.InvalidData(["GUILDPULSE_MASTER_KEYS"], message)),
    onRight: Effect.succeed
  })

/** The vault under both tags: core's `SecretVault` and `RedisSecretVault` (which adds `reencrypt`). */
export const layer = (
  masterKeys: Redacted.Redacted<string>
): Layer.Layer<SecretVault.SecretVault | RedisSecretVault, ConfigError.ConfigError, RedisConnection> =>
  Layer.scopedContext(
    Effect.gen(function* () {
      const service = yield* make(yield* keyringFrom(masterKeys))
      return Context.make(RedisSecretVault, service).pipe(Context.add(SecretVault.SecretVault, service))
    })
  )

export const layerConfig = (
  masterKeys: Config.Config<Redacted.Redacted<string>> = Config.redacted("GUILDPULSE_MASTER_KEYS")
): Layer.Layer<SecretVault.SecretVault | RedisSecretVault, ConfigError.ConfigError, RedisConnection> =>
  Layer.unwrapEffect(Effect.map(masterKeys, layer))
