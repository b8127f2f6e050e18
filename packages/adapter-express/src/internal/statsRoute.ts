/** `GET /v1/profiles/:profile/stats`: the StatsView as JSON, with a memoised hot path for anonymous callers. */
import { isProfileKey } from "@guildpulse/core"
import { Schema } from "effect"
import { publicAccess, type RouteContext, type RouteSpec } from "../Routes.js"
import { Flag, StatsViewBody } from "../Schemas.js"
import { ifNoneMatchHits, send } from "./http.js"
import { JSON_TYPE, profileParam, withView, type PublicState } from "./publicView.js"
import { PRIVATE_CACHE_CONTROL, type SerializedView } from "./viewCache.js"

export const statsRoute = (state: PublicState): RouteSpec => ({
  method: "get",
  path: "/v1/profiles/:profile/stats",
  access: publicAccess,
  doc: {
    operationId: "getStats",
    summary: "A profile's live numbers",
    description:
      "The StatsView of a public profile. Upstream trouble (rate limits, outages, misconfiguration) is never an error: it is `freshness.state` (fresh, stale, degraded, demo, unavailable). Revalidate with If-None-Match. `fresh=1` bypasses the cache for keys with the `profiles:refresh` scope and is ignored for anonymous callers.",
    tags: ["public"],
    pathParams: { profile: profileParam },
    query: { fresh: { schema: Flag, description: "Bypass the cache (needs a key with profiles:refresh; ignored without Authorization)" } },
    headers: { "If-None-Match": { schema: Schema.String, description: "An ETag from a previous answer" } },
    rateLimited: true,
    responses: {
      200: { description: "The view", schema: StatsViewBody, headers: ["ETag", "Cache-Control"] },
      304: { description: "Not modified (If-None-Match matched)", headers: ["ETag", "Cache-Control"] },
      400: { description: "Invalid profile key or parameter", problem: true },
      404: { description: "No such (public) profile", problem: true }
    }
  },
  handle: (context) => {
    const engine = context.engine
    const hasQuery = context.req.url.includes("?")
    // Hot path: a request for a public profile whose fresh answer is memoised for this second. Only public
    // profiles are memoised, and their view is the same for every caller, so an authenticated request is
    // served from it too (with a private Cache-Control, as every authenticated answer).
    const principal = context.principal
    if (engine !== undefined && (!hasQuery || context.query()["fresh"] === undefined)) {
      const key = context.req.params["profile"]
      const hit = isProfileKey(key) ? state.hot.get(key, engine.nowMs()) : undefined
      if (hit !== undefined) {
        // Served from cache whatever the budget says; an anonymous request still counts against it.
        if (principal === undefined && state.limiter !== undefined) state.limiter.take(state.clientKey(context.req), engine.nowMs())
        return sendStats(context, hit, principal !== undefined)
      }
    }
    return withView(state, context, "GET /v1/profiles/:profile/stats", hasQuery ? context.query() : undefined, ({ profile, view }, privateAnswer, bypass) => {
      const serialized = state.serialize(view)
      if (profile.public && !bypass && engine !== undefined) state.hot.remember(view, serialized, engine.nowMs())
      sendStats(context, serialized, privateAnswer)
    })
  }
})

const sendStats = (context: RouteContext, serialized: SerializedView, privateAnswer: boolean) => {
  const headers = context.headers
  headers["Content-Type"] = JSON_TYPE
  headers["X-Content-Type-Options"] = "nosniff"
  headers["ETag"] = serialized.etag
  headers["Cache-Control"] = privateAnswer ? PRIVATE_CACHE_CONTROL : serialized.cacheControl
  if (ifNoneMatchHits(context.req.headers["if-none-match"], serialized.etag)) return send(context.res, 304, headers, undefined)
  send(context.res, 200, headers, serialized.body)
}

