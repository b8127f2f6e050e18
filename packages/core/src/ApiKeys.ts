/**
 * Use case: scoped API keys. A key reads `gp_<id>_<secret>`; the secret is returned once, at creation, and
 * only a slow salted hash of it is stored (`ApiKeyCrypto`). Verification compares in constant time and keeps a
 * small cache of recently verified keys (by a fast digest of the credential), so the hot path costs one map lookup
 * instead of a slow hash. Keys carry scopes (or a role: a named set of scopes), an optional profile allow-list,
 * an optional expiry, can be revoked, and count their uses.
 *
 * Hot path: a verification inside the cache TTL reads no store and writes none — its use (count, last time)
 * is added to a pending batch written with one `recordUse` per key at the first use after `flushEveryMs`,
 * before every listing, and when the layer's scope closes (shutdown). A crash loses at most that interval's
 * counts, never a key or a revocation. Revocation through this instance applies at once; through another
 * instance sharing the store, within `cacheTtlMs` (the cross-instance bound). Expiry is checked every time.
 *
 * A key that manages keys (`keys:admin`) cannot hand out more than it has: the scopes of a key it creates,
 * lists or revokes are a subset of its own, and so are the profiles.
 */
import { Clock, Context, Effect, Layer, Option, Redacted, Schema } from "effect"
import { ApiKeyCrypto, constantTimeEqual } from "./ApiKeyCrypto.js"
import { ApiKeyRepository, ApiScope, apiScopes, unusableReason, type ApiKey, type ApiKeyId } from "./ApiKeyRepository.js"
import { Forbidden, Unauthorized, ValidationError, type Conflict, type StoreError } from "./Errors.js"
import { ProfileKey } from "./Identifiers.js"
import * as Validation from "./Validation.js"

/** Named scope sets. */
export const roles = {
  viewer: ["profiles:read", "health:read", "events:read", "metrics:read", "analytics:read"],
  editor: ["profiles:read", "health:read", "events:read", "metrics:read", "analytics:read", "profiles:write", "profiles:refresh", "tokens:write"],
  admin: [...apiScopes]
} as const satisfies Record<string, ReadonlyArray<(typeof apiScopes)[number]>>
export const Role = Schema.Literal("viewer", "editor", "admin")
export type Role = typeof Role.Type

const isoInstant = Schema.String.pipe(
  Schema.filter((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)), {
    message: () => "must be an ISO 8601 instant such as 2027-01-01T00:00:00Z"
  })
)

export const CreateKeyInput = Schema.Struct({
  name: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(100)),
  /** A role (its scopes are added to `scopes`). */
  role: Schema.optional(Role),
  scopes: Schema.optional(Schema.Array(ApiScope).pipe(Schema.maxItems(32))),
  /** Limit the key to these profiles (absent: every profile). */
  profiles: Schema.optional(Schema.Array(ProfileKey).pipe(Schema.minItems(1), Schema.maxItems(1000))),
  expiresAt: Schema.optional(isoInstant)
})
export type CreateKeyInput = typeof CreateKeyInput.Type

/** What a caller is allowed (a `Principal` fits): keys it manages stay within it. */
export interface Grant {
  readonly scopes: ReadonlySet<string>
  readonly profiles: "*" | ReadonlySet<string>
}

/** A key without its hash: what lists and answers show. */
export type ApiKeyView = Omit<ApiKey, "hash">

export interface VerifiedKey {
  readonly id: ApiKeyId
  readonly scopes: ReadonlyArray<string>
  readonly profiles: ReadonlyArray<string> | undefined
}

export interface ApiKeysOptions {
  /** How long a verified key is trusted without reading the store again (default 30 s). Revocations made in this process apply at once. */
  readonly cacheTtlMs?: number
  /** Most keys kept verified (default 1,000). */
  readonly cacheSize?: number
  /** Uses are batched and written at most this often (default 5 s); 0 writes each use at once. */
  readonly flushEveryMs?: number
}

export const ID_LENGTH = 16
export const SECRET_LENGTH = 40
const credentialPattern = /^gp_([A-Za-z0-9]{8,32})_([A-Za-z0-9]{16,128})$/

export const viewOf = (key: ApiKey): ApiKeyView => {
  const { hash: _hash, ...view } = key
  return view
}

const grantsScope = (grant: Grant, scope: string) => grant.scopes.has("*") || grant.scopes.has(scope)

/** Whether `grant` covers everything `key` may do (scopes and profiles). */
export const covers = (grant: Grant, key: { readonly scopes: ReadonlyArray<string>; readonly profiles?: ReadonlyArray<string> | undefined }): boolean =>
  key.scopes.every((s) => grantsScope(grant, s)) &&
  (grant.profiles === "*" || (key.profiles !== undefined && key.profiles.every((p) => (grant.profiles as ReadonlySet<string>).has(p))))

const invalid = new Unauthorized({ reason: "invalid_credentials" })

export class ApiKeys extends Context.Tag("@guildpulse/core/ApiKeys")<
  ApiKeys,
  {
    /** Issues a key; the secret (`gp_<id>_<secret>`) is in the answer and nowhere else. */
    readonly create: (
      input: unknown,
      issuer?: Grant
    ) => Effect.Effect<{ readonly key: ApiKeyView; readonly secret: Redacted.Redacted<string> }, ValidationError | Forbidden | Conflict | StoreError>
    /** Keys the issuer covers (all without an issuer), oldest first. */
    readonly list: (issuer?: Grant) => Effect.Effect<ReadonlyArray<ApiKeyView>, StoreError>
    /** Revokes a key the issuer covers; none when unknown or not covered. */
    readonly revoke: (id: string, issuer?: Grant) => Effect.Effect<Option.Option<ApiKeyView>, StoreError>
    /** Checks a bearer credential; counts the use (batched, see `flush`). */
    readonly verify: (credential: Redacted.Redacted<string>) => Effect.Effect<VerifiedKey, Unauthorized | StoreError>
    /**
     * The hot path without running an effect: the key when `credential` is a cached key (within the TTL,
     * usable at `nowMs`, no flush due), its use counted; `undefined` means "call `verify`" (which also gives
     * the precise failure). Never fails and never reads the store.
     */
    readonly verifyCached: (credential: Redacted.Redacted<string>, nowMs: number) => VerifiedKey | undefined
    /** Writes the pending use counts now (the layer does it on shutdown). */
    readonly flush: Effect.Effect<void, StoreError>
  }
>() {}

const decodeInput = Validation.decode(CreateKeyInput)

export const make = (options: ApiKeysOptions = {}) =>
  Effect.gen(function*() {
    const repo = yield* ApiKeyRepository
    const crypto = yield* ApiKeyCrypto
    const ttl = options.cacheTtlMs ?? 30_000
    const size = Math.max(1, options.cacheSize ?? 1000)
    const cache = new Map<string, { readonly digest: string; readonly key: ApiKey; readonly atMs: number; readonly verified: VerifiedKey }>()
    // Verifying an unknown id costs the same slow hash as a known one (no timing oracle for ids).
    const dummyHash = yield* Effect.cached(crypto.hash(Redacted.make("guildpulse-dummy-secret-0000")))
    const flushEveryMs = Math.max(0, options.flushEveryMs ?? 5_000)
    /** Uses not yet written: per key, how many and the latest time. */
    let pending = new Map<ApiKeyId, { count: number; lastMs: number }>()
    let lastFlushMs = yield* Clock.currentTimeMillis

    const flush: Effect.Effect<void, StoreError> = Effect.suspend(() => {
      if (pending.size === 0) return Effect.void
      const batch = pending
      pending = new Map()
      return Effect.forEach(batch, ([id, use]) => repo.recordUse(id, use.lastMs, use.count), { discard: true }).pipe(
        // A failed write keeps its counts for the next flush (merged with the uses seen meanwhile).
        Effect.tapError(() =>
          Effect.sync(() => {
            for (const [id, use] of batch) {
              const now = pending.get(id)
              pending.set(id, now === undefined ? use : { count: now.count + use.count, lastMs: Math.max(now.lastMs, use.lastMs) })
            }
          })
        )
      )
    })

    const addPending = (id: ApiKeyId, nowMs: number) => {
      const use = pending.get(id)
      if (use === undefined) pending.set(id, { count: 1, lastMs: nowMs })
      else {
        use.count += 1
        if (nowMs > use.lastMs) use.lastMs = nowMs
      }
    }
    const flushDue = (nowMs: number) => nowMs - lastFlushMs >= flushEveryMs || nowMs < lastFlushMs

    const recordUse = (id: ApiKeyId, nowMs: number): Effect.Effect<void, StoreError> => {
      if (flushEveryMs === 0) return repo.recordUse(id, nowMs)
      addPending(id, nowMs)
      if (!flushDue(nowMs)) return Effect.void
      lastFlushMs = nowMs
      // Counting is statistics: a store failure here must not refuse a valid key.
      return Effect.catchAll(flush, (error) => Effect.logWarning(`API key use counts could not be written, keeping them for the next flush: ${error.message}`))
    }

    const remember = (id: string, digest: string, key: ApiKey, atMs: number) => {
      cache.delete(id)
      if (cache.size >= size) {
        const oldest = cache.keys().next()
        if (oldest.done !== true) cache.delete(oldest.value)
      }
      cache.set(id, { digest, key, atMs, verified: { id: key.id, scopes: key.scopes, profiles: key.profiles } })
    }

    const create = (raw: unknown, issuer?: Grant) =>
      Effect.gen(function*() {
        const input = yield* decodeInput(raw)
        const nowMs = yield* Clock.currentTimeMillis
        const scopes = [...new Set<ApiScope>([...(input.role !== undefined ? roles[input.role] : []), ...(input.scopes ?? [])])]
        if (scopes.length === 0) {
          return yield* Effect.fail(new ValidationError({ issues: [{ field: "scopes", message: "give at least one scope, or a role (viewer, editor, admin)" }] }))
        }
        const expiresAtMs = input.expiresAt === undefined ? undefined : Date.parse(input.expiresAt)
        if (expiresAtMs !== undefined && expiresAtMs <= nowMs) {
          return yield* Effect.fail(new ValidationError({ issues: [{ field: "expiresAt", message: "must be in the future" }] }))
        }
        const profiles = input.profiles === undefined ? undefined : [...new Set(input.profiles)]
        if (issuer !== undefined) {
          const missing = scopes.filter((s) => !grantsScope(issuer, s))
          if (missing.length > 0) {
            return yield* Effect.fail(new Forbidden({ reason: "missing_scope", detail: `A key cannot grant scopes it lacks: ${missing.join(", ")}.` }))
          }
          if (!covers({ scopes: new Set(["*"]), profiles: issuer.profiles }, { scopes: [], profiles })) {
            return yield* Effect.fail(new Forbidden({ reason: "profile_not_allowed", detail: "A key limited to some profiles can only create keys limited to those profiles (give 'profiles')." }))
          }
        }
        const id = (yield* crypto.randomId(ID_LENGTH)) as ApiKeyId
        const secret = Redacted.make(yield* crypto.randomId(SECRET_LENGTH))
        const key: ApiKey = {
          id,
          name: input.name,
          ...(input.role !== undefined ? { role: input.role } : {}),
          hash: yield* crypto.hash(secret),
          scopes,
          ...(profiles !== undefined ? { profiles } : {}),
          createdAtMs: nowMs,
          ...(expiresAtMs !== undefined ? { expiresAtMs } : {}),
          useCount: 0
        }
        yield* repo.create(key)
        return { key: viewOf(key), secret: Redacted.make(`gp_${id}_${Redacted.value(secret)}`) }
      })

    const list = (issuer?: Grant) =>
      Effect.map(Effect.zipRight(Effect.ignore(flush), repo.list), (keys) => keys.filter((k) => issuer === undefined || covers(issuer, k)).map(viewOf))

    const revoke = (id: string, issuer?: Grant) =>
      Effect.gen(function*() {
        if (!/^[A-Za-z0-9]{8,32}$/.test(id)) return Option.none<ApiKeyView>()
        const current = yield* repo.get(id as ApiKeyId)
        if (Option.isNone(current) || (issuer !== undefined && !covers(issuer, current.value))) return Option.none<ApiKeyView>()
        const nowMs = yield* Clock.currentTimeMillis
        const revoked = yield* repo.revoke(id as ApiKeyId, nowMs)
        cache.delete(id)
        return Option.map(revoked, viewOf)
      })

    const verify = (credential: Redacted.Redacted<string>) =>
      Effect.gen(function*() {
        const match = credentialPattern.exec(Redacted.value(credential))
        if (match === null) return yield* Effect.fail(invalid)
        const id = match[1] as ApiKeyId
        const secret = Redacted.make(match[2] as string)
        const nowMs = yield* Clock.currentTimeMillis
        // The whole credential is digested (id and secret), so the hot path below reuses the caller's Redacted.
        const digest = crypto.digest(credential)
        const cached = cache.get(id)
        const known = cached !== undefined && constantTimeEqual(cached.digest, digest) ? cached : undefined
        let key: ApiKey | undefined
        if (known !== undefined && nowMs - known.atMs < ttl && nowMs >= known.atMs) {
          key = known.key
        } else if (known !== undefined) {
          // Past the TTL: read the key again (revocation elsewhere shows); the secret was already verified
          // against this very hash, so no slow hash again unless the stored hash changed.
          const stored = yield* repo.get(id)
          if (Option.isSome(stored) && stored.value.hash === known.key.hash) {
            key = stored.value
            remember(id, digest, key, nowMs)
          }
        }
        if (key === undefined) {
          const stored = yield* repo.get(id)
          const ok = yield* crypto.verify(secret, Option.isSome(stored) ? stored.value.hash : yield* dummyHash)
          if (Option.isNone(stored) || !ok) {
            cache.delete(id)
            return yield* Effect.fail(invalid)
          }
          key = stored.value
          remember(id, digest, key, nowMs)
        }
        const unusable = unusableReason(key, nowMs)
        if (unusable !== undefined) return yield* Effect.fail(new Unauthorized({ reason: unusable }))
        yield* recordUse(id, nowMs)
        return cache.get(id)?.verified ?? ({ id, scopes: key.scopes, profiles: key.profiles } satisfies VerifiedKey)
      })

    const verifyCached = (credential: Redacted.Redacted<string>, nowMs: number): VerifiedKey | undefined => {
      if (flushEveryMs === 0 || flushDue(nowMs)) return undefined
      const match = credentialPattern.exec(Redacted.value(credential))
      if (match === null) return undefined
      const entry = cache.get(match[1] as string)
      if (entry === undefined || !(nowMs - entry.atMs < ttl && nowMs >= entry.atMs)) return undefined
      if (!constantTimeEqual(entry.digest, crypto.digest(credential))) return undefined
      if (unusableReason(entry.key, nowMs) !== undefined) return undefined
      addPending(entry.key.id, nowMs)
      return entry.verified
    }

    return ApiKeys.of({ create, list, revoke, verify, verifyCached, flush })
  })

/** `ApiKeys` whose pending use counts are written when the layer's scope closes. */
export const layer = (options?: ApiKeysOptions): Layer.Layer<ApiKeys, never, ApiKeyRepository | ApiKeyCrypto> =>
  Layer.scoped(
    ApiKeys,
    Effect.tap(make(options), (keys) =>
      Effect.addFinalizer(() => Effect.catchAll(keys.flush, (error) => Effect.logWarning(`API key use counts could not be written at shutdown: ${error.message}`)))
    )
  )
