/** The static assets: the embed script and the widget stylesheet, versioned for immutable caching. */
import { embedScript, widgetCss } from "@guildpulse/widget"
import { Schema } from "effect"
import { publicAccess, type RouteSpec } from "../Routes.js"
import { etagOf, ifNoneMatchHits, send } from "./http.js"

/** Static assets: a day in caches (plus revalidation by ETag); a year when requested with `?v=<version>`. */
export const ASSET_CACHE_CONTROL = "public, max-age=86400, stale-while-revalidate=604800"
export const VERSIONED_ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"

export interface Asset {
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
export const embed = lazyAsset(embedScript)
export const css = lazyAsset(widgetCss)
/** The version of an asset for `?v=` (cache busting with immutable caching). */
export const assetVersion = (asset: Asset): string => asset.etag.slice(1, 13)

export const assetRoute = (path: string, operationId: string, summary: string, contentType: string, asset: () => Asset): RouteSpec => ({
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

