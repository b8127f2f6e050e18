/**
 * Who is calling: a bearer credential resolved to a `Principal` (a subject, its scopes, the profiles it may
 * see). The bootstrap admin key (`GUILDPULSE_ADMIN_KEY`) is one `Authenticator`; scoped API keys
 * (`gp_<id>_<secret>`, stored hashed) are another that slots in next to it with `anyOf`.
 *
 * Credentials are compared in constant time over SHA-256 digests, so neither the key's content nor its
 * length leaks through timing.
 */
import { createHash, timingSafeEqual } from "node:crypto"
import { ApiKeyRepository, Unauthorized, type StoreError } from "@guildpulse/core"
import { Effect, Redacted } from "effect"

/** Every scope of the HTTP API (docs/architecture.md §5), as core defines them. `*` grants all of them. */
export const scopes: typeof ApiKeyRepository.apiScopes = ApiKeyRepository.apiScopes
export type Scope = (typeof scopes)[number]

export interface Principal {
  /** Who this is, for logs and audit (never the secret). */
  readonly subject: string
  readonly scopes: ReadonlySet<Scope | "*" | (string & {})>
  /** The profiles this principal may see and change; `*` for all. */
  readonly profiles: "*" | ReadonlySet<string>
}

export interface Authenticator {
  /** Resolves a bearer credential; fails with `Unauthorized` when it is not recognised. */
  readonly authenticate: (credential: Redacted.Redacted<string>) => Effect.Effect<Principal, Unauthorized | StoreError>
  /**
   * Optional hot path without an effect: the principal when the credential is recognised from memory alone
   * (`nowMs`: the engine's clock); `undefined` means "run `authenticate`" — never a refusal.
   */
  readonly authenticateSync?: (credential: Redacted.Redacted<string>, nowMs: number) => Principal | undefined
}

export const hasScope = (principal: Principal, scope: string): boolean =>
  principal.scopes.has(scope) || principal.scopes.has("*")

export const canAccessProfile = (principal: Principal, profile: string): boolean =>
  principal.profiles === "*" || principal.profiles.has(profile)

const digest = (value: string): Buffer => createHash("sha256").update(value, "utf8").digest()

/** Constant-time equality of two secrets (compares SHA-256 digests, so lengths do not leak either). */
export const secretsEqual = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b))

const invalid = new Unauthorized({ reason: "invalid_credentials" })

/** The bootstrap admin key: every scope, every profile. */
export const bootstrap = (adminKey: Redacted.Redacted<string>, subject = "bootstrap-admin"): Authenticator => {
  if (Redacted.value(adminKey).length === 0) throw new RangeError("adminKey must not be empty")
  const expected = digest(Redacted.value(adminKey))
  const principal: Principal = { subject, scopes: new Set<string>(["*", ...scopes]), profiles: "*" }
  const matches = (credential: Redacted.Redacted<string>) => timingSafeEqual(digest(Redacted.value(credential)), expected)
  return {
    authenticate: (credential) => Effect.suspend(() => (matches(credential) ? Effect.succeed(principal) : Effect.fail(invalid))),
    authenticateSync: (credential) => (matches(credential) ? principal : undefined)
  }
}

/** Recognises no credential (the admin API is closed when no key is configured). */
export const none: Authenticator = { authenticate: () => Effect.fail(invalid) }

/**
 * Tries each authenticator in order; the first that recognises the credential wins. Store failures are not
 * swallowed (a key store that is down is a 503, not a 401).
 */
export const anyOf = (...authenticators: ReadonlyArray<Authenticator>): Authenticator => {
  if (authenticators.length === 0) return none
  if (authenticators.length === 1) return authenticators[0]!
  // The hot path may only skip authenticators that have one too (the first that recognises still wins).
  const firstWithout = authenticators.findIndex((a) => a.authenticateSync === undefined)
  const syncable = firstWithout === -1 ? authenticators : authenticators.slice(0, firstWithout)
  return {
    authenticate: (credential) =>
      authenticators.slice(1).reduce<Effect.Effect<Principal, Unauthorized | StoreError>>(
        (acc, next) => Effect.catchTag(acc, "Unauthorized", () => next.authenticate(credential)),
        authenticators[0]!.authenticate(credential)
      ),
    ...(syncable.length > 0
      ? {
          authenticateSync: (credential: Redacted.Redacted<string>, nowMs: number) => {
            for (const authenticator of syncable) {
              const principal = authenticator.authenticateSync!(credential, nowMs)
              if (principal !== undefined) return principal
            }
            return undefined
          }
        }
      : {})
  }
}

/** A fixed table of keys → principals; for tests and small deployments (keys compared in constant time). */
export const fromTable = (entries: ReadonlyArray<{ readonly key: Redacted.Redacted<string>; readonly principal: Principal }>): Authenticator => {
  const table = entries.map((entry) => ({ digest: digest(Redacted.value(entry.key)), principal: entry.principal }))
  return {
    authenticate: (credential) =>
      Effect.suspend(() => {
        const candidate = digest(Redacted.value(credential))
        let found: Principal | undefined
        // Every entry is compared, so the position of the match does not leak either.
        for (const entry of table) if (timingSafeEqual(candidate, entry.digest) && found === undefined) found = entry.principal
        return found !== undefined ? Effect.succeed(found) : Effect.fail(invalid)
      })
  }
}

const bearerPattern = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)[ ]*$/i
const MAX_CREDENTIAL_LENGTH = 512

/**
 * Extracts the bearer credential of an `Authorization` header: `undefined` when absent, `null` when present
 * but malformed (wrong scheme, bad characters, too long).
 */
export const parseBearer = (header: string | undefined): Redacted.Redacted<string> | null | undefined => {
  if (header === undefined || header === "") return undefined
  if (header.length > MAX_CREDENTIAL_LENGTH + 16) return null
  const match = bearerPattern.exec(header)
  return match === null ? null : Redacted.make(match[1]!)
}
