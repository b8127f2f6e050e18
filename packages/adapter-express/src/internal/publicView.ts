/**
 * What the stats, widget and badge routes share: the profile lookup with its rules (key, `fresh=1`,
 * visibility, the public rate limit) and conditional answers (ETag, 304).
 *
 * Rate limiting (per client, token bucket) never refuses an answer that the current snapshot can give: when a
 * client is over its budget, the route asks the snapshot store whether answering needs a call to Discord
 * (no servable snapshot, and the next attempt is due, and no refresh is already in flight to join). Only
 * then is the request refused with 429 and `Retry-After`.
 */
import { isProfileKey, ProfileKey, ProfileNotFound, type Profile, type StatsView, type StoreError } from "@guildpulse/core"
import type { Request } from "express"
import { type Cause, Effect } from "effect"
import { canAccessProfile, hasScope, type Principal } from "../Authenticator.js"
import * as Problem from "../Problem.js"
import type { ParamDoc, RouteContext } from "../Routes.js"
import { parseFlag } from "../Schemas.js"
import { onExit, type EngineHandle } from "./engine.js"
import { etagOf, ifNoneMatchHits, send, type Headers } from "./http.js"
import type { RateLimiter } from "../RateLimiter.js"
import type { HotCache } from "./hotCache.js"
import type { SerializedView } from "./viewCache.js"

export interface PublicState {
  readonly limiter: RateLimiter | undefined
  readonly clientKey: (req: Request) => string
  readonly serialize: (view: StatsView) => SerializedView
  readonly hot: HotCache
  readonly publicUrl: string | undefined
  readonly frameAncestors: string
  readonly openApi: (basePath: string) => { readonly body: Buffer; readonly etag: string }
  readonly logDefect: (what: string, defect: unknown) => void
  readonly readiness?: Effect.Effect<{ readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string }> | undefined
}

export const invalidProfileKey = (key: string): Problem.ProblemResponse =>
  Problem.invalidField("profile", `'${key.slice(0, 80)}' is not a profile key: 1-64 characters of a-z, 0-9, '_' or '-', starting with a letter or digit`)
export { isProfileKey }

const BYPASS = { bypassCache: true } as const
export const JSON_TYPE = "application/json; charset=utf-8"

export interface Found {
  readonly profile: Profile
  readonly view: StatsView
}

/** Whether answering would wait for Discord — core's own rule (`Stats.needsUpstream`). */
const costsUpstream = (engine: EngineHandle, profile: Profile) => engine.stats.needsUpstream(profile)

const mayRead = (principal: Principal | undefined, key: string) =>
  principal !== undefined && hasScope(principal, "profiles:read") && canAccessProfile(principal, key)

/**
 * The view of a profile for a public route: 404 for unknown and for non-public profiles the caller may not
 * read; 429 only when over budget *and* the answer would need Discord.
 */
export const lookupView = (
  engine: EngineHandle,
  key: ProfileKey,
  principal: Principal | undefined,
  limitedMs: number,
  bypass: boolean
): Effect.Effect<Found, ProfileNotFound | Problem.RateLimited | StoreError> =>
  Effect.flatMap(engine.repository.get(key), (found): Effect.Effect<Found, ProfileNotFound | Problem.RateLimited | StoreError> => {
    if (found._tag === "None") return Effect.fail(new ProfileNotFound({ profile: key }))
    const profile = found.value
    if (!profile.public && !mayRead(principal, key)) return Effect.fail(new ProfileNotFound({ profile: key }))
    const view = Effect.map(engine.stats.view(profile, bypass ? BYPASS : undefined), (view): Found => ({ profile, view }))
    if (limitedMs <= 0 || bypass) return view
    return Effect.flatMap(costsUpstream(engine, profile), (costs): Effect.Effect<Found, Problem.RateLimited | StoreError> =>
      costs ? Effect.fail(new Problem.RateLimited({ retryAfterSeconds: Math.max(1, Math.ceil(limitedMs / 1000)) })) : view
    )
  })

const failWith = (context: RouteContext, cause: Cause.Cause<unknown>, state: PublicState, where: string) => {
  const { response, defect } = Problem.fromCause(cause)
  if (defect) state.logDefect(`unexpected error while serving ${where}`, cause)
  context.sendProblem(response)
}

const notReady = () => Problem.unavailable("The engine is starting; retry shortly.")

/** Shared front half of the stats, widget and badge routes: key, `fresh`, rate limit, lookup. */
export const withView = (
  state: PublicState,
  context: RouteContext,
  where: string,
  query: Readonly<Record<string, unknown>> | undefined,
  then: (found: Found, privateAnswer: boolean, bypass: boolean) => void | Promise<void>
): void | Promise<void> => {
  const engine = context.engine
  if (engine === undefined) return context.sendProblem(notReady())
  const key = context.req.params["profile"]
  if (!isProfileKey(key)) return context.sendProblem(invalidProfileKey(String(key)))
  const principal = context.principal
  let bypass = false
  const fresh = query?.["fresh"]
  if (fresh !== undefined) {
    const flag = parseFlag(fresh)
    if (flag === undefined) return context.sendProblem(Problem.invalidField("fresh", "must be 1, true, 0 or false"))
    // Bypassing the cache costs a call to Discord: only for keys with the refresh scope. Anonymous callers
    // get the cached answer (the parameter is ignored), so a public page can never be used to hammer Discord.
    if (flag && principal !== undefined) {
      if (!hasScope(principal, "profiles:refresh") || !canAccessProfile(principal, key)) {
        return context.sendProblem(Problem.forbidden("Bypassing the cache (fresh=1) needs the 'profiles:refresh' scope."))
      }
      bypass = true
    }
  }
  const limitedMs = principal === undefined && state.limiter !== undefined ? state.limiter.take(state.clientKey(context.req), engine.nowMs()) : 0
  return onExit(engine.run(lookupView(engine, key, principal, limitedMs, bypass)), (exit) => {
    if (exit._tag === "Failure") return failWith(context, exit.cause, state, where)
    // A bypass landed a new snapshot: whatever was memoised for this profile is out of date.
    if (bypass) state.hot.forget(key)
    return then(exit.value, principal !== undefined || bypass || !exit.value.profile.public, bypass)
  })
}

export const profileParam: ParamDoc = { schema: ProfileKey, description: "The profile key", required: true }

/** Sends `body` with a strong ETag, or 304 when the request's If-None-Match already has it. */
export const sendConditional = (context: RouteContext, status: number, headers: Headers, body: string) => {
  const etag = etagOf(body)
  headers["ETag"] = etag
  if (ifNoneMatchHits(context.req.headers["if-none-match"], etag)) return send(context.res, 304, headers, undefined)
  send(context.res, status, headers, body)
}

