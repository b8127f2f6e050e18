/**
 * `SecretVault` on Redis, encrypted at rest: each bot token is sealed with AES-256-GCM under the active key of
 * a keyring (`GUILDPULSE_MASTER_KEYS` = `kid:base64key,…`, first is active; `SecretCrypto` of core) and stored
 * in the hash `<prefix>secrets` as `{v, kid, iv, tag, ct}`. The profile key is bound as additional authenticated data, so a
 * ciphertext copied onto another profile does not open. Older keys stay in the ring to read what they sealed;
 * `reencrypt` rewrites every token under the active key (rotation), after which an old key can be retired.
 *
 * Tokens are `Redacted` everywhere and never appear in errors or logs. While Redis is unreachable, reads are
 * answered from the in-process copy; writes fail with `StoreError("unavailable")`.
 */
import { Config, ConfigError, Context, Effect, Layer, Option, Redacted, Scope } from "effect"
import { SecretCrypto, SecretVault, StoreError } from "@guildpulse/core"
import { evalScript, isOutage, RedisConnection } from "./RedisConnection.js"
import * as Lua from "./internal/lua.js"

const STORE = "secrets"

/** The vault; `reencrypt` is part of core's port. Kept as a tag of its own for existing callers. */
export type RedisSecretVaultService = Context.Tag.Service<SecretVault.SecretVault>

export const make = (keyring: SecretCrypto.Keyring): Effect.Effect<RedisSecretVaultService, never, RedisConnection | Scope.Scope> =>
  Effect.gen(function* () {
    const connection = yield* RedisConnection
    const { keys } = connection
    const copy = new Map<string, Redacted.Redacted<string>>()

    yield* connection.onReconnect((info) =>
      info.dataLost && connection.reseedAfterDataLoss
        ? Effect.forEach(
            [...copy],
            ([profile, token]) =>
              Effect.flatMap(SecretCrypto.seal(keyring, profile, token), (envelope) =>
                connection.runDirect(STORE, (client) => client.hsetnx(keys.secrets, profile, envelope))),
            { discard: true }
          )
        : Effect.void
    )

    const get = (profile: string): Effect.Effect<Option.Option<Redacted.Redacted<string>>, StoreError | SecretCrypto.SecretUnreadable> =>
      connection.run(STORE, (client) => client.hget(keys.secrets, profile)).pipe(
        Effect.catchIf(isOutage, () => Effect.succeed(undefined)),
        Effect.flatMap((stored) => {
          // undefined: Redis is unreachable — answer from the in-process copy.
          if (stored === undefined) return Effect.succeed(Option.fromNullable(copy.get(profile)))
          if (stored === null) {
            copy.delete(profile)
            return Effect.succeed(Option.none())
          }
          return Effect.map(SecretCrypto.open(keyring, profile, stored), ({ token }) => {
            copy.set(profile, token)
            return Option.some(token)
          })
        })
      )

    const put = (profile: string, token: Redacted.Redacted<string>) =>
      Effect.flatMap(SecretCrypto.seal(keyring, profile, token), (envelope) =>
        Effect.zipRight(
          connection.run(STORE, (client) => client.hset(keys.secrets, profile, envelope)),
          Effect.sync(() => void copy.set(profile, token))
        ))

    const remove = (profile: string) =>
      Effect.zipRight(
        connection.run(STORE, (client) => client.hdel(keys.secrets, profile)),
        Effect.sync(() => void copy.delete(profile))
      )

    const reencrypt = Effect.flatMap(
      connection.run(STORE, (client) => client.hgetall(keys.secrets)),
      (all) =>
        SecretVault.reencryptAll(keyring, Object.entries(all), (profile, previous, next) =>
          // Compare-and-set: a token replaced meanwhile is left as the newer write made it.
          Effect.map(
            connection.run(STORE, (client) => evalScript(client, Lua.hashReplaceIfEqual, [keys.secrets], [profile, previous, next])),
            (done) => done === 1
          )
        )
    )

    return { get, put, remove, reencrypt }
  })

export class RedisSecretVault extends Context.Tag("@guildpulse/store-redis/RedisSecretVault")<RedisSecretVault, RedisSecretVaultService>() {}

/** The vault under both tags: core's `SecretVault` and `RedisSecretVault` (which adds `reencrypt`). */
export const layer = (
  masterKeys: Redacted.Redacted<string>
): Layer.Layer<SecretVault.SecretVault | RedisSecretVault, ConfigError.ConfigError, RedisConnection> =>
  Layer.scopedContext(
    Effect.gen(function* () {
      const service = yield* make(yield* SecretCrypto.keyringFrom(masterKeys))
      return Context.make(RedisSecretVault, service).pipe(Context.add(SecretVault.SecretVault, service))
    })
  )

/** The master keys read with Effect `Config` (a `Config.Config.Wrap`); `GUILDPULSE_MASTER_KEYS` by default. */
export const layerConfig = (
  config: Config.Config.Wrap<{ readonly masterKeys: Redacted.Redacted<string> }> = { masterKeys: Config.redacted("GUILDPULSE_MASTER_KEYS") }
): Layer.Layer<SecretVault.SecretVault | RedisSecretVault, ConfigError.ConfigError, RedisConnection> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap<{ readonly masterKeys: Redacted.Redacted<string> }>(config), ({ masterKeys }) => layer(masterKeys)))
