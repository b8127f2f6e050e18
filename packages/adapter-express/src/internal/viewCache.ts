/**
 * Serialised stats views, cached per snapshot and per second of age: the engine hands out the same body
 * objects for one snapshot (`counts`, `provenance`… are shared), and the freshness part only changes when the
 * age ticks or a refresh lands. So the JSON, its ETag and its Cache-Control are computed once per snapshot
 * per second, and every other request of that second reuses the bytes.
 */
import type { StatsView } from "@guildpulse/core"
import { etagOf } from "./http.js"

/** Short cache lifetime for answers that should be re-asked soon (degraded, demo). */
export const SHORT_MAX_AGE_SECONDS = 10
/** How long a shared cache may serve a degraded/demo/stale answer while it revalidates. */
export const SHORT_SWR_SECONDS = 30
/** Cache lifetime of an `unavailable` answer (nothing to show yet). */
export const UNAVAILABLE_MAX_AGE_SECONDS = 5
/** Bounds of the stale-while-revalidate window of a fresh answer (it follows the profile's ttl). */
export const MIN_SWR_SECONDS = 30
export const MAX_SWR_SECONDS = 300

export interface SerializedView {
  readonly body: Buffer
  readonly etag: string
  readonly cacheControl: string
}

interface Entry extends SerializedView {
  readonly profile: string
  readonly state: string
  readonly ageSeconds: number | null
  readonly fetchedAt: string | null
  readonly expiresAt: string | null
  readonly nextRefreshAt: string | null
  readonly retryAfterSeconds: number | null
  readonly reasons: ReadonlyArray<string>
}

/**
 * `Cache-Control` of a public view: fresh → until expiry (`max-age` = seconds until `freshness.expiresAt`),
 * with a stale-while-revalidate window of the ttl; stale → `max-age=0` plus a short window (a refresh is
 * running); degraded/demo → short; unavailable → very short (it says when it retries).
 */
export const cacheControlOf = (view: StatsView): string => {
  const f = view.freshness
  switch (f.state) {
    case "fresh":
    case "stale": {
      const expiresMs = f.expiresAt === null ? NaN : Date.parse(f.expiresAt)
      const fetchedMs = f.fetchedAt === null ? NaN : Date.parse(f.fetchedAt)
      const ttlSeconds = Math.round((expiresMs - fetchedMs) / 1000)
      if (!Number.isFinite(ttlSeconds)) return `public, max-age=0, stale-while-revalidate=${SHORT_SWR_SECONDS}`
      // Derived from the view (not the wall clock), so the header is the same for every request of one second.
      const maxAge = Math.max(0, ttlSeconds - (f.ageSeconds ?? 0))
      const swr = f.state === "fresh" ? Math.min(MAX_SWR_SECONDS, Math.max(MIN_SWR_SECONDS, ttlSeconds)) : SHORT_SWR_SECONDS
      return `public, max-age=${maxAge}, stale-while-revalidate=${swr}`
    }
    case "degraded":
    case "demo":
      return `public, max-age=${SHORT_MAX_AGE_SECONDS}, stale-while-revalidate=${SHORT_SWR_SECONDS}`
    case "unavailable": {
      const retry = f.retryAfterSeconds === null ? UNAVAILABLE_MAX_AGE_SECONDS : Math.ceil(f.retryAfterSeconds)
      return `public, max-age=${Math.min(UNAVAILABLE_MAX_AGE_SECONDS, Math.max(0, retry))}`
    }
  }
}

export const PRIVATE_CACHE_CONTROL = "private, no-store"

export const make = () => {
  // Keyed by the per-snapshot `counts` object the engine reuses for every view of one snapshot.
  const entries = new WeakMap<object, Entry>()
  return (view: StatsView): SerializedView => {
    const f = view.freshness
    const hit = entries.get(view.counts)
    if (
      hit !== undefined &&
      hit.ageSeconds === f.ageSeconds &&
      hit.state === f.state &&
      hit.profile === view.profile &&
      hit.nextRefreshAt === f.nextRefreshAt &&
      hit.fetchedAt === f.fetchedAt &&
      hit.expiresAt === f.expiresAt &&
      hit.retryAfterSeconds === f.retryAfterSeconds &&
      hit.reasons === f.reasons
    ) {
      return hit
    }
    const body = Buffer.from(JSON.stringify(view), "utf8")
    const entry: Entry = {
      profile: view.profile,
      state: f.state,
      ageSeconds: f.ageSeconds,
      fetchedAt: f.fetchedAt,
      expiresAt: f.expiresAt,
      nextRefreshAt: f.nextRefreshAt,
      retryAfterSeconds: f.retryAfterSeconds,
      reasons: f.reasons,
      body,
      etag: etagOf(body),
      cacheControl: cacheControlOf(view)
    }
    entries.set(view.counts, entry)
    return entry
  }
}
