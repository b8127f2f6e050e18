/**
 * When to refresh next — the pure scheduling policy shared by the `Refresher` (which writes the decision into
 * the snapshot as `nextRefreshAtMs`) and every `RefreshScheduler` (memory, BullMQ), so they all behave alike:
 *
 * - after a round that refreshed a headline field: `ttl × (1 − lead) × (1 ± jitter)` — ahead of expiry; or, when
 *   a usable source was refused by its circuit, as soon as that circuit lets the source be tried; or, when a
 *   misconfigured source's next probe comes sooner, at that probe (a few extra rounds in its first hour, then at
 *   most one an hour), so a fix on Discord's side shows within a probe interval, not a probe interval plus a ttl;
 * - after the n-th failed round in a row: `min(30 s × 2^(n−1), max(ttl, 15 min))` ±20 %, never before a usable
 *   source may be tried again (its `retryAfter`, its circuit's half-open time) and at the EARLIEST time any
 *   usable source may be tried: a misconfigured source (probed 30 s after, doubling up to hourly) never holds the others back;
 * - a round that sent nothing because every usable circuit was open or throttled is *skipped*: it neither grows
 *   the backoff nor counts as a failure; the next attempt is when the first usable source may be tried;
 * - a failed round run before its planned time (a manual refresh) does not grow the backoff either: the plan
 *   stays (or moves later only as far as a circuit demands);
 * - a profile none of whose sources is usable (every one misconfigured, or the bot without a token) is
 *   *parked*: probed when its first misconfigured circuit allows (30 s after, doubling up to hourly), and at once when the profile changes.
 *
 * Transient failures never park (dead-letter) a profile: they retry at the capped interval for as long as they
 * last. The consequence (and the recovery goal): once Discord answers again, a profile whose fault was shorter
 * than about `ttl + 30 s` of backoff is fresh again within `ttl + 30 s` without any operator action.
 */

export interface RefreshPolicyOptions {
  /** Refresh this fraction of the ttl before expiry. */
  readonly lead: number
  /** ± spread applied to the success delay, so profiles do not refresh in lock-step. */
  readonly jitter: number
  /** First failure backoff (doubles with every further failed round). */
  readonly backoffBaseMs: number
  /** The backoff is capped at `max(ttl, backoffCapMs)`. */
  readonly backoffCapMs: number
  /** ± spread applied to the failure backoff. */
  readonly backoffJitter: number
  /** How often a parked profile (nothing usable) is probed when no circuit says otherwise. */
  readonly parkedProbeMs: number
}

export const defaultRefreshPolicy: RefreshPolicyOptions = {
  lead: 0.1,
  jitter: 0.1,
  backoffBaseMs: 30_000,
  backoffCapMs: 15 * 60_000,
  backoffJitter: 0.2,
  parkedProbeMs: 60 * 60_000
}

/** Delay after a successful refresh: `ttl × (1 − lead) × (1 ± jitter)` — always before expiry. */
export const successDelayMs = (
  ttlSeconds: number,
  random01: number,
  policy: RefreshPolicyOptions = defaultRefreshPolicy
): number => Math.round(ttlSeconds * 1000 * (1 - policy.lead) * (1 - policy.jitter + 2 * policy.jitter * random01))

/** The un-jittered backoff after the `failures`-th failed round in a row: `min(30 s × 2^(n−1), max(ttl, 15 min))`. */
export const backoffMs = (
  ttlSeconds: number,
  failures: number,
  policy: RefreshPolicyOptions = defaultRefreshPolicy
): number =>
  Math.min(
    policy.backoffBaseMs * Math.pow(2, Math.max(0, Math.min(failures, 40) - 1)),
    Math.max(ttlSeconds * 1000, policy.backoffCapMs)
  )

/** The backoff with its ±jitter applied (`random01` uniform in [0, 1)). */
export const failureDelayMs = (
  ttlSeconds: number,
  failures: number,
  random01: number,
  policy: RefreshPolicyOptions = defaultRefreshPolicy
): number => Math.round(backoffMs(ttlSeconds, failures, policy) * (1 - policy.backoffJitter + 2 * policy.backoffJitter * random01))

/** When a source may next be tried, as its circuit says after the round. */
export type SourceAvailability =
  /** A source that can answer once its circuit lets it (now when closed). */
  | { readonly _tag: "Usable"; readonly atMs: number }
  /** Misconfigured (widget off, unknown guild, bad token, foreign invite): probed at `atMs` (30 s after, doubling up to hourly). */
  | { readonly _tag: "Misconfigured"; readonly atMs: number }
  /** Cannot be called at all (the bot without a token). */
  | { readonly _tag: "Unusable" }

/**
 * What a round was:
 * - `ok`: a headline field was refreshed;
 * - `failed`: something was sent, no headline field came back;
 * - `skipped`: nothing was sent — every usable source was refused by its circuit (open or throttled);
 * - `parked`: no source is usable (every one misconfigured or unusable).
 */
export type RoundOutcome = "ok" | "failed" | "skipped" | "parked"

export interface RoundInput {
  readonly nowMs: number
  /** When the round started: compared with `plannedAtMs` to tell a scheduled round from an early one. */
  readonly startedAtMs: number
  readonly ttlSeconds: number
  /** Failed rounds in a row before this one. */
  readonly previousFailures: number
  /** The attempt planned before this round (the previous snapshot's `nextRefreshAtMs`), if any. */
  readonly plannedAtMs: number | undefined
  /** A headline field (online, members) came back in this round. */
  readonly refreshed: boolean
  /** At least one request was sent (some source got past its circuit). */
  readonly sent: boolean
  /** Every active source after the round. */
  readonly sources: ReadonlyArray<SourceAvailability>
  /**
   * After a round in which a usable source was refused by its circuit (open, throttled): the earliest time such
   * a source may be tried — the next round comes then rather than a ttl later, so a profile recovering from an
   * outage is whole again as soon as it can be.
   */
  readonly incompleteRetryAtMs?: number | undefined
  readonly random01: number
}

export interface RoundDecision {
  readonly outcome: RoundOutcome
  /** Failed rounds in a row after this one (what the next backoff grows from). */
  readonly consecutiveFailures: number
  readonly nextAtMs: number
}

/** The decision after a round (pure). */
export const decide = (input: RoundInput, policy: RefreshPolicyOptions = defaultRefreshPolicy): RoundDecision => {
  const { nowMs } = input
  if (input.refreshed) {
    const aheadOfExpiry = nowMs + successDelayMs(input.ttlSeconds, input.random01, policy)
    // A misconfigured source's next probe falls between two rounds: the round comes then, or a probe due a
    // second after a round would wait a whole ttl more (a fixed widget or token showing as broken that long).
    const probes = input.sources.flatMap((s) => (s._tag === "Misconfigured" && s.atMs > nowMs ? [s.atMs] : []))
    const retries = input.incompleteRetryAtMs === undefined ? probes : [Math.max(nowMs, input.incompleteRetryAtMs), ...probes]
    const nextAtMs = retries.length === 0 ? aheadOfExpiry : Math.min(aheadOfExpiry, ...retries)
    return { outcome: "ok", consecutiveFailures: 0, nextAtMs }
  }
  const usable = input.sources.flatMap((s) => (s._tag === "Usable" ? [s.atMs] : []))
  if (usable.length === 0) {
    const probes = input.sources.flatMap((s) => (s._tag === "Misconfigured" ? [s.atMs] : []))
    const probeAt = probes.length > 0 ? Math.min(...probes) : nowMs + policy.parkedProbeMs
    return { outcome: "parked", consecutiveFailures: input.previousFailures, nextAtMs: Math.max(nowMs, probeAt) }
  }
  const earliestUsable = Math.max(nowMs, Math.min(...usable))
  const early = input.plannedAtMs !== undefined && input.startedAtMs < input.plannedAtMs
  if (!input.sent) {
    // Skipped: nothing was asked, nothing learnt. Keep the plan; go when the first usable source may be tried.
    const plan = early ? input.plannedAtMs! : nowMs
    return { outcome: "skipped", consecutiveFailures: input.previousFailures, nextAtMs: Math.max(plan, earliestUsable) }
  }
  if (early && input.previousFailures > 0) {
    // A manual refresh during a backoff: it confirms the fault but does not push the schedule further out.
    return { outcome: "failed", consecutiveFailures: input.previousFailures, nextAtMs: Math.max(input.plannedAtMs!, earliestUsable) }
  }
  const failures = input.previousFailures + 1
  return {
    outcome: "failed",
    consecutiveFailures: failures,
    nextAtMs: Math.max(nowMs + failureDelayMs(input.ttlSeconds, failures, input.random01, policy), earliestUsable)
  }
}

/**
 * The first delay of a profile's job when it is (re)scheduled: at once when there is nothing, when the snapshot
 * is of another guild or an older version of the profile (a changed profile is probed at once, parked or not);
 * after a failed, skipped or parked round, at the time that round decided; otherwise ahead of expiry.
 */
export const initialDelayMs = (
  snapshot:
    | {
        readonly guildId: string
        readonly profileVersion: number
        readonly consecutiveFailures: number
        readonly nextRefreshAtMs: number
        readonly round?: string | undefined
      }
    | undefined,
  profile: { readonly guildId: string; readonly version: number; readonly refresh: { readonly ttlSeconds: number } },
  headlineFetchedAtMs: number | undefined,
  nowMs: number,
  random01: number,
  policy: RefreshPolicyOptions = defaultRefreshPolicy
): number => {
  if (snapshot === undefined || snapshot.guildId !== profile.guildId || snapshot.profileVersion !== profile.version) return 0
  if (snapshot.consecutiveFailures > 0 || (snapshot.round !== undefined && snapshot.round !== "ok")) {
    return Math.max(0, snapshot.nextRefreshAtMs - nowMs)
  }
  if (headlineFetchedAtMs === undefined) return 0
  return Math.max(0, headlineFetchedAtMs + successDelayMs(profile.refresh.ttlSeconds, random01, policy) - nowMs)
}
