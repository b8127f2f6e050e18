/** `GET /v1/profiles/:profile/badge.svg`: the shields-style SVG badge. */
import { BadgeOptions, badgeQueryParams, parseBadgeQuery, renderBadge } from "@guildpulse/widget"
import { Either } from "effect"
import * as Problem from "../Problem.js"
import { publicAccess, type RouteSpec } from "../Routes.js"
import { optionParamDocs } from "./optionDocs.js"
import { profileParam, sendConditional, withView, type PublicState } from "./publicView.js"
import { PRIVATE_CACHE_CONTROL, cacheControlOf } from "./viewCache.js"

export const badgeRoute = (state: PublicState): RouteSpec => ({
  method: "get",
  path: "/v1/profiles/:profile/badge.svg",
  access: publicAccess,
  doc: {
    operationId: "getBadge",
    summary: "A shields-style SVG badge (N online · M members)",
    tags: ["public"],
    pathParams: { profile: profileParam },
    query: optionParamDocs(badgeQueryParams, BadgeOptions),
    rateLimited: true,
    responses: {
      200: { description: "SVG image", contentType: "image/svg+xml", headers: ["ETag", "Cache-Control"] },
      304: { description: "Not modified", headers: ["ETag", "Cache-Control"] },
      400: { description: "Invalid profile key or query parameter (named in errors)", problem: true },
      404: { description: "No such (public) profile", problem: true }
    }
  },
  handle: (context) => {
    const options = parseBadgeQuery(context.query())
    if (Either.isLeft(options)) return context.sendProblem(Problem.invalid(options.left.issues))
    return withView(state, context, "GET /v1/profiles/:profile/badge.svg", undefined, ({ view }, privateAnswer) => {
      const headers = context.headers
      headers["Content-Type"] = "image/svg+xml; charset=utf-8"
      headers["X-Content-Type-Options"] = "nosniff"
      headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
      headers["Cache-Control"] = privateAnswer ? PRIVATE_CACHE_CONTROL : cacheControlOf(view)
      sendConditional(context, 200, headers, renderBadge(view, options.right))
    })
  }
})

