/**
 * `SecretVault` on the database file, encrypted at rest and durable: a token is sealed (AES-256-GCM, see
 * `internal/crypto.ts`) and committed before `put` returns; only ciphertexts reach the file.
 *
 * Keys: `GUILDPULSE_MASTER_KEYS` (`kid:base64key,…`, first is active) when given. Without it the store makes
 * a key of its own on first start, `<dataDir>/master.key` (mode 0600), and says so: the database file alone
 * (a backup, a stolen copy) then does not reveal tokens; keep that key file with your backups, or set
 * `GUILDPULSE_MASTER_KEYS`. `reencrypt` re-seals every token under the active key after a rotation.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Config, ConfigError, Context, Effect, Either, Layer, Option, Redacted, Scope } from "effect"
import { SecretVault, StoreError } from "@guildpulse/core"
import { generateKeyringText, open, parseKeyring, seal, type Keyring } from "./internal/crypto.js"
import { SqliteDatabase } from "./SqliteDatabase.js"

const STORE = "secrets"
export const KEY_FILE = "master.key"

export interface SqliteSecretVaultService extends Context.Tag.Service<SecretVault.SecretVault> {
  /** Re-seals every stored token under the active key; returns how many were rewritten. */
  readonly reencrypt: Effect.Effect<number, StoreError>
}

export class SqliteSecretVault extends Context.Tag("@guildpulse/store-sqlite/SqliteSecretVault")<SqliteSecretVault, SqliteSecretVaultService>() {}

export const make = (keyring: Keyring): Effect.Effect<SqliteSecretVaultService, never, SqliteDatabase | Scope.Scope> =>
  Effect.gen(function* () {
    const database = yield* SqliteDatabase
    const select = database.db.prepare("SELECT envelope FROM secrets WHERE profile = ?").raw(true)
    const selectAll = database.db.prepare("SELECT profile, envelope FROM secrets").raw(true)
    const upsert = database.db.prepare("INSERT INTO secrets (profile, envelope) VALUES (?, ?) ON CONFLICT (profile) DO UPDATE SET envelope = excluded.envelope")
    const remove = database.db.prepare("DELETE FROM secrets WHERE profile = ?")
    const opened = (profile: string, envelope: string) =>
      Either.match(open(keyring, profile, envelope), {
        onLeft: (problem) => Effect.fail(new StoreError({ reason: "corrupt", store: STORE, message: `secret of '${profile}': ${problem}` })),
        onRight: Effect.succeed
      })

    const get = (profile: string) =>
      Effect.flatMap(
        database.read(STORE, () => select.get(profile) as [string] | undefined),
        (row) => (row === undefined ? Effect.succeed(Option.none()) : Effect.map(opened(profile, row[0]), ({ token }) => Option.some(token)))
      )

    const reencrypt = Effect.gen(function* () {
      const rows = yield* database.read(STORE, () => selectAll.all() as Array<[string, string]>)
      const rewrites: Array<readonly [string, string]> = []
      for (const [profile, envelope] of rows) {
        const { kid, token } = yield* opened(profile, envelope)
        if (kid !== keyring.active.kid) rewrites.push([profile, seal(keyring, profile, token)])
      }
      yield* database.write(STORE, () => {
        for (const [profile, envelope] of rewrites) upsert.run(profile, envelope)
      })
      return rewrites.length
    })

    return {
      get,
      put: (profile, token) => Effect.asVoid(database.write(STORE, () => upsert.run(profile, seal(keyring, profile, token)))),
      remove: (profile) => Effect.asVoid(database.write(STORE, () => remove.run(profile))),
      reencrypt
    }
  })

const keyringFrom = (text: Redacted.Redacted<string>): Effect.Effect<Keyring, ConfigError.ConfigError> =>
  Either.match(parseKeyring(Redacted.value(text)), {
    onLeft: (message) => Effect.fail(ConfigError.InvalidData(["GUILDPULSE_MASTER_KEYS"], message)),
    onRight: Effect.succeed
  })

/** The data directory's own key file, created (mode 0600) on first use. */
const localKeyring = Effect.gen(function* () {
  const database = yield* SqliteDatabase
  const path = join(database.dataDir, KEY_FILE)
  const text = yield* Effect.try({
    try: () => {
      if (existsSync(path)) return { text: readFileSync(path, "utf8").trim(), created: false }
      const created = generateKeyringText("local1")
      writeFileSync(path, created + "\n", { mode: 0o600, flag: "wx" })
      return { text: created, created: true }
    },
    catch: (error) => new StoreError({ reason: "unavailable", store: STORE, message: `cannot read or create ${path}: ${String(error)}` })
  })
  if (text.created) {
    yield* Effect.logWarning(`GUILDPULSE_MASTER_KEYS not set: bot tokens are encrypted with a key made for this data directory, ${path}; keep it with your backups`)
  }
  return yield* Effect.mapError(keyringFrom(Redacted.make(text.text)), (error) =>
    new StoreError({ reason: "corrupt", store: STORE, message: `${path}: ${String(error)}` })
  )
})

/** The vault under both tags: core's `SecretVault` and `SqliteSecretVault` (which adds `reencrypt`). */
export const layer = (
  masterKeys?: Redacted.Redacted<string>
): Layer.Layer<SecretVault.SecretVault | SqliteSecretVault, ConfigError.ConfigError | StoreError, SqliteDatabase> =>
  Layer.scopedContext(
    Effect.gen(function* () {
      const keyring = masterKeys !== undefined ? yield* keyringFrom(masterKeys) : yield* localKeyring
      const service = yield* make(keyring)
      return Context.make(SqliteSecretVault, service).pipe(Context.add(SecretVault.SecretVault, service))
    })
  )

/** `GUILDPULSE_MASTER_KEYS` when set, else the data directory's key file. */
export const layerConfig = (
  masterKeys: Config.Config<Option.Option<Redacted.Redacted<string>>> = Config.option(Config.redacted("GUILDPULSE_MASTER_KEYS"))
): Layer.Layer<SecretVault.SecretVault | SqliteSecretVault, ConfigError.ConfigError | StoreError, SqliteDatabase> =>
  Layer.unwrapEffect(Effect.map(masterKeys, (keys) => layer(Option.getOrUndefined(keys))))
