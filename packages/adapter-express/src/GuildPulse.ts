/**
 * `guildPulse(options)`: an Express router to mount anywhere (`app.use("/discord", guildPulse({ layer }))`)
 * serving the public API (stats, widget, badge, assets, health, OpenAPI) and the admin API (profiles, refresh,
 * events) of one engine. Every handler runs the engine's use cases through ONE `ManagedRuntime`, built from
 * the given layer (or given ready-made). Works under Express 4 and 5: no version-specific path syntax, queries
 * and bodies parsed here, async failures handled here.
 */
import type { Engine, Tokens } from "@guildpulse/core"
import express, { type Request, type Router } from "express"
import { Layer, ManagedRuntime, Redacted, type Effect } from "effect"
import type { Governance } from "./ApiKeyAuth.js"
import * as ApiKeyAuth from "./ApiKeyAuth.js"
import * as Authenticator from "./Authenticator.js"
import * as Console from "./Console.js"
import * as Cors from "./Cors.js"
import { adminRoutes } from "./internal/adminRoutes.js"
import { analyticsRoutes } from "./internal/analyticsRoutes.js"
import { governanceRoutes } from "./internal/governanceRoutes.js"
import { tokenRoutes } from "./internal/tokenRoutes.js"
import { makeHandle, type EngineHandle } from "./internal/engine.js"
import { etagOf } from "./internal/http.js"
import { errorHandler, makeLogDefect, notFoundUnder, register, registerFallback, type EngineState, type Pipeline } from "./internal/pipeline.js"
import { publicRoutes } from "./internal/publicRoutes.js"
import * as HotCache from "./internal/hotCache.js"
import * as ViewCache from "./internal/viewCache.js"
import * as OpenApi from "./OpenApi.js"
import * as RateLimiter from "./RateLimiter.js"
import type { RouteSpec } from "./Routes.js"

/** The engine to serve: a runtime you own, or a layer the router builds a runtime from. */
export type EngineSource =
  | { readonly runtime: ManagedRuntime.ManagedRuntime<Engine.Services, unknown>; readonly layer?: never }
  | { readonly layer: Layer.Layer<Engine.Services, unknown, never>; readonly runtime?: never }

export type GuildPulseOptions = EngineSource & {
  /** The bootstrap admin key (all scopes). Without it (and without `authenticator`), the admin API answers 401. */
  readonly adminKey?: Redacted.Redacted<string> | undefined
  /**
   * Scoped API keys and the audit log (`ApiKeyAuth.makeGovernance` over stores, or `ApiKeyAuth.governanceMemory()`):
   * keys are accepted as bearer credentials, `/v1/keys` and `/v1/audit` are served, and every admin change is
   * recorded. Without it only the bootstrap key (and `authenticator`) work and changes are not recorded.
   */
  readonly governance?: Governance | undefined
  /** The `Tokens` use case: serves `PUT|DELETE /v1/profiles/{profile}/token`, `…/token/validate`, `/v1/tokens/reencrypt`. */
  readonly tokens?: Tokens.Tokens["Type"] | undefined
  /** More credentials; tried after the bootstrap key and the API keys. */
  readonly authenticator?: Authenticator.Authenticator
  /** CORS of the public routes (default: any origin) and, opt-in, of the admin routes; `false` disables CORS. */
  readonly cors?: Cors.CorsOptions | false
  /** Per-client budget of the public routes (default 120/min, burst 60); `false` disables it. */
  readonly publicRateLimit?: RateLimiter.RateLimitOptions | false
  /** The client of a request for rate limiting (default `req.ip`, which honours the app's `trust proxy`). */
  readonly clientKey?: (req: Request) => string
  /**
   * Absolute URL where this router is reachable (e.g. `https://example.com/discord`), used for links in
   * widget fragments. Without it those links are relative to the embedding page (the `Host` header is never
   * used: public answers are cacheable). `createServer`/`listenFromEnv` read it from GUILDPULSE_PUBLIC_URL.
   */
  readonly publicUrl?: string | undefined
  /** Largest JSON body accepted (default 64 KiB). */
  readonly bodyLimitBytes?: number
  /** CSP `frame-ancestors` of widget pages (default `*`: any site may frame the card). */
  readonly frameAncestors?: string
  /** More routes served through the same pipeline and listed in /openapi.json (e.g. /metrics, /v1/health). */
  readonly extraRoutes?: ReadonlyArray<RouteSpec>
  /**
   * Answers `/readyz` from a health model (e.g. `@guildpulse/observability`'s `readiness`) instead of the
   * built-in probe (scheduler running, stores answering).
   */
  readonly readiness?: Effect.Effect<{ readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string }>
  /**
   * Memoise the last fresh public stats answer of each profile until its age ticks (≤ 1 s; default true).
   * Turn off to run the engine on every request (changes made by other processes then show at once).
   */
  readonly freshMemo?: boolean
  /** How long a request arriving while the engine is still being built waits before a 503 (default 10 s). */
  readonly startupWaitMs?: number
  /**
   * The operator console at `/console` (HTML pages; sign-in with an API key). Off unless given; pass
   * `{ observability }` (the `ObservabilityHttp` handlers) for the health dashboard and alert rules.
   */
  readonly console?: Console.ConsoleOptions | boolean | undefined
  /** Title/version of the OpenAPI document. */
  readonly openApi?: Omit<OpenApi.OpenApiInfo, "serverUrl">
}

export interface GuildPulseRouter extends Router {
  /** The one runtime every handler runs through. */
  readonly runtime: ManagedRuntime.ManagedRuntime<Engine.Services, unknown>
  /** Resolves when the engine is built (rejects if it failed to build). */
  readonly ready: Promise<void>
  /** Every route served (built-in and extra), e.g. to generate documentation. */
  readonly routes: ReadonlyArray<RouteSpec>
  /** Disposes the runtime (stops the scheduler, releases stores) when the router built it from a layer. */
  readonly dispose: () => Promise<void>
}

export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024
export const DEFAULT_STARTUP_WAIT_MS = 10_000
/** Paths under which an unknown route is answered with a 404 problem (others fall through to the host app). */
const API_PREFIXES = ["/v1"]

/**
 * Checks a `publicUrl` (absolute http(s), no credentials, query or fragment) and drops its trailing slash.
 * Throws a `TypeError` naming the option: a wrong base URL would be served to every visitor.
 */
export const normalizePublicUrl = (value: string): string => {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new TypeError(`guildPulse: publicUrl must be an absolute http(s) URL such as https://example.com/discord, got '${value.slice(0, 200)}'`)
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    throw new TypeError("guildPulse: publicUrl must be an http(s) URL without credentials, query or fragment")
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "")
}

export const guildPulse = (options: GuildPulseOptions): GuildPulseRouter => {
  if (options.runtime === undefined && options.layer === undefined) {
    throw new TypeError("guildPulse: pass the engine as `layer` (a Layer of Engine.Services) or `runtime` (a ManagedRuntime)")
  }
  const publicUrl = options.publicUrl === undefined ? undefined : normalizePublicUrl(options.publicUrl)
  const owned = options.runtime === undefined
  const runtime: ManagedRuntime.ManagedRuntime<Engine.Services, unknown> =
    options.runtime ?? ManagedRuntime.make(options.layer as Layer.Layer<Engine.Services, unknown, never>)

  let resolveReady: (engine: EngineHandle | undefined) => void = () => undefined
  const engineState: EngineState = {
    current: undefined,
    failure: undefined,
    startupWaitMs: options.startupWaitMs ?? DEFAULT_STARTUP_WAIT_MS,
    ready: new Promise<EngineHandle | undefined>((resolve) => (resolveReady = resolve))
  }
  const logDefect = makeLogDefect(engineState, () => (options.adminKey !== undefined ? [Redacted.value(options.adminKey)] : []))
  const ready = runtime.runtime().then(
    (rt) => {
      engineState.current = makeHandle(rt)
      resolveReady(engineState.current)
    },
    (failure: unknown) => {
      engineState.failure = failure ?? new Error("engine failed to build")
      logDefect("the engine failed to build", failure)
      resolveReady(undefined)
      throw failure
    }
  )
  // Callers that never await `ready` must not see an unhandled rejection; failures are logged above.
  ready.catch(() => undefined)

  const authenticators: Array<Authenticator.Authenticator> = []
  if (options.adminKey !== undefined) authenticators.push(Authenticator.bootstrap(options.adminKey))
  if (options.governance !== undefined) authenticators.push(ApiKeyAuth.authenticator(options.governance.apiKeys))
  if (options.authenticator !== undefined) authenticators.push(options.authenticator)

  const pipeline: Pipeline = {
    engine: engineState,
    cors: Cors.make(options.cors),
    authenticator: Authenticator.anyOf(...authenticators),
    logDefect,
    audit: options.governance?.audit
  }

  const limiter = options.publicRateLimit === false ? undefined : RateLimiter.make(options.publicRateLimit ?? RateLimiter.DEFAULT_RATE_LIMIT)
  const clientKey = options.clientKey ?? ((req: Request) => req.ip ?? req.socket.remoteAddress ?? "unknown")

  const documents = new Map<string, { readonly body: Buffer; readonly etag: string }>()
  let routes: ReadonlyArray<RouteSpec> = []
  const openApi = (basePath: string) => {
    let document = documents.get(basePath)
    if (document === undefined) {
      const body = Buffer.from(JSON.stringify(OpenApi.generate(routes, { ...options.openApi, serverUrl: basePath === "" ? "/" : basePath })), "utf8")
      document = { body, etag: etagOf(body) }
      if (documents.size < 16) documents.set(basePath, document)
    }
    return document
  }

  const hot = options.freshMemo === false ? HotCache.disabled : HotCache.make()
  routes = [
    ...publicRoutes({
      hot,
      limiter,
      clientKey,
      serialize: ViewCache.make(),
      publicUrl,
      frameAncestors: options.frameAncestors ?? "*",
      openApi,
      logDefect,
      readiness: options.readiness
    }),
    ...adminRoutes({ bodyLimitBytes: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES, logDefect, invalidate: hot.forget }),
    ...analyticsRoutes({ logDefect }),
    ...(options.governance !== undefined
      ? governanceRoutes({ governance: options.governance, bodyLimitBytes: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES, logDefect })
      : []),
    ...(options.tokens !== undefined
      ? tokenRoutes({ tokens: options.tokens, bodyLimitBytes: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES, logDefect, invalidate: hot.forget })
      : []),
    ...(options.extraRoutes ?? [])
  ]

  const router = express.Router({ caseSensitive: true, strict: false })
  for (const spec of routes) register(router, spec, pipeline)
  const byPath = new Map<string, Array<RouteSpec>>()
  for (const spec of routes) byPath.set(spec.path, [...(byPath.get(spec.path) ?? []), spec])
  for (const [path, specs] of byPath) registerFallback(router, path, specs, pipeline)
  if (options.console !== undefined && options.console !== false) {
    router.use(
      "/console",
      Console.consoleRouter(
        {
          engine: engineState,
          authenticator: pipeline.authenticator,
          governance: options.governance,
          tokens: options.tokens,
          logDefect,
          invalidate: hot.forget,
          publicUrl
        },
        options.console === true ? {} : options.console
      )
    )
  }
  router.use(notFoundUnder(API_PREFIXES))
  router.use(errorHandler(pipeline))

  return Object.assign(router, {
    runtime,
    ready,
    routes,
    dispose: () => (owned ? runtime.dispose() : Promise.resolve())
  })
}
