/** `GET /v1/profiles/:profile/widget`: the server-rendered card, as a fragment or a standalone page for iframes. */
import { Html, WidgetOptions } from "@guildpulse/core"
import { legacyAttributes, legacyQueryIgnored, parseWidgetQuery, renderWidget, widgetCss, widgetQueryParams } from "@guildpulse/widget"
import type { SparklinePoint } from "@guildpulse/widget"
import type { Request } from "express"
import { Clock, Effect, Either, Exit, Schema } from "effect"
import * as Problem from "../Problem.js"
import { publicAccess, type ParamDoc, type RouteSpec } from "../Routes.js"
import { Flag, parseFlag } from "../Schemas.js"
import { assetVersion, embed } from "./assetRoutes.js"
import { optionParamDocs } from "./optionDocs.js"
import { onExit, type EngineHandle } from "./engine.js"
import { profileParam, sendConditional, withView, type PublicState } from "./publicView.js"
import { PRIVATE_CACHE_CONTROL, cacheControlOf } from "./viewCache.js"

const HTML_TYPE = "text/html; charset=utf-8"

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

/** The legacy WordPress plugin's attribute names, accepted by the widget route (see `parseWidgetQuery`). */
const legacyParamDocs = (): Record<string, ParamDoc> => {
  const out: Record<string, ParamDoc> = {}
  for (const [name, spec] of Object.entries(legacyAttributes)) {
    if (Object.hasOwn(widgetQueryParams, name)) continue
    out[name] = {
      schema: Schema.String,
      description: legacyQueryIgnored.has(name)
        ? `Legacy plugin attribute (${spec.label}): accepted and ignored here`
        : `Legacy plugin attribute (${spec.label}), mapped onto the widget options`
    }
  }
  return out
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
const SPARKLINE_RANGE_MS = 24 * 3_600_000
const SPARKLINE_POINTS = 96

/**
 * The last 24 hours of online counts for the sparkline, from the engine's analytics (none without them, and
 * none when the store fails: the card renders as it would without the option).
 */
const sparklineOf = (
  engine: EngineHandle | undefined,
  profile: string,
  nowMs: number,
  f: (points: ReadonlyArray<SparklinePoint> | undefined) => void
): void | Promise<void> => {
  const analytics = engine?.analytics
  if (engine === undefined || analytics === undefined) return f(undefined)
  const series = analytics.series(profile as never, { fromMs: nowMs - SPARKLINE_RANGE_MS, toMs: nowMs + 1, maxPoints: SPARKLINE_POINTS })
  return onExit(engine.run(Effect.either(series)), (exit) => {
    if (Exit.isFailure(exit) || Either.isLeft(exit.value)) return f(undefined)
    const points: Array<SparklinePoint> = []
    for (const p of exit.value.right.points) if (p.online !== undefined) points.push({ atMs: p.atMs, online: p.online.avg })
    f(points)
  })
}

const linkBase = (state: PublicState, req: Request): string =>
  state.publicUrl !== undefined ? state.publicUrl : req.baseUrl

export const widgetRoute = (state: PublicState): RouteSpec => ({
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
    query: { standalone: { schema: Flag, description: "Return a full HTML page instead of a fragment" }, ...optionParamDocs(widgetQueryParams, WidgetOptions), ...legacyParamDocs() },
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
      const render = (sparkline: ReadonlyArray<SparklinePoint> | undefined) => {
        const headers = context.headers
        headers["Content-Type"] = HTML_TYPE
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        headers["Cache-Control"] = privateAnswer ? PRIVATE_CACHE_CONTROL : cacheControlOf(view)
        if (!standalone) {
          headers["Content-Security-Policy"] = fragmentCsp(state.frameAncestors)
          const html = renderWidget(view, options, { nowMs, endpoint: `${linkBase(state, context.req)}${statsPath}`, ...(sparkline !== undefined ? { sparkline } : {}) })
          return sendConditional(context, 200, headers, html)
        }
        headers["Content-Security-Policy"] = standaloneCsp(state.frameAncestors)
        const base = context.basePath
        const fragment = renderWidget(view, options, { nowMs, endpoint: `${base}${statsPath}`, ...(sparkline !== undefined ? { sparkline } : {}) })
        const lang = options.locale === "fr" ? "fr" : "en"
        const page =
          `<!doctype html><html lang="${lang}"><head><meta charset="utf-8">` +
          `<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">` +
          `<title>${Html.escape(profile.label)}</title><style>html,body{margin:0;padding:0;background:transparent}</style>` +
          `<style>${widgetCss()}</style></head><body>${fragment}` +
          `<script src="${Html.escape(`${base}/embed.js?v=${assetVersion(embed())}`)}" defer></script></body></html>`
        return sendConditional(context, 200, headers, page)
      }
      if (options.showSparkline !== true) return render(undefined)
      return sparklineOf(context.engine, profile.key, nowMs, render)
    })
  }
})

