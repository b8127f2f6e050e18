/**
 * The in-process side of a global budget (N requests per window W, per bot token or egress IP).
 *
 * Discord, like the sandbox and the way discord.js models it, counts a global window from the first request
 * it *processes* after the previous window closed. When that happens, relative to our clock, is uncertain:
 * somewhere between our send and our receipt of the answer, after a delay that varies with cold
 * connections, a busy server, a burst queued behind others, or our own event loop busy with other answers.
 * A client that counts windows at send time (discord.js) is only safe while that delay varies by less than
 * its margin. Here every request holds one of N places, and a place is released only once the server
 * window its request was counted in is certainly over:
 *
 * - Processing instants. Bucketed answers carry `X-RateLimit-Reset` (absolute, server clock) and
 *   `X-RateLimit-Reset-After` (relative to the processing instant), so `serverMs = Reset − Reset-After`.
 *   Mapping server time to ours needs the clock offset, bounded below by `serverMs − answeredAt` of every
 *   answer (an answer is observed after it was processed); the best bound of the last 10 s is used, which
 *   errs late on our clock, i.e. safe.
 * - Sliding release (always safe, whatever the server's window scheme): a place frees `windowMs` after its
 *   request was processed (or after its answer or failure was observed, when the processing instant is
 *   unknown) — any request sent later is processed later, so no `windowMs` of processing time holds more
 *   than N requests.
 * - Window release (the fast path for a full burst): when every held request was answered with a known
 *   processing instant, they were all processed within one window's length (spread ≤ W − tolerance), and
 *   nothing else was processed in the window before the first of them, then they all sit in the server
 *   window opened by the first one, which ends at `first + W`. All places free at `first + W + margin`, so
 *   the next burst goes out together instead of replaying the previous burst's spread.
 *
 * A place is never held past `answeredAt + windowMs` (nor released before `sentAt + windowMs` by the sliding
 * rule); a request that fails or is interrupted releases its place `windowMs` after that moment.
 */
import { Effect } from "effect"

export interface Slot {
  /**
   * Records the answer observed at `answeredAtMs` (local clock), processed at `serverMs` (server clock)
   * when known; idempotent.
   */
  readonly complete: (answeredAtMs: number, serverMs?: number) => void
}

export type SlotCheck =
  | { readonly _tag: "Free" }
  /** The earliest held place frees after this long. */
  | { readonly _tag: "Until"; readonly waitMs: number }
  /** Every place is held by a request still in flight: wait for an answer. */
  | { readonly _tag: "Answer" }

/**
 * How long an answer keeps bounding the clock offset. Bounds from any answer are valid while both clocks
 * run at the same rate; expiring them limits the damage of a stepped server clock.
 */
const OFFSET_SAMPLE_TTL_MS = 10_000
/** A server may reset its window up to this much early (the sandbox: 5 ms); a burst must fit W minus this. */
export const SERVER_RESET_TOLERANCE_MS = 50

interface Entry {
  readonly sentAtMs: number
  answeredAtMs: number | undefined
  /** Processing instant on the server's clock, when the answer said. */
  serverMs: number | undefined
}

interface Released {
  readonly serverMs: number | undefined
  /** Start of its server window, when known (released by the window rule); else at most `serverMs`. */
  readonly windowStartMs: number | undefined
  readonly releasedAtMs: number
}

export class GlobalWindow {
  /** Requests holding a place (in flight, or answered and not yet released). */
  private held: Array<Entry> = []
  private history: Array<Released> = []
  private waiters: Array<() => void> = []
  /** Sliding maximum of offset bounds: (time, bound) pairs with decreasing bounds, oldest first. */
  private offsetTimes: Array<number> = []
  private offsetValues: Array<number> = []
  private offsetHead = 0

  readonly windowMs: number

  /**
   * @param limit places (requests per window)
   * @param baseWindowMs the server's window (1 s for Discord's global limit)
   * @param marginMs added to every release, for timer and millisecond-rounding jitter
   */
  constructor(
    readonly limit: number,
    readonly baseWindowMs: number,
    readonly marginMs: number
  ) {
    this.windowMs = baseWindowMs + marginMs
  }

  /** The best lower bound of (server clock − local clock) from the answers of the last 10 s, if any. */
  offsetLowerBound(nowMs: number): number | undefined {
    while (this.offsetHead < this.offsetTimes.length && this.offsetTimes[this.offsetHead]! <= nowMs - OFFSET_SAMPLE_TTL_MS) {
      this.offsetHead += 1
    }
    if (this.offsetHead > 256 && this.offsetHead * 2 > this.offsetTimes.length) {
      this.offsetTimes = this.offsetTimes.slice(this.offsetHead)
      this.offsetValues = this.offsetValues.slice(this.offsetHead)
      this.offsetHead = 0
    }
    return this.offsetHead < this.offsetValues.length ? this.offsetValues[this.offsetHead] : undefined
  }

  private recordOffset(atMs: number, bound: number): void {
    // A newer, larger bound makes every older, smaller one useless: drop them from the back.
    while (this.offsetValues.length > this.offsetHead && this.offsetValues[this.offsetValues.length - 1]! <= bound) {
      this.offsetValues.pop()
      this.offsetTimes.pop()
    }
    this.offsetTimes.push(atMs)
    this.offsetValues.push(bound)
  }

  /** Sliding release of an answered request (local clock). */
  private slidingRelease(entry: Entry, answeredAtMs: number, offset: number | undefined): number {
    const processedAt =
      entry.serverMs !== undefined && offset !== undefined
        ? Math.min(answeredAtMs, Math.max(entry.sentAtMs, entry.serverMs - offset))
        : answeredAtMs
    return processedAt + this.windowMs
  }

  /** Window release of the whole held set (local clock), when its conditions hold. */
  private windowRelease(nowMs: number, offset: number | undefined): number | undefined {
    if (offset === undefined || this.held.length === 0) return undefined
    let first = Infinity
    let last = -Infinity
    for (const entry of this.held) {
      if (entry.serverMs === undefined) return undefined
      if (entry.serverMs < first) first = entry.serverMs
      if (entry.serverMs > last) last = entry.serverMs
    }
    // All in one server window, whatever its exact length (minus an early reset).
    if (last - first > this.baseWindowMs - SERVER_RESET_TOLERANCE_MS) return undefined
    // A fresh burst only: older held requests could predate what the history remembers.
    if (first - offset < nowMs - 2 * this.windowMs) return undefined
    // Every window of a request processed before `first` was over by then, so `first` opened its own.
    for (const released of this.history) {
      if (released.serverMs === undefined) return undefined
      if (released.serverMs < first && (released.windowStartMs ?? released.serverMs) + this.baseWindowMs > first) return undefined
    }
    return first + this.windowMs - offset
  }

  private release(entries: ReadonlyArray<Entry>, nowMs: number, windowStartMs?: number): void {
    for (const entry of entries) this.history.push({ serverMs: entry.serverMs, windowStartMs, releasedAtMs: nowMs })
  }

  check(nowMs: number): SlotCheck {
    if (this.held.length < this.limit) return { _tag: "Free" }
    const offset = this.offsetLowerBound(nowMs)
    this.pruneHistory(nowMs)
    // The window rule first: it frees a clean burst as a whole (its sliding releases are never earlier).
    const together = this.windowRelease(nowMs, offset)
    if (together !== undefined && together <= nowMs) {
      let first = Infinity
      for (const entry of this.held) first = Math.min(first, entry.serverMs!)
      this.release(this.held, nowMs, first)
      this.held = []
      return { _tag: "Free" }
    }
    const kept: Array<Entry> = []
    const freed: Array<Entry> = []
    let earliest = together ?? Infinity
    for (const entry of this.held) {
      if (entry.answeredAtMs === undefined) {
        kept.push(entry)
        continue
      }
      const release = this.slidingRelease(entry, entry.answeredAtMs, offset)
      if (release <= nowMs) freed.push(entry)
      else {
        kept.push(entry)
        if (release < earliest) earliest = release
      }
    }
    this.held = kept
    this.release(freed, nowMs)
    if (this.held.length < this.limit) return { _tag: "Free" }
    if (earliest < Infinity) return { _tag: "Until", waitMs: Math.max(1, Math.ceil(earliest - nowMs)) }
    return { _tag: "Answer" }
  }

  private pruneHistory(nowMs: number): void {
    if (this.history.length === 0) return
    const horizon = nowMs - 3 * this.windowMs
    if (this.history[0]!.releasedAtMs < horizon) this.history = this.history.filter((r) => r.releasedAtMs >= horizon)
  }

  /** Takes a place for a request about to be sent at `sentAtMs`; `check` must have said `Free`. */
  take(sentAtMs: number): Slot {
    const entry: Entry = { sentAtMs, answeredAtMs: undefined, serverMs: undefined }
    this.held.push(entry)
    return {
      complete: (answeredAtMs, serverMs) => {
        if (entry.answeredAtMs !== undefined) return
        entry.answeredAtMs = answeredAtMs
        if (serverMs !== undefined && Number.isFinite(serverMs)) {
          entry.serverMs = serverMs
          this.recordOffset(answeredAtMs, serverMs - answeredAtMs)
        }
        const waiters = this.waiters
        this.waiters = []
        for (const wake of waiters) wake()
      }
    }
  }

  /** Resumes at the next answer. */
  readonly awaitAnswer: Effect.Effect<void> = Effect.async<void>((resume) => {
    const wake = () => resume(Effect.void)
    this.waiters.push(wake)
    return Effect.sync(() => {
      this.waiters = this.waiters.filter((w) => w !== wake)
    })
  })
}
