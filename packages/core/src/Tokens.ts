/**
 * Use case: the bot token of a profile — set (checked with Discord first, then sealed in the `SecretVault`),
 * validate again, remove, re-encrypt under the active key — and its metadata on the profile
 * (`present, status, rotatedAt, lastValidatedAt, expiresAt?, problem?`).
 *
 * - `set` refuses a token Discord does not accept, or whose bot is not in the profile's guild, with that
 *   reason (`TokenRefused`); nothing is stored then. An accepted token is stored and `rotatedAt` moves.
 * - `revalidateAll` checks every stored token again (a schedule runs it every `revalidateEvery`, 6 h by
 *   default): a refusal makes the status `invalid` with the reason; a token the keyring cannot open is
 *   `invalid` saying which key is missing; Discord being unreachable changes nothing. A token older than
 *   `rotateAfterDays` (90 by default) emits `token.rotation_due` (warn) each round until it is rotated.
 *
 * Tokens never appear in events, errors or metadata; events name the profile and the reason only.
 */
import { Clock, Context, Duration, Effect, Layer, Option, Redacted, Schedule } from "effect"
import { Conflict, ProfileNotFound, type StoreError, type UpstreamError, ValidationError } from "./Errors.js"
import { EventLog } from "./EventLog.js"
import { ProfileKey } from "./Identifiers.js"
import { missingToken, type Profile, type TokenMetadata } from "./Profile.js"
import { ProfileRepository } from "./ProfileRepository.js"
import type { SecretUnreadable } from "./SecretCrypto.js"
import { type ReencryptReport, SecretVault } from "./SecretVault.js"
import { TokenRefused, TokenVerifier } from "./TokenVerifier.js"
import { decode } from "./Validation.js"

export const DEFAULT_ROTATE_AFTER_DAYS = 90
export const DEFAULT_REVALIDATE_EVERY = Duration.hours(6)
/** Longest token GuildPulse accepts (Discord bot tokens are about 70 characters). */
export const MAX_TOKEN_LENGTH = 512

export interface TokensOptions {
  /** Age after which a token is due for rotation (`token.rotation_due`); default 90 days. */
  readonly rotateAfterDays?: number
  /** How often every stored token is checked again; `false`: never on its own. Default 6 hours. */
  readonly revalidateEvery?: Duration.DurationInput | false
}

export interface RevalidationReport {
  readonly checked: number
  readonly valid: ReadonlyArray<string>
  readonly invalid: ReadonlyArray<string>
  /** Discord could not answer: status left as it was. */
  readonly unknown: ReadonlyArray<string>
  readonly rotationDue: ReadonlyArray<string>
}

export class Tokens extends Context.Tag("@guildpulse/core/Tokens")<
  Tokens,
  {
    readonly set: (
      profile: unknown,
      token: Redacted.Redacted<string>
    ) => Effect.Effect<TokenMetadata, ProfileNotFound | ValidationError | TokenRefused | UpstreamError | Conflict | StoreError>
    /** Checks the stored token again and records the outcome; `UpstreamError` when Discord could not answer. */
    readonly validate: (
      profile: unknown
    ) => Effect.Effect<TokenMetadata, ProfileNotFound | ValidationError | UpstreamError | Conflict | StoreError>
    readonly remove: (profile: unknown) => Effect.Effect<TokenMetadata, ProfileNotFound | ValidationError | Conflict | StoreError>
    readonly revalidateAll: Effect.Effect<RevalidationReport, StoreError>
    readonly reencrypt: Effect.Effect<ReencryptReport, StoreError>
  }
>() {}

const decodeKey = decode(ProfileKey, "profile")

const checkToken = (token: Redacted.Redacted<string>): Effect.Effect<void, ValidationError> => {
  const text = Redacted.value(token)
  const problem = text.trim().length === 0
    ? "must not be empty"
    : text.length > MAX_TOKEN_LENGTH
    ? `must be at most ${MAX_TOKEN_LENGTH} characters`
    : /\s/.test(text) ? "must not contain whitespace" : undefined
  return problem === undefined ? Effect.void : Effect.fail(new ValidationError({ issues: [{ field: "token", message: problem }] }))
}

const daysBetween = (fromIso: string | undefined, nowMs: number): number | undefined => {
  const from = fromIso === undefined ? Number.NaN : Date.parse(fromIso)
  return Number.isNaN(from) ? undefined : Math.floor((nowMs - from) / 86_400_000)
}

export const make = (options: TokensOptions = {}) =>
  Effect.gen(function* () {
    const repository = yield* ProfileRepository
    const vault = yield* SecretVault
    const verifier = yield* TokenVerifier
    const events = yield* EventLog
    const rotateAfterDays = options.rotateAfterDays ?? DEFAULT_ROTATE_AFTER_DAYS
    const nowIso = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

    const load = (key: ProfileKey) =>
      Effect.flatMap(repository.get(key), Option.match({
        onNone: () => Effect.fail(new ProfileNotFound({ profile: key })),
        onSome: Effect.succeed
      }))

    /** Writes the token metadata onto the latest version of the profile (re-read on a concurrent change). */
    const writeMetadata = (key: ProfileKey, next: (current: Profile) => TokenMetadata) =>
      Effect.flatMap(load(key), (current) => {
        const token = next(current)
        return Effect.as(repository.put({ ...current, token, version: current.version + 1 }, current.version), token)
      }).pipe(Effect.retry({ times: 3, while: (error) => error instanceof Conflict }))

    const set = (input: unknown, token: Redacted.Redacted<string>) =>
      Effect.gen(function* () {
        const key = yield* decodeKey(input)
        yield* checkToken(token)
        const profile = yield* load(key)
        const bot = yield* verifier.verify(profile.guildId, token).pipe(
          Effect.tapError((error) =>
            events.emit({
              level: "warn",
              type: "token.invalid",
              profile: key,
              outcome: error._tag === "TokenRefused" ? error.reason : "upstream_unavailable",
              message: `token for '${key}' refused before storing: ${error.message}`
            }))
        )
        yield* vault.put(key, token)
        const now = yield* nowIso
        const metadata = yield* writeMetadata(key, (current) => ({
          present: true,
          status: "valid",
          rotatedAt: now,
          lastValidatedAt: now,
          ...(current.token.expiresAt !== undefined ? { expiresAt: current.token.expiresAt } : {})
        }))
        yield* events.emit({ level: "info", type: "token.set", profile: key, message: `token for '${key}' set (bot ${bot.botName})` })
        return metadata
      }).pipe(Effect.withSpan("Tokens.set"))

    type Check =
      | { readonly _tag: "missing" }
      | { readonly _tag: "valid" }
      | { readonly _tag: "invalid"; readonly problem: string; readonly reason: string }
      | { readonly _tag: "unknown"; readonly error: UpstreamError }

    const check = (profile: Profile): Effect.Effect<Check, StoreError> =>
      vault.get(profile.key).pipe(
        Effect.flatMap(Option.match({
          onNone: () => Effect.succeed<Check>({ _tag: "missing" }),
          onSome: (token) =>
            verifier.verify(profile.guildId, token).pipe(
              Effect.as<Check>({ _tag: "valid" }),
              Effect.catchTags({
                TokenRefused: (refused) => Effect.succeed<Check>({ _tag: "invalid", problem: refused.message, reason: refused.reason }),
                UpstreamError: (error) => Effect.succeed<Check>({ _tag: "unknown", error })
              })
            )
        })),
        Effect.catchTag("SecretUnreadable", (error: SecretUnreadable) =>
          Effect.succeed<Check>({ _tag: "invalid", problem: error.message, reason: error.reason }))
      )

    /** Records a check's outcome on the profile and says so in an event; `unknown` records nothing. */
    const record = (key: ProfileKey, outcome: Check) =>
      Effect.gen(function* () {
        const now = yield* nowIso
        switch (outcome._tag) {
          case "missing":
            return yield* writeMetadata(key, () => missingToken)
          case "unknown":
            return (yield* load(key)).token
          case "valid": {
            const metadata = yield* writeMetadata(key, (current) => {
              const { problem: _problem, ...kept } = current.token
              return { ...kept, present: true, status: current.token.status === "expiring" || current.token.status === "expired" ? current.token.status : "valid", lastValidatedAt: now }
            })
            yield* events.emit({ level: "info", type: "token.validated", profile: key, outcome: "valid", message: `token for '${key}' is valid` })
            return metadata
          }
          case "invalid": {
            const metadata = yield* writeMetadata(key, (current) => ({ ...current.token, present: true, status: "invalid", problem: outcome.problem, lastValidatedAt: now }))
            yield* events.emit({ level: "error", type: "token.invalid", profile: key, outcome: outcome.reason, message: `token for '${key}' is invalid: ${outcome.problem}` })
            return metadata
          }
        }
      })

    const validate = (input: unknown) =>
      Effect.gen(function* () {
        const key = yield* decodeKey(input)
        const outcome = yield* check(yield* load(key))
        if (outcome._tag === "unknown") return yield* outcome.error
        return yield* record(key, outcome)
      }).pipe(Effect.withSpan("Tokens.validate"))

    const remove = (input: unknown) =>
      Effect.gen(function* () {
        const key = yield* decodeKey(input)
        yield* load(key)
        yield* vault.remove(key)
        const metadata = yield* writeMetadata(key, () => missingToken)
        yield* events.emit({ level: "info", type: "token.removed", profile: key, message: `token for '${key}' removed` })
        return metadata
      }).pipe(Effect.withSpan("Tokens.remove"))

    const revalidateAll = Effect.gen(function* () {
      const profiles = yield* repository.list
      const nowMs = yield* Clock.currentTimeMillis
      const valid: Array<string> = []
      const invalid: Array<string> = []
      const unknown: Array<string> = []
      const rotationDue: Array<string> = []
      for (const profile of profiles) {
        const outcome = yield* check(profile)
        if (outcome._tag === "missing") {
          if (profile.token.present) yield* Effect.ignore(record(profile.key, outcome))
          continue
        }
        if (outcome._tag === "valid") valid.push(profile.key)
        if (outcome._tag === "invalid") invalid.push(profile.key)
        if (outcome._tag === "unknown") unknown.push(profile.key)
        // A profile deleted meanwhile is simply skipped.
        yield* Effect.ignore(record(profile.key, outcome))
        const age = daysBetween(profile.token.rotatedAt, nowMs)
        if (age !== undefined && age >= rotateAfterDays) {
          rotationDue.push(profile.key)
          yield* events.emit({
            level: "warn",
            type: "token.rotation_due",
            profile: profile.key,
            message: `token for '${profile.key}' was set ${age} days ago (rotate after ${rotateAfterDays}); set a new one`
          })
        }
      }
      return { checked: valid.length + invalid.length + unknown.length, valid, invalid, unknown, rotationDue }
    }).pipe(Effect.withSpan("Tokens.revalidateAll"))

    const reencrypt = Effect.tap(vault.reencrypt, (report) =>
      events.emit({
        level: report.unreadable.length > 0 ? "warn" : "info",
        type: "token.reencrypted",
        outcome: report.unreadable.length > 0 ? "partial" : "ok",
        message: `re-encrypted ${report.rewritten} token(s) under the active key; ${report.unchanged} already were` +
          (report.unreadable.length > 0 ? `; unreadable (key missing or tampered): ${report.unreadable.join(", ")}` : "")
      }))

    return Tokens.of({ set, validate, remove, revalidateAll, reencrypt })
  })

/** The use case, re-validating every stored token on `revalidateEvery` (first round one interval after start). */
export const layer = (
  options: TokensOptions = {}
): Layer.Layer<Tokens, never, ProfileRepository | SecretVault | TokenVerifier | EventLog> =>
  Layer.scoped(
    Tokens,
    Effect.gen(function* () {
      const tokens = yield* make(options)
      if (options.revalidateEvery !== false) {
        const every = Duration.decode(options.revalidateEvery ?? DEFAULT_REVALIDATE_EVERY)
        yield* Effect.forkScoped(
          tokens.revalidateAll.pipe(
            Effect.catchAll((error) => Effect.logWarning(`token re-validation round failed: ${error.message}`)),
            Effect.delay(every),
            Effect.repeat(Schedule.forever)
          )
        )
      }
      return tokens
    })
  )
