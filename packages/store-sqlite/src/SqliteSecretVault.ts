/**
 * `SecretVault` on the database file, encrypted at rest and durable: a token is sealed (AES-256-GCM envelope,
 * `SecretCrypto` of core) and committed before `put` returns; only ciphertexts reach the file.
 *
 * Keys: `GUILDPULSE_MASTER_KEYS` (`kid:base64key,…`, first is active) when given. Without it the store makes
 * a key of its own on first start, `<dataDir>/master.key` (mode 0600), and says so: the database file alone
 * (a backup, a stolen copy) then does not reveal tokens; keep that key file with your backups, or set
 * `GUILDPULSE_MASTER_KEYS`. `reencrypt` re-seals every token under the active key after a rotation.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Config, ConfigError, Context, Effect, Layer, Option, Redacted, Scope } from "effect"
import { SecretCrypto, SecretVault, StoreError } from "@guildpulse/core"
import { SqliteDatabase } from "./SqliteDatabase.js"

const STORE = "secrets"
export const KEY_FILE = "master.key"

/** The vault; `reencrypt` is part of core's port. Kept as a tag of its own for existing callers. */
export type SqliteSecretVaultService = Context.Tag.Service<SecretVault.SecretVault>

export class SqliteSecretVault extends Context.Tag("@guildpulse/store-sqlite/SqliteSecretVault")<SqliteSecretVault, SqliteSecretVaultService>() {}

export const make = (keyring: SecretCrypto.Keyring): Effect.Effect<SqliteSecretVaultService, never, SqliteDatabase | Scope.Scope> =>
  Effect.gen(function* () {
    const database = yield* SqliteDatabase
    const select = database.db.prepare("SELECT envelope FROM secrets WHERE profile = ?").raw(true)
    const selectAll = database.db.prepare("SELECT profile, envelope FROM secrets").raw(true)
    const upsert = database.db.prepare("INSERT INTO secrets (profile, envelope) VALUES (?, ?) ON CONFLICT (profile) DO UPDATE SET envelope = excluded.envelope")
    const replace = database.db.prepare("UPDATE secrets SET envelope = ? WHERE profile = ? AND envelope = ?")
    const remove = database.db.prepare("DELETE FROM secrets WHERE profile = ?")

    const get = (profile: string) =>
      Effect.flatMap(
        database.read(STORE, () => select.get(profile) as [string] | undefined),
        (row) => (row === undefined ? Effect.succeed(Option.none()) : Effect.map(SecretCrypto.open(keyring, profile, row[0]), ({ token }) => Option.some(token)))
      )

    const reencrypt = Effect.flatMap(
      database.read(STORE, () => selectAll.all() as Array<[string, string]>),
      (rows) =>
        SecretVault.reencryptAll(keyring, rows, (profile, previous, next) =>
          // Compare-and-set: a token replaced meanwhile is left as the newer write made it.
          Effect.map(database.write(STORE, () => replace.run(next, profile, previous)), (result) => result.changes === 1)
        )
    )

    return {
      get,
      put: (profile, token) =>
        Effect.flatMap(SecretCrypto.seal(keyring, profile, token), (envelope) => Effect.asVoid(database.write(STORE, () => upsert.run(profile, envelope)))),
      remove: (profile) => Effect.asVoid(database.write(STORE, () => remove.run(profile))),
      reencrypt
    }
  })

/** The data directory's own key file, created (mode 0600) on first use. */
const localKeyring = Effect.gen(function* () {
  const database = yield* SqliteDatabase
  const path = join(database.dataDir, KEY_FILE)
  const text = yield* Effect.try({
    try: () => {
      if (existsSync(path)) return { text: readFileSync(path, "utf8").trim(), created: false }
      const created = Effect.runSync(SecretCrypto.generateKeyringText("local1"))
      writeFileSync(path, created + "\n", { mode: 0o600, flag: "wx" })
      return { text: created, created: true }
    },
    catch: (error) => new StoreError({ reason: "unavailable", store: STORE, message: `cannot read or create ${path}: ${String(error)}` })
  })
  if (text.created) {
    yield* Effect.logWarning(`GUILDPULSE_MASTER_KEYS not set: bot tokens are encrypted with a key made for this data directory, ${path}; keep it with your backups`)
  }
  return yield* Effect.mapError(SecretCrypto.keyringFrom(Redacted.make(text.text)), (error) =>
    new StoreError({ reason: "corrupt", store: STORE, message: `${path}: ${String(error)}` })
  )
})

/** The vault under both tags: core's `SecretVault` and `SqliteSecretVault` (which adds `reencrypt`). */
export const layer = (
  masterKeys?: Redacted.Redacted<string>
): Layer.Layer<SecretVault.SecretVault | SqliteSecretVault, ConfigError.ConfigError | StoreError, SqliteDatabase> =>
  Layer.scopedContext(
    Effect.gen(function* () {
      const keyring = masterKeys !== undefined ? yield* SecretCrypto.keyringFrom(masterKeys) : yield* localKeyring
      const service = yield* make(keyring)
      return Context.make(SqliteSecretVault, service).pipe(Context.add(SecretVault.SecretVault, service))
    })
  )

/**
 * The master keys read with Effect `Config` (a `Config.Config.Wrap`): `GUILDPULSE_MASTER_KEYS` when set by default;
 * no keys (`undefined`) means the data directory's key file.
 */
export const layerConfig = (
  config: Config.Config.Wrap<{ readonly masterKeys?: Redacted.Redacted<string> | undefined }> = {
    masterKeys: Config.option(Config.redacted("GUILDPULSE_MASTER_KEYS")).pipe(Config.map(Option.getOrUndefined))
  }
): Layer.Layer<SecretVault.SecretVault | SqliteSecretVault, ConfigError.ConfigError | StoreError, SqliteDatabase> =>
  Layer.unwrapEffect(
    Effect.map(Config.unwrap<{ readonly masterKeys?: Redacted.Redacted<string> | undefined }>(config), ({ masterKeys }) => layer(masterKeys))
  )
