/**
 * One refresh round for a profile: ask every active source (through the circuit breaker, with retry and a
 * per-attempt timeout), merge the answers with the previous snapshot, store the result, say what happened.
 *
 * Single flight: concurrent refreshes of one profile share one round in this process (`SingleFlight`) and
 * across processes (a `Lock` lease; the losers wait for the winner's snapshot).
 */
import { Clock, Context, Duration, Effect, Layer, Metric, Option, Random } from "effect"
import type { Scope } from "effect"
import type { Redacted } from "effect"
import { CircuitBreaker } from "./CircuitBreaker.js"
import * as CoreMetrics from "./CoreMetrics.js"
import { ProfileNotFound, UpstreamError } from "./Errors.js"
import type { CircuitOpen, StoreError, ValidationError } from "./Errors.js"
import { EventLog } from "./EventLog.js"
import { headlineFields, type SourceStats, type UpstreamSource } from "./GuildStats.js"
import type { ProfileKey } from "./Identifiers.js"
import { Lock } from "./Lock.js"
import { merge, resolvePriority } from "./Merge.js"
import { activeSources, type Profile } from "./Profile.js"
import { ProfileRepository } from "./ProfileRepository.js"
import { decide, defaultRefreshPolicy, type RefreshPolicyOptions, type RoundOutcome, type SourceAvailability } from "./RefreshPolicy.js"
import * as RetryPolicy from "./RetryPolicy.js"
import { SecretVault } from "./SecretVault.js"
import * as SingleFlight from "./SingleFlight.js"
import { orderReasons, reportReasons, type Snapshot, type SourceReport } from "./Snapshot.js"
import { SnapshotStore } from "./SnapshotStore.js"
import { StatsSource } from "./StatsSource.js"
import * as Validation from "./Validation.js"
import { isServable } from "./StatsView.js"

export interface RefresherOptions {
  readonly retry: RetryPolicy.RetryPolicyOptions
  /** When the next round is due after this one (shared with every scheduler). */
  readonly policy: RefreshPolicyOptions
  /** Lease length of the cross-process refresh lock; longer than the slowest round. */
  readonly lockLeaseMs: number
  /** How often a process that lost the lock looks for the winner's snapshot. */
  readonly lockPollMs: number
  /** Times a process competes for the lease before refreshing without it. */
  readonly lockAttempts: number
}

export const defaultRefresherOptions: RefresherOptions = {
  retry: RetryPolicy.defaultRetryPolicy,
  policy: defaultRefreshPolicy,
  lockLeaseMs: 30_000,
  lockPollMs: 100,
  lockAttempts: 3
}

/**
 * What a caller saw when it decided that a round is needed. A round stored since then — by this process or
 * another one sharing the stores — answers it: no second upstream call. Without it, only a round that
 * started after the call counts (a manual refresh, `bypassCache`).
 */
export interface RoundWanted {
  /** `attemptedAtMs` of the snapshot the caller saw; `null` when it saw none. */
  readonly seenAttemptedAtMs: number | null
}

/** A round that stored its snapshot, as `onRound` listeners see it. */
export interface CompletedRound {
  readonly profile: Profile
  readonly snapshot: Snapshot
  /** This round's successful answers (a demo answer has `origin: "demo"`); carried values are not among them. */
  readonly results: ReadonlyArray<SourceStats>
}

export class Refresher extends Context.Tag("@guildpulse/core/Refresher")<
  Refresher,
  {
    /** Refreshes a profile by key now (joining a round already running). */
    readonly refresh: (profile: ProfileKey) => Effect.Effect<Snapshot, ProfileNotFound | ValidationError | StoreError>
    /** Same, for a profile already loaded; `wanted` says which snapshot made the caller ask. */
    readonly refreshProfile: (profile: Profile, wanted?: RoundWanted) => Effect.Effect<Snapshot, StoreError>
    /** Starts a background round unless one is running; returns at once. */
    readonly revalidate: (profile: Profile, wanted?: RoundWanted) => Effect.Effect<void>
    readonly isRefreshing: (profile: ProfileKey) => boolean
    /**
     * Calls `listener` after every round this process stores (not one discarded by the fence), inline, until
     * the scope closes; a listener's failure is logged and never fails the round (analytics recording).
     */
    readonly onRound: (listener: (round: CompletedRound) => Effect.Effect<void>) => Effect.Effect<void, never, Scope.Scope>
  }
>() {}

type SourceOutcome =
  | { readonly _tag: "ok"; readonly stats: SourceStats; readonly report: SourceReport }
  | { readonly _tag: "failed"; readonly report: SourceReport; readonly message: string }
  | { readonly _tag: "skipped"; readonly report: SourceReport }

const upstreamCounter = (source: string, outcome: string, statusClass: string) =>
  Metric.tagged(Metric.tagged(Metric.tagged(CoreMetrics.upstreamRequests, "source", source), "outcome", outcome), "status_class", statusClass)

/** Failures that mean the source is misconfigured (not coming back by itself soon). */
const misconfigurationReasons: ReadonlySet<string> = new Set(["unauthorized", "forbidden", "widget_disabled", "unknown_guild", "unknown_invite"])

const roundVerb: Record<Exclude<RoundOutcome, "ok">, string> = {
  failed: "refresh failed",
  skipped: "refresh skipped: every usable source is waiting for its circuit",
  parked: "refresh parked: no usable source"
}

const statusClass = (status: number | undefined): string => (status === undefined ? "none" : `${Math.floor(status / 100)}xx`)

export const make = (overrides: Partial<RefresherOptions> = {}) =>
  Effect.gen(function* () {
    const options: RefresherOptions = { ...defaultRefresherOptions, ...overrides }
    const sources = yield* StatsSource
    const snapshots = yield* SnapshotStore
    const profiles = yield* ProfileRepository
    const vault = yield* SecretVault
    const breaker = yield* CircuitBreaker
    const lock = yield* Lock
    const events = yield* EventLog
    const flights = yield* SingleFlight.make
    const retrySchedule = RetryPolicy.schedule(options.retry)
    const listeners = new Set<(round: CompletedRound) => Effect.Effect<void>>()

    const attempt = (profile: Profile, source: UpstreamSource, token: Redacted.Redacted<string> | undefined) =>
      sources.fetch({ source, profile, token }).pipe(
        Effect.timeoutFail({
          duration: Duration.millis(options.retry.attemptTimeoutMs),
          onTimeout: () =>
            new UpstreamError({ source, reason: "timeout", message: `no answer within ${options.retry.attemptTimeoutMs} ms` })
        })
      )

    const fetchSource = (profile: Profile, source: UpstreamSource, token: Option.Option<Redacted.Redacted<string>>) =>
      Effect.gen(function* () {
        const startedAt = yield* Clock.currentTimeMillis
        if (source === "bot" && Option.isNone(token)) {
          return {
            _tag: "skipped",
            report: { source, ok: false, atMs: startedAt, error: "token_missing" }
          } satisfies SourceOutcome as SourceOutcome
        }
        let attempts = 0
        const call = Effect.suspend(() => {
          attempts += 1
          return attempt(profile, source, Option.getOrUndefined(token))
        }).pipe(Effect.retry(retrySchedule))
        const result = yield* breaker
          .protect({ profile: profile.key, source, profileVersion: profile.version }, call)
          .pipe(Effect.either)
        const endedAt = yield* Clock.currentTimeMillis
        const durationMs = endedAt - startedAt
        if (result._tag === "Right") {
          yield* Metric.increment(upstreamCounter(source, "ok", "2xx"))
          yield* Metric.update(Metric.tagged(CoreMetrics.upstreamDuration, "source", source), durationMs / 1000)
          yield* events.emit({
            level: "debug", type: "upstream.request", profile: profile.key, source, outcome: "ok", durationMs, attempt: attempts,
            message: `${source} answered in ${durationMs} ms`
          })
          return {
            _tag: "ok",
            stats: result.right,
            report: { source, ok: true, atMs: result.right.fetchedAtMs, durationMs, attempts }
          } satisfies SourceOutcome as SourceOutcome
        }
        const error: UpstreamError | CircuitOpen = result.left
        if (error._tag === "CircuitOpen") {
          return {
            _tag: "failed",
            message: `circuit ${error.state} for ${error.retryAfterMs} ms`,
            report: {
              source, ok: false, atMs: endedAt, error: "circuit_open", retryAfterMs: error.retryAfterMs,
              ...(error.reason !== undefined ? { cause: error.reason } : {})
            }
          } satisfies SourceOutcome as SourceOutcome
        }
        yield* Metric.increment(upstreamCounter(source, error.reason, statusClass(error.status)))
        yield* Metric.update(Metric.tagged(CoreMetrics.upstreamDuration, "source", source), durationMs / 1000)
        yield* events.emit({
          level: "warn", type: "upstream.request", profile: profile.key, source, outcome: error.reason, durationMs, attempt: attempts,
          ...(error.status !== undefined ? { status: error.status } : {}),
          ...(error.discordCode !== undefined ? { discordCode: error.discordCode } : {}),
          ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
          message: `${source} failed: ${error.reason}: ${error.message}`
        })
        return {
          _tag: "failed",
          message: error.message,
          report: {
            source, ok: false, atMs: endedAt, durationMs, attempts, error: error.reason,
            ...(error.status !== undefined ? { status: error.status } : {}),
            ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {})
          }
        } satisfies SourceOutcome as SourceOutcome
      }).pipe(Effect.withSpan(`upstream.${source}`, { attributes: { profile: profile.key, source } }))

    /** A round; `fencing` is the token of the lease it runs under (none when it runs without the lock). */
    const runRound = (profile: Profile, fencing?: number) =>
      Effect.gen(function* () {
        const startedAt = yield* Clock.currentTimeMillis
        const previous = yield* snapshots.get(profile.key)
        const active = activeSources(profile)
        // A token the keyring cannot open (key removed, tampered) counts as no token: the other sources still run.
        const token = active.includes("bot")
          ? yield* vault.get(profile.key).pipe(
              Effect.catchTag("SecretUnreadable", (error) =>
                Effect.as(Effect.logWarning(error.message), Option.none<Redacted.Redacted<string>>()))
            )
          : Option.none()
        const outcomes = yield* Effect.forEach(active, (source) => fetchSource(profile, source, token), { concurrency: "unbounded" })
        const now = yield* Clock.currentTimeMillis
        const prev = Option.filter(previous, (s) => s.guildId === profile.guildId && isServable(s, profile, now))
        const successes = outcomes.flatMap((o) => (o._tag === "ok" ? [o.stats] : []))
        const failures = outcomes.flatMap((o) => (o._tag === "failed" ? [o] : []))
        const merged = merge({
          results: successes,
          previous: Option.getOrUndefined(prev),
          nowMs: now,
          maxStaleSeconds: profile.refresh.maxStaleSeconds,
          priority: resolvePriority(profile.priority),
          inviteCode: profile.inviteCode,
          ttlSeconds: profile.refresh.ttlSeconds,
          misconfigured: new Set(failures.flatMap((f) => {
            const reason = f.report.error === "circuit_open" ? f.report.cause : f.report.error
            return reason !== undefined && misconfigurationReasons.has(reason) ? [f.report.source] : []
          }))
        })
        const headlineRefreshed = successes.some((s) => headlineFields.some((f) => s.fields[f] !== undefined))
        // Sent: some source got past its circuit (a refusal by the circuit or a missing token sends nothing).
        const sent = outcomes.some((o) => o._tag === "ok" || (o._tag === "failed" && o.report.error !== "circuit_open"))
        const availability = yield* Effect.forEach(active, (source) =>
          source === "bot" && Option.isNone(token)
            ? Effect.succeed<SourceAvailability>({ _tag: "Unusable" })
            : Effect.map(
                breaker.availability({ profile: profile.key, source, profileVersion: profile.version }),
                (a): SourceAvailability => (a.misconfigured ? { _tag: "Misconfigured", atMs: a.atMs } : { _tag: "Usable", atMs: a.atMs })
              ))
        const previousOfProfile = Option.filter(previous, (s) => s.guildId === profile.guildId)
        // A usable source only refused by its circuit (open, throttled): come back for it as soon as it may be tried.
        const refusedAt = active.flatMap((_source, i) => {
          const a = availability[i]
          const o = outcomes[i]
          return o !== undefined && o._tag === "failed" && o.report.error === "circuit_open" && a?._tag === "Usable" ? [a.atMs] : []
        })
        const decision = decide({
          nowMs: now,
          startedAtMs: startedAt,
          ttlSeconds: profile.refresh.ttlSeconds,
          previousFailures: Option.match(previousOfProfile, { onNone: () => 0, onSome: (s) => s.consecutiveFailures }),
          plannedAtMs: Option.match(previousOfProfile, { onNone: () => undefined, onSome: (s) => s.nextRefreshAtMs }),
          refreshed: headlineRefreshed,
          sent,
          sources: availability,
          incompleteRetryAtMs: refusedAt.length > 0 ? Math.min(...refusedAt) : undefined,
          random01: yield* Random.next
        }, options.policy)
        const failedRound = decision.outcome !== "ok"
        const consecutiveFailures = decision.consecutiveFailures
        const retryAfterMs = failures.reduce<number | undefined>(
          (max, f) => (f.report.retryAfterMs === undefined ? max : Math.max(max ?? 0, f.report.retryAfterMs)), undefined)
        const delayMs = decision.nextAtMs - now
        const reasons = orderReasons(failures.flatMap((f) => reportReasons(f.report)))
        const lastFailure = failures[0]
        const snapshot: Snapshot = {
          profile: profile.key,
          guildId: profile.guildId,
          fields: merged.fields,
          provenance: merged.provenance,
          sources: outcomes.map((o) => o.report),
          attemptedAtMs: now,
          ...(successes.length > 0
            ? { lastSuccessAtMs: now }
            : Option.match(previous, { onNone: () => ({}), onSome: (s) => (s.lastSuccessAtMs !== undefined ? { lastSuccessAtMs: s.lastSuccessAtMs } : {}) })),
          ...(lastFailure !== undefined
            ? { lastError: { reason: lastFailure.report.error ?? "upstream_error", message: lastFailure.message, atMs: now } }
            : Option.match(previous, { onNone: () => ({}), onSome: (s) => (s.lastError !== undefined ? { lastError: s.lastError } : {}) })),
          consecutiveFailures,
          nextRefreshAtMs: now + delayMs,
          reasons,
          profileVersion: profile.version,
          round: decision.outcome
        }
        const stored = yield* snapshots.put(snapshot, fencing === undefined ? undefined : { fencing })
        if (stored === "fenced") {
          // Our lease expired during the round and a newer holder stored its snapshot: theirs stands.
          yield* events.emit({
            level: "warn", type: "refresh.skipped", profile: profile.key, durationMs: now - startedAt,
            message: `refresh discarded: the lock lease expired during the round (${now - startedAt} ms) and a newer round stored its snapshot`
          })
          const newer = yield* snapshots.get(profile.key)
          return Option.getOrElse(newer, () => snapshot)
        }
        const outcome = failedRound ? decision.outcome : failures.length > 0 ? "partial" : "ok"
        yield* Metric.increment(Metric.tagged(CoreMetrics.refreshJobs, "outcome", outcome))
        if (merged.fields.online !== undefined) yield* Metric.set(Metric.tagged(CoreMetrics.guildOnline, "profile", profile.key), merged.fields.online)
        if (merged.fields.members !== undefined) yield* Metric.set(Metric.tagged(CoreMetrics.guildMembers, "profile", profile.key), merged.fields.members)
        yield* events.emit({
          level: failedRound ? "warn" : "info",
          type: decision.outcome === "skipped" ? "refresh.skipped" : failedRound ? "refresh.failed" : "refresh.succeeded",
          profile: profile.key,
          outcome,
          durationMs: now - startedAt,
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
          message: failedRound
            ? `${roundVerb[decision.outcome]} (${reasons.join(", ") || "no source answered"}); next attempt in ${Math.round(delayMs / 1000)} s`
            : `refreshed from ${successes.map((s) => s.source).join(", ")}${failures.length > 0 ? `; failing: ${failures.map((f) => `${f.report.source} (${f.report.error})`).join(", ")}` : ""}`
        })
        if (listeners.size > 0) {
          const round: CompletedRound = { profile, snapshot, results: successes }
          for (const listener of listeners) {
            yield* Effect.catchAllCause(listener(round), (cause) => Effect.logWarning("a round listener failed", cause))
          }
        }
        return snapshot
      }).pipe(Effect.withSpan("Refresher.round", { attributes: { profile: profile.key } }))

    /** Waits for another process's round: returns its snapshot once it answers the wish, or none on timeout. */
    const awaitOtherRound = (profile: Profile, since: number, answers: (snapshot: Snapshot) => boolean) =>
      Effect.gen(function* () {
        const deadline = since + options.lockLeaseMs
        while ((yield* Clock.currentTimeMillis) < deadline) {
          yield* Effect.sleep(Duration.millis(options.lockPollMs))
          const current = yield* snapshots.get(profile.key)
          if (Option.isSome(current) && answers(current.value)) return current
        }
        return Option.none<Snapshot>()
      })

    const lockedRound = (profile: Profile, wanted?: RoundWanted): Effect.Effect<Snapshot, StoreError> =>
      Effect.gen(function* () {
        const since = yield* Clock.currentTimeMillis
        // A round stored after what the caller saw answers it, however late (a busy process may take long
        // between reading the snapshot and getting here); without that, only a round started since the call.
        const answers = (snapshot: Snapshot, strict: boolean): boolean =>
          wanted === undefined
            ? strict ? snapshot.attemptedAtMs > since : snapshot.attemptedAtMs >= since
            : snapshot.guildId === profile.guildId && (wanted.seenAttemptedAtMs === null || snapshot.attemptedAtMs > wanted.seenAttemptedAtMs)
        // A lease holder that dies leaves the lease to expire: waiters then compete for it again, a few times.
        for (let attempt = 0; attempt < options.lockAttempts; attempt++) {
          const lease = yield* lock.acquire(`refresh:${profile.key}`, options.lockLeaseMs)
          if (Option.isSome(lease)) {
            // Another instance may have finished a round between our wish and our lease: use it.
            const current = yield* snapshots.get(profile.key)
            if (Option.isSome(current) && answers(current.value, true)) {
              yield* Effect.ignore(lock.release(lease.value))
              return current.value
            }
            return yield* runRound(profile, lease.value.fencing).pipe(Effect.ensuring(Effect.ignore(lock.release(lease.value))))
          }
          yield* events.emit({ level: "debug", type: "refresh.skipped", profile: profile.key, message: "another instance is refreshing; waiting for its snapshot" })
          const theirs = yield* awaitOtherRound(profile, since, (snapshot) => answers(snapshot, false))
          if (Option.isSome(theirs)) return theirs.value
        }
        return yield* runRound(profile)
      })

    const refreshProfile = (profile: Profile, wanted?: RoundWanted) => flights.run(profile.key, lockedRound(profile, wanted))

    return Refresher.of({
      refresh: (key) =>
        Effect.gen(function* () {
          const profile = yield* profiles.get(yield* Validation.profileKey(key))
          if (Option.isNone(profile)) return yield* new ProfileNotFound({ profile: key })
          return yield* refreshProfile(profile.value)
        }).pipe(Effect.withSpan("Refresher.refresh", { attributes: { profile: key } })),
      refreshProfile,
      // Same effect type as `refreshProfile`, so a caller joining a background round gets its snapshot.
      revalidate: (profile, wanted) => flights.start(profile.key, lockedRound(profile, wanted)),
      isRefreshing: flights.inFlight,
      onRound: (listener) =>
        Effect.acquireRelease(Effect.sync(() => void listeners.add(listener)), () => Effect.sync(() => void listeners.delete(listener)))
    })
  })

export const layer = (
  options?: Partial<RefresherOptions>
): Layer.Layer<
  Refresher,
  never,
  StatsSource | SnapshotStore | ProfileRepository | SecretVault | CircuitBreaker | Lock | EventLog
> => Layer.scoped(Refresher, make(options))
