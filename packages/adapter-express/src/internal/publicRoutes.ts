/**
 * The public routes: stats JSON, the SSR widget (fragment or standalone page), the badge, the static assets,
 * health, readiness and the OpenAPI document.
 *
 * Rate limiting (per client, token bucket) never refuses an answer that the current snapshot can give: when a
 * client is over its budget, the route asks the snapshot store whether answering needs a call to Discord
 * (no servable snapshot, and the next attempt is due, and no refresh is already in flight to join). Only
 * then is the request refused with 429 and `Retry-After`.
 */
import { isProfileKey, ProfileKey, ProfileNotFound, WidgetOptions, type Profile, type StatsView, type StoreError } from "@guildpulse/core"
import { BadgeOptions, embedScript, parseBadgeQuery, parseWidgetQuery, renderBadge, renderWidget, widgetCss, widgetQueryParams, badgeQueryParams } from "@guildpulse/widget"
import type { Request } from "express"
import { Cause, Clock, Duration, Effect, Either, Exit, Schema, SchemaAST } from "effect"
import { canAccessProfile, hasScope, type Principal } from "../Authenticator.js"
import * as Problem from "../Problem.js"
import { publicAccess, type ParamDoc, type RouteContext, type RouteSpec } from "../Routes.js"
import { Flag, Health, parseFlag, Ready, StatsViewBody } from "../Schemas.js"
import { onExit, type EngineHandle } from "./engine.js"
import { escapeHtml, etagOf, ifNoneMatchHits, send, sendJson, type Headers } from "./http.js"
import type { RateLimiter } from "../RateLimiter.js"
import type { HotCache } from "./hotCache.js"
import { PRIVATE_CACHE_CONTROL, cacheControlOf, type SerializedView } from "./viewCache.js"

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

export const invalidProfileKey = (key: string) =>
  Problem.invalidField("profile", `'${key.slice(0, 80)}' is not a profile key: 1-64 characters of a-z, 0-9, '_' or '-', starting with a letter or digit`)
export { isProfileKey }

const BYPASS = { bypassCache: true } as const
const JSON_TYPE = "application/json; charset=utf-8"
const HTML_TYPE = "text/html; charset=utf-8"
/** Static assets: a day in caches (plus revalidation by ETag); a year when requested with `?v=<version>`. */
export const ASSET_CACHE_CONTROL = "public, max-age=86400, stale-while-revalidate=604800"
export const VERSIONED_ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"

interface Found {
  readonly profile: Profile
  readonly view: StatsView
}

/** Whether answering for this profile now would call Discord in the foreground (mirrors `Stats.view`). */
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
  key: string,
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
const withView = (
  state: PublicState,
  context: RouteContext,
  where: string,
  query: Readonly<Record<string, unknown>> | undefined,
  then: (found: Found, privateAnswer: boolean, bypass: boolean) => void
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
    then(exit.value, principal !== undefined || bypass || !exit.value.profile.public, bypass)
  })
}

const statsRoute = (state: PublicState): RouteSpec => ({
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

export const profileParam: ParamDoc = { schema: ProfileKey, description: "The profile key", required: true }

/** Deep-merges widget options one level down (labels, colors, icons, invite… are objects). */
export const mergeOptions = (defaults: WidgetOptions, overrides: WidgetOptions): WidgetOptions => {
  const out: Record<string, unknown> = { ...defaults }
  for (const [key, value] of Object.entries(overrides)) {
    const base = out[key]
    out[key] =
      typeof value === "object" && value !== null && !Array.isArray(value) && typeof base === "object" && base !== null
        ? { ...(base as object), ...(value as object) }
        : value
  }
  return out as WidgetOptions
}

const standaloneCsp = (frameAncestors: string) =>
  `default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src https: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors ${frameAncestors}`
const fragmentCsp = (frameAncestors: string) =>
  `default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; base-uri 'none'; form-action 'none'; frame-ancestors ${frameAncestors}`

/**
 * The base of links in widget fragments. These answers are `Cache-Control: public`, so a shared cache may
 * hand one to everybody: the base is the configured `publicUrl`, or else a path relative to the page that
 * embeds the fragment — never the request's `Host` header, which anyone can forge to poison the cache.
 */
const linkBase = (state: PublicState, req: Request): string =>
  state.publicUrl !== undefined ? state.publicUrl : req.baseUrl

const sendConditional = (context: RouteContext, status: number, headers: Headers, body: string) => {
  const etag = etagOf(body)
  headers["ETag"] = etag
  if (ifNoneMatchHits(context.req.headers["if-none-match"], etag)) return send(context.res, 304, headers, undefined)
  send(context.res, status, headers, body)
}

/** The schema of an option at `path` inside a Struct schema (optional wrappers removed), for documentation. */
const optionSchema = (root: SchemaAST.AST, path: ReadonlyArray<string>): Schema.Schema.Any | undefined => {
  let ast: SchemaAST.AST | undefined = root
  for (const name of path) {
    if (ast === undefined || !SchemaAST.isTypeLiteral(ast)) return undefined
    const found: SchemaAST.PropertySignature | undefined = ast.propertySignatures.find((p) => p.name === name)
    if (found === undefined) return undefined
    ast = found.type
    if (SchemaAST.isUnion(ast)) {
      const members: ReadonlyArray<SchemaAST.AST> = ast.types.filter((t) => !SchemaAST.isUndefinedKeyword(t))
      ast = members.length === 1 ? members[0] : SchemaAST.Union.make(members)
    }
  }
  return ast === undefined ? undefined : Schema.make(ast)
}

/** Query parameters of the widget/badge routes, documented from the options schemas they decode into. */
const optionParamDocs = (
  params: Readonly<Record<string, { readonly kind: string; readonly path: ReadonlyArray<string> }>>,
  options: Schema.Schema.Any
): Record<string, ParamDoc> => {
  const out: Record<string, ParamDoc> = {}
  for (const [name, param] of Object.entries(params)) {
    const schema =
      param.kind === "boolean"
        ? Flag
        : param.kind === "color"
        ? Schema.String.annotations({ description: "a hex colour (bare, or with the # URL-encoded as %23) or rgb()/rgba()" })
        : optionSchema(options.ast, param.path) ?? Schema.String
    out[name] = { schema, description: `Overrides ${param.path.join(".")}` }
  }
  return out
}

const widgetRoute = (state: PublicState): RouteSpec => ({
  method: "get",
  path: "/v1/profiles/:profile/widget",
  access: publicAccess,
  doc: {
    operationId: "getWidget",
    summary: "The stats card as server-rendered HTML",
    description:
      "An HTML fragment (`<guildpulse-stats>…`) rendered with the profile's display defaults, overridden by query parameters. `standalone=1` returns a full page (CSS inline, the embed script, a strict CSP) suitable for an iframe.",
    tags: ["public"],
    pathParams: { profile: profileParam },
    query: { standalone: { schema: Flag, description: "Return a full HTML page instead of a fragment" }, ...optionParamDocs(widgetQueryParams, WidgetOptions) },
    rateLimited: true,
    responses: {
      200: { description: "HTML fragment or page", contentType: "text/html", headers: ["ETag", "Cache-Control", "Content-Security-Policy"] },
      304: { description: "Not modified", headers: ["ETag", "Cache-Control"] },
      400: { description: "Invalid profile key or query parameter (named in errors)", problem: true },
      404: { description: "No such (public) profile", problem: true }
    }
  },
  handle: (context) => {
    const { standalone: standaloneRaw, ...rest } = context.query()
    const standalone = standaloneRaw === undefined ? false : parseFlag(standaloneRaw)
    if (standalone === undefined) return context.sendProblem(Problem.invalidField("standalone", "must be 1, true, 0 or false"))
    const overrides = parseWidgetQuery(rest)
    if (Either.isLeft(overrides)) return context.sendProblem(Problem.invalid(overrides.left.issues))
    return withView(state, context, "GET /v1/profiles/:profile/widget", undefined, ({ profile, view }, privateAnswer) => {
      const options = mergeOptions(profile.display, overrides.right)
      const statsPath = `/v1/profiles/${profile.key}/stats`
      // The engine's clock: the "updated … ago" of the card agrees with the view's own ages.
      const nowMs = context.engine?.nowMs() ?? Clock.make().unsafeCurrentTimeMillis()
      const headers = context.headers
      headers["Content-Type"] = HTML_TYPE
      headers["X-Content-Type-Options"] = "nosniff"
      headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
      headers["Cache-Control"] = privateAnswer ? PRIVATE_CACHE_CONTROL : cacheControlOf(view)
      if (!standalone) {
        headers["Content-Security-Policy"] = fragmentCsp(state.frameAncestors)
        const html = renderWidget(view, options, { nowMs, endpoint: `${linkBase(state, context.req)}${statsPath}` })
        return sendConditional(context, 200, headers, html)
      }
      headers["Content-Security-Policy"] = standaloneCsp(state.frameAncestors)
      const base = context.basePath
      const fragment = renderWidget(view, options, { nowMs, endpoint: `${base}${statsPath}` })
      const lang = options.locale === "fr" ? "fr" : "en"
      const page =
        `<!doctype html><html lang="${lang}"><head><meta charset="utf-8">` +
        `<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">` +
        `<title>${escapeHtml(profile.label)}</title><style>html,body{margin:0;padding:0;background:transparent}</style>` +
        `<style>${widgetCss()}</style></head><body>${fragment}` +
        `<script src="${escapeHtml(`${base}/embed.js?v=${assetVersion(embed())}`)}" defer></script></body></html>`
      return sendConditional(context, 200, headers, page)
    })
  }
})

const badgeRoute = (state: PublicState): RouteSpec => ({
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

interface Asset {
  readonly body: Buffer
  readonly etag: string
}
const lazyAsset = (produce: () => string) => {
  let asset: Asset | undefined
  return (): Asset => {
    if (asset === undefined) {
      const body = Buffer.from(produce(), "utf8")
      asset = { body, etag: etagOf(body) }
    }
    return asset
  }
}
const embed = lazyAsset(embedScript)
const css = lazyAsset(widgetCss)
/** The version of an asset for `?v=` (cache busting with immutable caching). */
export const assetVersion = (asset: Asset): string => asset.etag.slice(1, 13)

const assetRoute = (path: string, operationId: string, summary: string, contentType: string, asset: () => Asset): RouteSpec => ({
  method: "get",
  path,
  access: publicAccess,
  engine: false,
  doc: {
    operationId,
    summary,
    tags: ["assets"],
    query: { v: { schema: Schema.String, description: "Asset version; when it matches, the answer is cacheable for a year" } },
    responses: {
      200: { description: summary, contentType: contentType.split(";")[0]!, headers: ["ETag", "Cache-Control"] },
      304: { description: "Not modified", headers: ["ETag", "Cache-Control"] }
    }
  },
  handle: (context) => {
    const current = asset()
    const headers = context.headers
    headers["Content-Type"] = contentType
    headers["X-Content-Type-Options"] = "nosniff"
    headers["ETag"] = current.etag
    headers["Cache-Control"] = context.query()["v"] === assetVersion(current) ? VERSIONED_ASSET_CACHE_CONTROL : ASSET_CACHE_CONTROL
    if (ifNoneMatchHits(context.req.headers["if-none-match"], current.etag)) return send(context.res, 304, headers, undefined)
    send(context.res, 200, headers, current.body)
  }
})

/** Liveness: the process answers. */
const healthzRoute: RouteSpec = {
  method: "get",
  path: "/healthz",
  access: publicAccess,
  engine: false,
  doc: {
    operationId: "getLiveness",
    summary: "Liveness: the process is up",
    tags: ["operations"],
    responses: { 200: { description: "Alive", schema: Health } }
  },
  handle: (context) => sendJson(context.res, 200, { status: "ok" }, { ...context.headers })
}

const READY_PROBE_TIMEOUT = Duration.seconds(2)
/** Read by the readiness probe to see the profile store answer; the answer itself is not looked at. */
const READY_PROBE_KEY = ProfileKey.make("readyz-probe")

const readyzRoute = (state: PublicState): RouteSpec => ({
  method: "get",
  path: "/readyz",
  access: publicAccess,
  engine: false,
  doc: {
    operationId: "getReadiness",
    summary: "Readiness: engine built, stores reachable, scheduler running",
    tags: ["operations"],
    responses: {
      200: { description: "Ready", schema: Ready },
      503: { description: "Not ready (starting, a store unreachable, or the scheduler stopped)", problem: true, headers: ["Retry-After"] }
    }
  },
  handle: (context) => {
    const engine = context.engine
    if (engine === undefined) return context.sendProblem(Problem.make(503, "not_ready", "The engine is starting.", { headers: { "Retry-After": String(Problem.STORE_RETRY_AFTER_SECONDS) } }))
    if (state.readiness !== undefined) {
      return Effect.runPromise(state.readiness).then((answer) => {
        const headers = { ...context.headers, ...answer.headers }
        send(context.res, answer.status, headers, answer.body)
      })
    }
    const probe = Effect.all([engine.scheduler.status, engine.storeHealth.check, engine.repository.get(READY_PROBE_KEY)]).pipe(Effect.timeout(READY_PROBE_TIMEOUT))
    return onExit(engine.run(probe), (exit) => {
      if (Exit.isSuccess(exit) && exit.value[0].running && exit.value[1].ready) {
        const [status] = exit.value
        return context.sendJson(200, {
          status: "ready",
          scheduler: { running: true, queueDepth: status.queueDepth, deadLetters: status.deadLetters.length }
        })
      }
      if (Exit.isFailure(exit) && Cause.isDie(exit.cause)) state.logDefect("readiness probe failed", exit.cause)
      const detail = Exit.isFailure(exit)
        ? "A store did not answer the readiness probe."
        : exit.value[1].ready
          ? "The refresh scheduler is not running."
          : `The ${exit.value[1].store} store is not ready.`
      context.sendProblem(Problem.make(503, "not_ready", detail, { headers: { "Retry-After": String(Problem.STORE_RETRY_AFTER_SECONDS) } }))
    })
  }
})

const openApiRoute = (state: PublicState): RouteSpec => ({
  method: "get",
  path: "/openapi.json",
  access: publicAccess,
  engine: false,
  doc: {
    operationId: "getOpenApi",
    summary: "This document (OpenAPI 3.1, generated from the engine's schemas)",
    tags: ["operations"],
    responses: { 200: { description: "OpenAPI 3.1 document", contentType: "application/json", headers: ["ETag"] } }
  },
  handle: (context) => {
    const document = state.openApi(context.basePath)
    const headers = context.headers
    headers["Content-Type"] = JSON_TYPE
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cache-Control"] = "public, max-age=300"
    headers["ETag"] = document.etag
    if (ifNoneMatchHits(context.req.headers["if-none-match"], document.etag)) return send(context.res, 304, headers, undefined)
    send(context.res, 200, headers, document.body)
  }
})

export const publicRoutes = (state: PublicState): ReadonlyArray<RouteSpec> => [
  statsRoute(state),
  widgetRoute(state),
  badgeRoute(state),
  assetRoute("/embed.js", "getEmbedScript", "The <guildpulse-stats> custom element (minified)", "application/javascript; charset=utf-8", embed),
  assetRoute("/widget.css", "getWidgetCss", "The widget stylesheet (themes as CSS custom properties)", "text/css; charset=utf-8", css),
  healthzRoute,
  readyzRoute(state),
  openApiRoute(state)
]
