/**
 * The public routes: stats JSON (`statsRoute`), the SSR widget (`widgetRoute`), the badge (`badgeRoute`), the
 * static assets (`assetRoutes`), health, readiness and the OpenAPI document (`operationRoutes`). The lookup
 * they share — key, `fresh=1`, visibility, rate limit — is `publicView`.
 */
import type { RouteSpec } from "../Routes.js"
import { assetRoute, css, embed } from "./assetRoutes.js"
import { badgeRoute } from "./badgeRoute.js"
import { healthzRoute, openApiRoute, readyzRoute } from "./operationRoutes.js"
import type { PublicState } from "./publicView.js"
import { statsRoute } from "./statsRoute.js"
import { widgetRoute } from "./widgetRoute.js"

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
