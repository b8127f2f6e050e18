/**
 * Port: who changed what. One entry per administrative change (profile created/updated/deleted, token set,
 * key issued/revoked, alert rules replaced): the acting key, the action, the profile, when, from where, and
 * the value before and after — with secrets removed (`withoutSecrets`) before the entry reaches the port.
 * Queried newest first with filters and a cursor; retained by age (`retain`/`layerRetention`: 365 days by
 * default, enforced hourly on every implementation through `prune`).
 */
import { Clock, Context, Duration, Effect, Layer, Option, Schedule, Schema, type Scope } from "effect"
import type { StoreError } from "./Errors.js"
import { ProfileKey } from "./Identifiers.js"

export const AuditEntry = Schema.Struct({
  /** Assigned by the log; increases with every entry; the cursor of a query. */
  id: Schema.String,
  atMs: Schema.Number,
  /** The API key that acted (`bootstrap-admin` for the bootstrap key). */
  keyId: Schema.String,
  /** `<entity>.<verb>`, e.g. `profile.update`, `token.set`, `key.revoke`, `alerts.rules.put`. */
  action: Schema.String.pipe(Schema.pattern(/^[a-z_]+(\.[a-z_]+)+$/)),
  profile: Schema.optional(ProfileKey),
  /** The client address, when known. */
  ip: Schema.optional(Schema.String),
  before: Schema.optional(Schema.Unknown),
  after: Schema.optional(Schema.Unknown)
})
export type AuditEntry = typeof AuditEntry.Type
export type AuditInput = Omit<AuditEntry, "id">

export interface AuditQuery {
  readonly keyId?: string
  /** An action, or an entity prefix (`profile` matches `profile.update`). */
  readonly action?: string
  readonly profile?: ProfileKey
  /** Inclusive. */
  readonly sinceMs?: number
  /** Inclusive. */
  readonly untilMs?: number
  readonly limit?: number
  /** Entries older than this cursor (an entry id); pages go from newest to oldest. */
  readonly cursor?: string
}

export interface AuditPage {
  readonly entries: ReadonlyArray<AuditEntry>
  readonly nextCursor: Option.Option<string>
}

export class AuditLog extends Context.Tag("@guildpulse/core/AuditLog")<
  AuditLog,
  {
    /** Appends an entry; returns it with its id. */
    readonly append: (entry: AuditInput) => Effect.Effect<AuditEntry, StoreError>
    readonly query: (query: AuditQuery) => Effect.Effect<AuditPage, StoreError>
    /** Drops entries recorded before `beforeMs`; returns how many went. */
    readonly prune: (beforeMs: number) => Effect.Effect<number, StoreError>
  }
>() {}

export const DEFAULT_QUERY_LIMIT = 100
export const MAX_QUERY_LIMIT = 1000
/** A year: long enough to answer "who changed this last spring". */
export const DEFAULT_RETENTION_MS = 365 * 86_400_000

/** How often retention runs by default: hourly (entries live at most an hour past their retention). */
export const DEFAULT_RETENTION_EVERY_MS = 3_600_000

export interface RetentionOptions {
  /** How long entries are kept (default `DEFAULT_RETENTION_MS`, 365 days). */
  readonly maxAgeMs?: number
  /** How often old entries are dropped (default hourly; the first run is at start). */
  readonly everyMs?: number
}

/**
 * Retention by age: drops the entries older than `maxAgeMs` (by Effect's `Clock`) at once and then every
 * `everyMs`, for as long as the scope lasts. A failed run is logged and retried at the next one.
 */
export const retain = (options: RetentionOptions = {}): Effect.Effect<void, never, AuditLog | Scope.Scope> =>
  Effect.gen(function* () {
    const log = yield* AuditLog
    const maxAgeMs = options.maxAgeMs ?? DEFAULT_RETENTION_MS
    const everyMs = options.everyMs ?? DEFAULT_RETENTION_EVERY_MS
    if (!(maxAgeMs > 0) || !(everyMs > 0)) return yield* Effect.dieMessage("AuditLog.retain: maxAgeMs and everyMs must be positive")
    const once = Effect.flatMap(Clock.currentTimeMillis, (nowMs) => log.prune(nowMs - maxAgeMs)).pipe(
      Effect.tap((dropped) => (dropped > 0 ? Effect.logDebug(`audit retention dropped ${dropped} entries`) : Effect.void)),
      Effect.catchAll((error) => Effect.logWarning(`audit retention failed, retrying at the next run: ${error.message}`))
    )
    yield* Effect.forkScoped(Effect.repeat(once, Schedule.spaced(Duration.millis(everyMs))))
  })

/** `retain` as a layer next to an `AuditLog`. */
export const layerRetention = (options?: RetentionOptions): Layer.Layer<never, never, AuditLog> => Layer.scopedDiscard(retain(options))

/** The page size a query asks for, clamped to `[1, MAX_QUERY_LIMIT]` (pure, shared by implementations). */
export const limitOf = (query: AuditQuery): number => Math.min(Math.max(1, Math.floor(query.limit ?? DEFAULT_QUERY_LIMIT)), MAX_QUERY_LIMIT)

/** The filter of `query`, cursor aside (pure, shared by implementations). */
export const matches = (entry: AuditEntry, query: AuditQuery): boolean =>
  (query.keyId === undefined || entry.keyId === query.keyId) &&
  (query.action === undefined || entry.action === query.action || entry.action.startsWith(`${query.action}.`)) &&
  (query.profile === undefined || entry.profile === query.profile) &&
  (query.sinceMs === undefined || entry.atMs >= query.sinceMs) &&
  (query.untilMs === undefined || entry.atMs <= query.untilMs)

const secretName = /(token|secret|password|passphrase|authorization|apikey|api_key|hash|credential|private_?key)/i

/**
 * A copy of a JSON-like value without the fields whose names say they hold secrets (`token`, `secret`,
 * `password`, `hash`, `authorization`…), at any depth. What the caller passes as `before`/`after`.
 */
export const withoutSecrets = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(withoutSecrets)
  if (value === null || typeof value !== "object") return value
  const out: Record<string, unknown> = {}
  for (const [name, field] of Object.entries(value)) if (!secretName.test(name)) out[name] = withoutSecrets(field)
  return out
}

/** Ids of the memory log: zero-padded so that they order as strings. */
const idOf = (seq: number): string => String(seq).padStart(12, "0")

export const makeMemory = Effect.sync(() => {
  const entries: Array<AuditEntry> = []
  let seq = 0
  return AuditLog.of({
    append: (input) =>
      Effect.sync(() => {
        seq += 1
        const entry: AuditEntry = { ...input, id: idOf(seq) }
        entries.push(entry)
        return entry
      }),
    query: (q) =>
      Effect.sync(() => {
        const limit = limitOf(q)
        const out: Array<AuditEntry> = []
        for (let i = entries.length - 1; i >= 0 && out.length <= limit; i--) {
          const entry = entries[i] as AuditEntry
          if (q.cursor !== undefined && entry.id >= q.cursor) continue
          if (matches(entry, q)) out.push(entry)
        }
        const page = out.slice(0, limit)
        const last = page[page.length - 1]
        return { entries: page, nextCursor: out.length > limit && last !== undefined ? Option.some(last.id) : Option.none() }
      }),
    prune: (beforeMs) =>
      Effect.sync(() => {
        const before = entries.length
        const kept = entries.filter((e) => e.atMs >= beforeMs)
        entries.splice(0, entries.length, ...kept)
        return before - kept.length
      })
  })
})

export const layerMemory: Layer.Layer<AuditLog> = Layer.effect(AuditLog, makeMemory)
