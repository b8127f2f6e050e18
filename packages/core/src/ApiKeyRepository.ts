/**
 * Port: scoped API keys, stored hashed. A key reads `gp_<id>_<secret>`; only a hash of the secret is kept
 * (the `ApiKeyCrypto` implementation picks the slow hash — scrypt in adapter-express — and compares in constant time).
 * The repository never sees a secret.
 */
import { Context, Effect, Layer, Option, Schema } from "effect"
import { Conflict } from "./Errors.js"
import type { StoreError } from "./Errors.js"
import { ProfileKey } from "./Identifiers.js"

/** Every scope of the HTTP API. `*` grants all of them, including scopes added later. */
export const apiScopes = [
  "profiles:read",
  "profiles:write",
  "profiles:refresh",
  "events:read",
  "tokens:write",
  "metrics:read",
  "health:read",
  "analytics:read",
  "keys:admin",
  "audit:read",
  "alerts:write"
] as const
export const ApiScope = Schema.Literal(...apiScopes, "*")
export type ApiScope = typeof ApiScope.Type

/** The public part of a key (`gp_<id>_…`): 8–32 characters of a-z, A-Z, 0-9. */
export const ApiKeyId = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9]{8,32}$/, { message: () => "must be 8-32 characters of a-z, A-Z or 0-9" }),
  Schema.brand("ApiKeyId")
)
export type ApiKeyId = typeof ApiKeyId.Type

export const ApiKey = Schema.Struct({
  id: ApiKeyId,
  /** What the operator calls it ("wordpress site", "grafana"). */
  name: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(100)),
  /** A free-form role for people reading the key list ("viewer", "operator"); scopes decide access. */
  role: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(64))),
  /** Hash of the secret, as the issuing adapter computed it (never the secret). */
  hash: Schema.String.pipe(Schema.minLength(16), Schema.maxLength(256)),
  scopes: Schema.Array(ApiScope),
  /** The profiles this key may see and change; absent means every profile. */
  profiles: Schema.optional(Schema.Array(ProfileKey)),
  createdAtMs: Schema.Number,
  expiresAtMs: Schema.optional(Schema.Number),
  revokedAtMs: Schema.optional(Schema.Number),
  lastUsedAtMs: Schema.optional(Schema.Number),
  useCount: Schema.Int.pipe(Schema.nonNegative())
})
export type ApiKey = typeof ApiKey.Type

/** Why a key cannot be used at `nowMs`, or `undefined` when it can (pure). */
export const unusableReason = (key: ApiKey, nowMs: number): "revoked" | "expired" | undefined =>
  key.revokedAtMs !== undefined && key.revokedAtMs <= nowMs
    ? "revoked"
    : key.expiresAtMs !== undefined && key.expiresAtMs <= nowMs
      ? "expired"
      : undefined

export class ApiKeyRepository extends Context.Tag("@guildpulse/core/ApiKeyRepository")<
  ApiKeyRepository,
  {
    /** Stores a new key; fails with `Conflict` (`already_exists`) when the id is taken. */
    readonly create: (key: ApiKey) => Effect.Effect<void, Conflict | StoreError>
    readonly get: (id: ApiKeyId) => Effect.Effect<Option.Option<ApiKey>, StoreError>
    /** Every key, oldest first. */
    readonly list: Effect.Effect<ReadonlyArray<ApiKey>, StoreError>
    /** Marks a key revoked at `atMs` (an earlier revocation is kept); the key as stored, none when unknown. */
    readonly revoke: (id: ApiKeyId, atMs: number) => Effect.Effect<Option.Option<ApiKey>, StoreError>
    /**
     * Counts `count` uses (default 1), the latest at `atMs` (atomically: concurrent calls all count; the
     * latest time wins). `ApiKeys` batches uses and calls this once per key per flush.
     */
    readonly recordUse: (id: ApiKeyId, atMs: number, count?: number) => Effect.Effect<void, StoreError>
    /** Removes a key; false when it did not exist. */
    readonly delete: (id: ApiKeyId) => Effect.Effect<boolean, StoreError>
  }
>() {}

export const makeMemory = (initial: ReadonlyArray<ApiKey> = []) =>
  Effect.sync(() => {
    const keys = new Map<ApiKeyId, ApiKey>(initial.map((k) => [k.id, k]))
    return ApiKeyRepository.of({
      create: (key) =>
        Effect.suspend(() => {
          if (keys.has(key.id)) return Effect.fail(new Conflict({ reason: "already_exists", entity: "api_key", key: key.id }))
          keys.set(key.id, key)
          return Effect.void
        }),
      get: (id) => Effect.sync(() => Option.fromNullable(keys.get(id))),
      list: Effect.sync(() => [...keys.values()].sort((a, b) => a.createdAtMs - b.createdAtMs || a.id.localeCompare(b.id))),
      revoke: (id, atMs) =>
        Effect.sync(() => {
          const current = keys.get(id)
          if (current === undefined) return Option.none()
          const next = current.revokedAtMs !== undefined ? current : { ...current, revokedAtMs: atMs }
          keys.set(id, next)
          return Option.some(next)
        }),
      recordUse: (id, atMs, count = 1) =>
        Effect.sync(() => {
          const current = keys.get(id)
          if (current === undefined) return
          keys.set(id, { ...current, useCount: current.useCount + count, lastUsedAtMs: Math.max(atMs, current.lastUsedAtMs ?? 0) })
        }),
      delete: (id) => Effect.sync(() => keys.delete(id))
    })
  })

export const layerMemory = (initial?: ReadonlyArray<ApiKey>): Layer.Layer<ApiKeyRepository> =>
  Layer.effect(ApiKeyRepository, makeMemory(initial))
