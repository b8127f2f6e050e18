/**
 * The operator console: server-rendered HTML pages under `/console` of the router (off unless
 * `guildPulse({ console: … })` turns it on). An operator signs in with an API key; the key stays in a
 * server-side session (see `internal/console/session.ts`) and every page runs the engine's use cases as that
 * key's principal: what the key may not read is not shown, what it may not change is not offered. Pages read
 * without JavaScript; a small script adds live updates (server-sent events), copy buttons and the embed
 * preview.
 *
 * Sessions live in this process's memory: behind a load balancer, pin console traffic to one instance (or
 * sign in again after a restart).
 */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import type { Engine, GuildPulseEvent, Profile, ProfileKey, Tokens } from "@guildpulse/core"
import { AuditLog, Redaction } from "@guildpulse/core"
import type { Health, ObservabilityHttp } from "@guildpulse/observability"
import express, { type Request, type Response, type Router } from "express"
import { Cause, Clock, Effect, Exit, Option, Redacted } from "effect"
import type { Governance } from "./ApiKeyAuth.js"
import { canAccessProfile, hasScope, type Authenticator, type Principal } from "./Authenticator.js"
import * as Problem from "./Problem.js"
import type { EngineHandle } from "./internal/engine.js"
import type { EngineState } from "./internal/pipeline.js"
import { css, clientScript, csrfField, esc, layout, notice, type Nav } from "./internal/console/html.js"
import * as Sessions from "./internal/console/session.js"
import * as Views from "./internal/console/views.js"
import { isProfileKey } from "./internal/publicView.js"
import { visiblePage } from "./internal/governanceRoutes.js"

export interface ConsoleOptions {
  /**
   * The observability handlers (`ObservabilityHttp`): the health dashboard, alert rules and "send test".
   * Without them the dashboard lists profiles only.
   */
  readonly observability?: ObservabilityHttp.ObservabilityHttp["Type"] | undefined
  /** A session ends after this long without a request (default 30 minutes, on the engine's clock). */
  readonly idleTimeoutMs?: number
  /** How often live pages look for changes (default 2 s). */
  readonly liveIntervalMs?: number
}

/** What the router hands the console (internal). */
export interface ConsoleDeps {
  readonly engine: EngineState
  readonly authenticator: Authenticator
  readonly governance?: Governance | undefined
  readonly tokens?: Tokens.Tokens["Type"] | undefined
  readonly logDefect: (what: string, defect: unknown) => void
  readonly invalidate: (profile: string) => void
  readonly publicUrl?: string | undefined
}

export const DEFAULT_LIVE_INTERVAL_MS = 2_000
const MAX_KEY_LENGTH = 512

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'"
].join("; ")

interface Ctx {
  readonly req: Request
  readonly res: Response
  /** Where the console is mounted (`/discord/console`). */
  readonly base: string
  /** Where the API is mounted (`/discord`). */
  readonly apiBase: string
  readonly engine: EngineHandle
  readonly session: Sessions.Session
  readonly principal: Principal
}

type Failure = { readonly _tag: "failure"; readonly problem: Problem.Problem }
const isFailure = (value: unknown): value is Failure => typeof value === "object" && value !== null && (value as { _tag?: unknown })._tag === "failure"

const pageHeaders = (res: Response, status: number) => {
  res.status(status)
  res.setHeader("Content-Type", "text/html; charset=utf-8")
  res.setHeader("Cache-Control", "no-store")
  res.setHeader("Content-Security-Policy", CSP)
  res.setHeader("X-Content-Type-Options", "nosniff")
  res.setHeader("Referrer-Policy", "same-origin")
  res.setHeader("X-Frame-Options", "DENY")
}

export const consoleRouter = (deps: ConsoleDeps, options: ConsoleOptions = {}): Router => {
  const store = Sessions.makeStore(options.idleTimeoutMs ?? Sessions.DEFAULT_IDLE_MS)
  const liveMs = options.liveIntervalMs ?? DEFAULT_LIVE_INTERVAL_MS
  const observability = options.observability
  const router = express.Router({ caseSensitive: true, strict: false })

  const secure = (req: Request) => req.secure
  const cookiePath = (req: Request) => req.baseUrl || "/"

  const engineOf = async (): Promise<EngineHandle | undefined> => {
    if (deps.engine.current !== undefined) return deps.engine.current
    if (deps.engine.failure !== undefined) return undefined
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), deps.engine.startupWaitMs)))
    const engine = await Promise.race([deps.engine.ready, timeout])
    clearTimeout(timer)
    return engine
  }

  /** Runs an effect on the engine; a failure becomes the problem the API would answer. */
  const run = async <A, E>(engine: EngineHandle, where: string, effect: Effect.Effect<A, E, Engine.Services>): Promise<A | Failure> => {
    const exit = await engine.run(effect)
    if (Exit.isSuccess(exit)) return exit.value
    const { response, defect } = Problem.fromCause(exit.cause)
    if (defect) deps.logDefect(`unexpected error while serving the console's ${where}`, exit.cause)
    return { _tag: "failure", problem: response.problem }
  }

  const send = (res: Response, status: number, html: string) => {
    pageHeaders(res, status)
    res.end(html)
  }

  const redirect = (res: Response, location: string) => {
    res.status(303)
    res.setHeader("Location", location)
    res.setHeader("Cache-Control", "no-store")
    res.end()
  }

  const errorPage = (base: string, _status: number, title: string, text: string, nav?: Nav) =>
    layout(base, { title, nav, body: `${notice("error", text)}<p><a href="${esc(base)}/">Back to the dashboard</a></p>` })

  const audit = (ctx: Ctx, action: string, profile: string | undefined, before?: unknown, after?: unknown): Effect.Effect<void> => {
    const log = deps.governance?.audit
    if (log === undefined) return Effect.void
    const ip = (ctx.req.ip ?? ctx.req.socket.remoteAddress)?.slice(0, 64)
    return Clock.currentTimeMillis.pipe(
      Effect.flatMap((atMs) =>
        log.append({
          atMs,
          keyId: ctx.principal.subject,
          action,
          ...(profile !== undefined ? { profile: profile as ProfileKey } : {}),
          ...(ip !== undefined ? { ip } : {}),
          ...(before !== undefined ? { before: AuditLog.withoutSecrets(before) } : {}),
          ...(after !== undefined ? { after: AuditLog.withoutSecrets(after) } : {})
        })
      ),
      Effect.catchAllCause((cause) => Effect.sync(() => deps.logDefect(`the audit entry of ${action} could not be recorded`, cause))),
      Effect.asVoid
    )
  }

  // ------------------------------------------------------------------------------------ who is signed in

  const can = (principal: Principal, scope: string) => hasScope(principal, scope)

  const navOf = (ctx: Ctx, current: string): Nav => {
    const p = ctx.principal
    const items: Array<{ href: string; label: string; current: boolean }> = [{ href: `${ctx.base}/`, label: "Dashboard", current: current === "dashboard" }]
    if (can(p, "profiles:write")) items.push({ href: `${ctx.base}/profiles/new`, label: "New profile", current: current === "new-profile" })
    if (deps.governance !== undefined && can(p, "keys:admin")) items.push({ href: `${ctx.base}/keys`, label: "API keys", current: current === "keys" })
    if (observability !== undefined && can(p, "alerts:write") && p.profiles === "*") items.push({ href: `${ctx.base}/alerts`, label: "Alert rules", current: current === "alerts" })
    if (ctx.engine.analytics !== undefined && can(p, "analytics:read")) items.push({ href: `${ctx.base}/report`, label: "Report", current: current === "report" })
    if (deps.governance !== undefined && can(p, "audit:read")) items.push({ href: `${ctx.base}/audit`, label: "Audit log", current: current === "audit" })
    return { base: ctx.base, subject: ctx.session.subject, csrf: ctx.session.csrf, items }
  }

  /** The principal of a session's key, checked again on every request (a revoked key ends the session). */
  const principalOf = async (engine: EngineHandle, key: Redacted.Redacted<string>): Promise<Principal | "unauthorized" | Failure> => {
    const known = deps.authenticator.authenticateSync?.(key, engine.nowMs())
    if (known !== undefined) return known
    const exit = await engine.run(deps.authenticator.authenticate(key))
    if (Exit.isSuccess(exit)) return exit.value
    const failure = Cause.failureOption(exit.cause)
    if (Option.isSome(failure) && failure.value._tag === "Unauthorized") return "unauthorized"
    const { response, defect } = Problem.fromCause(exit.cause)
    if (defect) deps.logDefect("unexpected error while authenticating a console session", exit.cause)
    return { _tag: "failure", problem: response.problem }
  }

  const basesOf = (req: Request) => {
    const base = req.baseUrl
    return { base, apiBase: base.replace(/\/console$/, "") }
  }

  type Handler = (ctx: Ctx) => Promise<void> | void

  /** Pages that need a signed-in session; POSTs also need the session's CSRF token. */
  const signedIn = (handler: Handler) => (req: Request, res: Response) => {
    const { base, apiBase } = basesOf(req)
    const go = async () => {
      const engine = await engineOf()
      if (engine === undefined) return send(res, 503, errorPage(base, 503, "Starting", "The engine is starting (or failed to start); retry shortly."))
      const id = Sessions.parseCookies(req.headers.cookie).get(Sessions.SESSION_COOKIE)
      const session = store.get(id, engine.nowMs())
      if (session === undefined) {
        if (req.method !== "GET") return send(res, 403, errorPage(base, 403, "Signed out", "Your session ended. Sign in again and repeat the change."))
        const next = req.originalUrl.startsWith(`${base}/`) ? `?next=${encodeURIComponent(req.originalUrl)}` : ""
        return redirect(res, `${base}/login${next}`)
      }
      if (req.method === "POST") {
        const submitted = (req.body as Record<string, unknown> | undefined)?.["csrf"]
        if (typeof submitted !== "string" || !Sessions.sameSecret(submitted, session.csrf)) {
          return send(res, 403, errorPage(base, 403, "Form refused", "This form was not sent from a page of your session (CSRF check). Reload the page and try again."))
        }
      }
      const principal = await principalOf(engine, session.key)
      if (principal === "unauthorized") {
        store.destroy(session.id)
        return redirect(res, `${base}/login?ended=key`)
      }
      if (isFailure(principal)) return send(res, principal.problem.status, errorPage(base, principal.problem.status, "Unavailable", principal.problem.detail))
      await handler({ req, res, base, apiBase, engine, session, principal })
    }
    go().catch((defect: unknown) => {
      deps.logDefect(`unexpected error while serving the console's ${req.method} ${req.path.slice(0, 200)}`, defect)
      if (!res.headersSent) send(res, 500, errorPage(base, 500, "Error", "Something went wrong; the error was logged."))
      else res.end()
    })
  }

  const forbidden = (ctx: Ctx, text: string) => send(ctx.res, 403, errorPage(ctx.base, 403, "Not allowed", text, navOf(ctx, "")))
  const notFound = (ctx: Ctx, text = "No such page.") => send(ctx.res, 404, errorPage(ctx.base, 404, "Not found", text, navOf(ctx, "")))
  /**
   * `target` when it exists and the signed-in key holds `scope` (and covers every profile, with `everyProfile`);
   * otherwise answers 404 (`missing`) or 403 and returns undefined. Existence is checked first, so a page a
   * key may not see looks the same as one that does not exist.
   */
  const guard = <A>(
    ctx: Ctx,
    target: A | undefined,
    missing: string,
    scope: string,
    options: { readonly everyProfile?: boolean; readonly refusal?: string } = {}
  ): A | undefined => {
    if (target === undefined) {
      notFound(ctx, missing)
      return undefined
    }
    if (!can(ctx.principal, scope) || (options.everyProfile === true && ctx.principal.profiles !== "*")) {
      forbidden(ctx, options.refusal ?? `This key lacks the '${scope}' scope.`)
      return undefined
    }
    return target
  }

  // ------------------------------------------------------------------------------------ assets

  const asset = (type: string, body: string) => (_req: Request, res: Response) => {
    res.status(200)
    res.setHeader("Content-Type", type)
    res.setHeader("Cache-Control", "no-cache")
    res.setHeader("X-Content-Type-Options", "nosniff")
    res.end(body)
  }
  router.get("/assets/console.css", asset("text/css; charset=utf-8", css))
  router.get("/assets/console.js", asset("text/javascript; charset=utf-8", clientScript))
  // The chart library (uPlot), served from the package's dependency as it is published.
  const vendored = new Map<string, string>()
  const vendor = (file: string, type: string) => (req: Request, res: Response) => {
    let body = vendored.get(file)
    if (body === undefined) {
      try {
        const require = createRequire(typeof __filename === "string" ? __filename : import.meta.url)
        body = readFileSync(require.resolve(`uplot/dist/${file}`), "utf8")
        vendored.set(file, body)
      } catch (defect) {
        deps.logDefect(`the console's chart library (uplot/dist/${file}) could not be read`, defect)
        res.status(404).end()
        return
      }
    }
    asset(type, body)(req, res)
  }
  router.get("/assets/uplot.js", vendor("uPlot.iife.min.js", "text/javascript; charset=utf-8"))
  router.get("/assets/uplot.css", vendor("uPlot.min.css", "text/css; charset=utf-8"))

  router.use(express.urlencoded({ extended: false, limit: "64kb", parameterLimit: 200 }))

  // ------------------------------------------------------------------------------------ sign in / out

  const loginPage = (req: Request, res: Response, status: number, input: { readonly error?: string; readonly info?: string }) => {
    const { base } = basesOf(req)
    const cookies = Sessions.parseCookies(req.headers.cookie)
    let pre = cookies.get(Sessions.LOGIN_COOKIE)
    if (pre === undefined || !/^[A-Za-z0-9_-]{43}$/.test(pre)) {
      pre = store.newLoginCookie()
      res.append("Set-Cookie", Sessions.cookie(Sessions.LOGIN_COOKIE, pre, { path: cookiePath(req), secure: secure(req) }))
    }
    const nextRaw = typeof req.query["next"] === "string" ? req.query["next"] : typeof (req.body as Record<string, unknown> | undefined)?.["next"] === "string" ? String((req.body as Record<string, unknown>)["next"]) : ""
    const next = nextRaw.startsWith(`${base}/`) && !nextRaw.startsWith("//") ? nextRaw : ""
    const errors = new Map<string, string>(input.error !== undefined ? [["key", input.error]] : [])
    send(
      res,
      status,
      layout(base, {
        title: "Sign in",
        body: `${input.info !== undefined ? notice("info", input.info) : ""}
<form class="stack" method="post" action="${esc(base)}/login">
<input type="hidden" name="csrf" value="${esc(store.loginToken(pre))}">
${next !== "" ? `<input type="hidden" name="next" value="${esc(next)}">` : ""}
${Views.textField({ name: "key", label: "API key", type: "password", hint: "The bootstrap admin key or a key issued under API keys. It stays on the server.", errors, required: true, autocomplete: "current-password" })}
<div><button type="submit">Sign in</button></div>
</form>`
      })
    )
  }

  router.get("/login", (req, res) => {
    const ended = req.query["ended"]
    loginPage(req, res, 200, {
      ...(ended === "key" ? { info: "Your session ended: its key no longer works (revoked or expired)." } : {}),
      ...(ended === "out" ? { info: "You are signed out." } : {})
    })
  })

  router.post("/login", (req, res) => {
    const { base } = basesOf(req)
    const go = async () => {
      const body = (req.body ?? {}) as Record<string, unknown>
      const cookies = Sessions.parseCookies(req.headers.cookie)
      if (!store.checkLoginToken(cookies.get(Sessions.LOGIN_COOKIE), body["csrf"])) {
        return loginPage(req, res, 403, { error: "The sign-in form expired or was not sent from this console (CSRF check). Try again." })
      }
      const text = typeof body["key"] === "string" ? body["key"].trim() : ""
      if (text === "" || text.length > MAX_KEY_LENGTH || /\s/.test(text)) {
        return loginPage(req, res, 400, { error: "Enter an API key (no spaces, at most 512 characters)." })
      }
      const engine = await engineOf()
      if (engine === undefined) return send(res, 503, errorPage(base, 503, "Starting", "The engine is starting (or failed to start); retry shortly."))
      const key = Redacted.make(text)
      const principal = await principalOf(engine, key)
      if (principal === "unauthorized") return loginPage(req, res, 401, { error: "This key is not recognised (or is revoked or expired)." })
      if (isFailure(principal)) return send(res, principal.problem.status, errorPage(base, principal.problem.status, "Unavailable", principal.problem.detail))
      // A session id the browser already had is never reused (session fixation): a new one is minted.
      const old = cookies.get(Sessions.SESSION_COOKIE)
      if (old !== undefined) store.destroy(old)
      const session = store.create(key, principal.subject, engine.nowMs())
      res.append("Set-Cookie", Sessions.cookie(Sessions.SESSION_COOKIE, session.id, { path: cookiePath(req), secure: secure(req) }))
      res.append("Set-Cookie", Sessions.cookie(Sessions.LOGIN_COOKIE, "", { path: cookiePath(req), secure: secure(req), maxAgeSeconds: 0 }))
      const next = typeof body["next"] === "string" && body["next"].startsWith(`${base}/`) && !body["next"].startsWith("//") ? body["next"] : `${base}/`
      redirect(res, next)
    }
    go().catch((defect: unknown) => {
      deps.logDefect("unexpected error while signing in to the console", defect)
      if (!res.headersSent) send(res, 500, errorPage(base, 500, "Error", "Something went wrong; the error was logged."))
    })
  })

  router.post(
    "/logout",
    signedIn((ctx) => {
      store.destroy(ctx.session.id)
      ctx.res.append("Set-Cookie", Sessions.cookie(Sessions.SESSION_COOKIE, "", { path: cookiePath(ctx.req), secure: secure(ctx.req), maxAgeSeconds: 0 }))
      redirect(ctx.res, `${ctx.base}/login?ended=out`)
    })
  )

  // ------------------------------------------------------------------------------------ dashboard

  /** The health report as this principal may see it, computed on the engine's runtime (its clock). */
  const healthOf = async (engine: EngineHandle, principal: Principal): Promise<Health.HealthReport | undefined> => {
    if (observability === undefined || !can(principal, "health:read")) return undefined
    const exit = await engine.run(observability.health({ profiles: principal.profiles }))
    if (Exit.isFailure(exit)) throw Cause.squash(exit.cause)
    return JSON.parse(exit.value.body) as Health.HealthReport
  }

  /**
   * The health report for the live streams: open dashboards of the same access (every profile, or the same
   * allow-list) share one computation per interval instead of one each.
   */
  const sharedHealth = new Map<string, { readonly atMs: number; readonly report: Promise<Health.HealthReport | undefined> }>()
  const liveHealthOf = (engine: EngineHandle, principal: Principal): Promise<Health.HealthReport | undefined> => {
    const key = `${can(principal, "health:read") ? "h" : "-"}:${principal.profiles === "*" ? "*" : [...principal.profiles].sort().join(",")}`
    const nowMs = engine.nowMs()
    const cached = sharedHealth.get(key)
    if (cached !== undefined && nowMs - cached.atMs >= 0 && nowMs - cached.atMs < liveMs * 0.9) return cached.report
    for (const [k, v] of sharedHealth) if (!(nowMs - v.atMs < liveMs)) sharedHealth.delete(k)
    const report = healthOf(engine, principal)
    report.catch(() => sharedHealth.delete(key))
    if (sharedHealth.size < 1000) sharedHealth.set(key, { atMs: nowMs, report })
    return report
  }

  const visibleProfiles = async (ctx: Ctx): Promise<ReadonlyArray<Profile> | Failure> => {
    const list = await run(ctx.engine, "profile list", ctx.engine.profiles.list)
    if (isFailure(list)) return list
    return list.filter((p) => canAccessProfile(ctx.principal, p.key))
  }

  router.get(
    "/",
    signedIn(async (ctx) => {
      const report = await healthOf(ctx.engine, ctx.principal)
      let body: string
      if (report !== undefined) {
        body = `<p id="live-status" class="muted" role="status">Live updates start when the page's script runs; reload to refresh without it.</p>
<div id="health-summary">${Views.healthSummary(report)}</div>
<h2>Profiles</h2>
${Views.healthTable(ctx.base, report, "Problems first; circuits, error rates and latencies per source over the last hour.")}`
      } else if (can(ctx.principal, "profiles:read")) {
        const profiles = await visibleProfiles(ctx)
        if (isFailure(profiles)) return send(ctx.res, profiles.problem.status, errorPage(ctx.base, profiles.problem.status, "Unavailable", profiles.problem.detail, navOf(ctx, "dashboard")))
        body = `${notice("info", observability === undefined ? "The health model is not configured: profiles only." : "This key lacks the 'health:read' scope: profiles only.")}
<h2>Profiles</h2>${Views.profileListTable(ctx.base, profiles)}`
      } else {
        body = notice("info", "This key may read neither health nor profiles.")
      }
      send(ctx.res, 200, layout(ctx.base, { title: "Dashboard", nav: navOf(ctx, "dashboard"), body, ...(report !== undefined ? { live: `${ctx.base}/live` } : {}) }))
    })
  )

  /** A server-sent events stream: `tick` runs every `liveMs` and writes what changed; ends with the session. */
  const stream = (ctx: Ctx, tick: (write: (event: string, data: unknown) => void) => Promise<void>) => {
    const { res, req } = ctx
    res.status(200)
    res.setHeader("Content-Type", "text/event-stream; charset=utf-8")
    res.setHeader("Cache-Control", "no-store")
    res.setHeader("X-Accel-Buffering", "no")
    res.flushHeaders()
    res.write("retry: 3000\n\n")
    let closed = false
    let running = false
    const write = (event: string, data: unknown) => {
      if (!closed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
    }
    const step = async () => {
      if (closed || running) return
      running = true
      try {
        const id = ctx.session.id
        // The stream does not keep a session alive, but it ends with it.
        if (store.get(id, ctx.engine.nowMs(), false) === undefined) {
          write("signedout", {})
          return close()
        }
        const principal = await principalOf(ctx.engine, ctx.session.key)
        if (principal === "unauthorized") {
          store.destroy(id)
          write("signedout", {})
          return close()
        }
        await tick(write)
      } catch (defect) {
        deps.logDefect("unexpected error in a console live stream", defect)
      } finally {
        running = false
      }
    }
    const timer = setInterval(() => void step(), liveMs)
    timer.unref?.()
    const close = () => {
      if (closed) return
      closed = true
      clearInterval(timer)
      res.end()
    }
    req.on("close", close)
    void step()
  }

  router.get(
    "/live",
    signedIn((ctx) => {
      if (observability === undefined || !can(ctx.principal, "health:read")) return forbidden(ctx, "This key lacks the 'health:read' scope.")
      let last = ""
      stream(ctx, async (write) => {
        const report = await liveHealthOf(ctx.engine, ctx.principal)
        if (report === undefined) return
        const payload = { "health-rows": Views.healthRows(ctx.base, report), "health-summary": Views.healthSummary(report) }
        const text = JSON.stringify(payload)
        if (text !== last) {
          last = text
          write("replace", payload)
        }
      })
    })
  )

  // ------------------------------------------------------------------------------------ profile pages

  const profileParam = (ctx: Ctx): ProfileKey | undefined => {
    const key = ctx.req.params["profile"]
    return typeof key === "string" && isProfileKey(key) && canAccessProfile(ctx.principal, key) ? key : undefined
  }

  const readProfile = async (ctx: Ctx): Promise<Profile | undefined> => {
    if (!can(ctx.principal, "profiles:read")) {
      forbidden(ctx, "This key lacks the 'profiles:read' scope.")
      return undefined
    }
    const key = profileParam(ctx)
    if (key === undefined) {
      notFound(ctx, "No such profile.")
      return undefined
    }
    const profile = await run(ctx.engine, "profile", ctx.engine.profiles.get(key))
    if (isFailure(profile)) {
      if (profile.problem.status === 404) notFound(ctx, profile.problem.detail)
      else send(ctx.res, profile.problem.status, errorPage(ctx.base, profile.problem.status, "Unavailable", profile.problem.detail, navOf(ctx, "")))
      return undefined
    }
    return profile
  }

  const recentEvents = async (ctx: Ctx, key: ProfileKey, limit = 30): Promise<ReadonlyArray<GuildPulseEvent>> => {
    if (!can(ctx.principal, "events:read")) return []
    const page = await run(ctx.engine, "events", ctx.engine.events.query({ profile: key, limit }))
    return isFailure(page) ? [] : page.events
  }

  router.get(
    "/profiles/new",
    signedIn((ctx) => {
      if (!can(ctx.principal, "profiles:write") || ctx.principal.profiles !== "*") return forbidden(ctx, "This key may not create profiles.")
      send(ctx.res, 200, layout(ctx.base, { title: "New profile", nav: navOf(ctx, "new-profile"), body: Views.profileForm({ action: `${ctx.base}/profiles/new`, csrf: ctx.session.csrf, values: Views.emptyProfileValues, errors: new Map(), creating: true }) }))
    })
  )

  const formValues = (body: Record<string, unknown>, key?: string): Views.ProfileFormValues => {
    const text = (name: string) => (typeof body[name] === "string" ? (body[name] as string) : "")
    return {
      key: key ?? text("key").trim(),
      label: text("label"),
      guildId: text("guildId").trim(),
      inviteCode: text("inviteCode").trim(),
      widget: body["sources.widget"] === "on",
      bot: body["sources.bot"] === "on",
      invite: body["sources.invite"] === "on",
      ttlSeconds: text("refresh.ttlSeconds").trim(),
      maxStaleSeconds: text("refresh.maxStaleSeconds").trim(),
      demo: text("fallback.demo") || "never",
      public: body["public"] === "on"
    }
  }

  /** The form as the API's JSON body: numbers where a number is expected (the API names what is wrong). */
  const inputOf = (values: Views.ProfileFormValues, creating: boolean): Record<string, unknown> => {
    const number = (text: string) => (/^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text)
    return {
      ...(creating ? { key: values.key } : {}),
      label: values.label,
      guildId: values.guildId,
      ...(values.inviteCode !== "" ? { inviteCode: values.inviteCode } : creating ? {} : { inviteCode: null }),
      sources: { widget: values.widget, bot: values.bot, invite: values.invite },
      refresh: { ttlSeconds: number(values.ttlSeconds), maxStaleSeconds: number(values.maxStaleSeconds) },
      fallback: { demo: values.demo },
      public: values.public
    }
  }

  router.post(
    "/profiles/new",
    signedIn(async (ctx) => {
      if (!can(ctx.principal, "profiles:write") || ctx.principal.profiles !== "*") return forbidden(ctx, "This key may not create profiles.")
      const values = formValues(ctx.req.body as Record<string, unknown>)
      const reshow = (status: number, issues: ReadonlyArray<{ field: string; message: string }>) =>
        send(ctx.res, status, layout(ctx.base, { title: "New profile", nav: navOf(ctx, "new-profile"), body: Views.profileForm({ action: `${ctx.base}/profiles/new`, csrf: ctx.session.csrf, values, errors: Views.issuesMap(issues), creating: true }) }))
      if (!isProfileKey(values.key)) return reshow(400, [{ field: "key", message: "must be 1-64 characters of a-z, 0-9, '_' or '-'" }])
      const result = await run(
        ctx.engine,
        "profile create",
        Effect.tap(ctx.engine.profiles.put(values.key, inputOf(values, true), 0), ({ profile }) => audit(ctx, "profile.create", profile.key, undefined, profile))
      )
      if (isFailure(result)) {
        const issues = result.problem.errors ?? (result.problem.status === 409 ? [{ field: "key", message: "is already used by another profile" }] : [{ field: "form", message: result.problem.detail }])
        return reshow(result.problem.status, issues)
      }
      deps.invalidate(values.key)
      redirect(ctx.res, `${ctx.base}/profiles/${encodeURIComponent(values.key)}?done=created`)
    })
  )

  const doneText: Record<string, string> = {
    created: "Profile created.",
    saved: "Changes saved.",
    "token-set": "Token stored (checked with Discord).",
    "token-removed": "Token removed.",
    refresh: "Refresh requested."
  }

  router.get(
    "/profiles/:profile",
    signedIn(async (ctx) => {
      const profile = await readProfile(ctx)
      if (profile === undefined) return
      if (ctx.req.query["fragment"] === "embed") {
        send(ctx.res, 200, embedSection(ctx, profile))
        return
      }
      const view = await run(ctx.engine, "stats", ctx.engine.stats.view(profile))
      const report = await healthOf(ctx.engine, ctx.principal)
      const health = report?.profiles.find((p) => p.profile === profile.key)
      const events = await recentEvents(ctx, profile.key)
      const done = typeof ctx.req.query["done"] === "string" ? doneText[ctx.req.query["done"]] : undefined
      const canWrite = can(ctx.principal, "profiles:write")
      const analyticsHtml = await analyticsSection(ctx, profile)
      const body = `${done !== undefined ? notice("ok", done) : ""}
<p id="live-status" class="muted" role="status"></p>
${canWrite ? `<p><a href="${esc(ctx.base)}/profiles/${esc(profile.key)}/edit">Edit profile</a></p>` : ""}
<h2>Current numbers</h2>
<div id="profile-numbers">${isFailure(view) ? notice("error", view.problem.detail) : Views.countsTable(view)}</div>
${health !== undefined ? `<h2>Health</h2><div id="profile-health">${Views.profileHealthSummary(health)}</div><h2>Sources and circuits</h2><div id="profile-sources">${Views.sourcesTable(health)}</div>` : ""}
${can(ctx.principal, "events:read") ? `<h2>Live events</h2><ul class="events" id="event-list" tabindex="0" aria-label="Latest events, newest first">${events.length === 0 ? "" : events.map(Views.eventItem).join("\n")}</ul>` : ""}
${analyticsHtml !== "" ? `<h2>Analytics</h2>\n${analyticsHtml}` : ""}
<h2>Token</h2>
${tokenSection(ctx, profile)}
<h2>Embed</h2>
${embedOptionsForm(ctx, profile)}
<div id="embed-region">${embedSection(ctx, profile)}</div>
${canWrite && can(ctx.principal, "profiles:refresh") ? "" : ""}
${canWrite ? `<h2>Danger zone</h2><form method="post" action="${esc(ctx.base)}/profiles/${esc(profile.key)}/delete">${csrfField(ctx.session.csrf)}<input type="hidden" name="version" value="${profile.version}"><button class="danger" type="submit">Delete profile ${esc(profile.key)}</button></form>` : ""}`
      const charts = analyticsHtml !== "" ? { scripts: [`${ctx.base}/assets/uplot.js`], styles: [`${ctx.base}/assets/uplot.css`] } : {}
      send(ctx.res, 200, layout(ctx.base, { title: profile.label, nav: navOf(ctx, "profile"), body, live: `${ctx.base}/profiles/${profile.key}/live`, ...charts }))
    })
  )

  router.get(
    "/profiles/:profile/live",
    signedIn(async (ctx) => {
      const profile = await readProfile(ctx)
      if (profile === undefined) return
      let lastHealth = ""
      let newest = (await recentEvents(ctx, profile.key, 1))[0]?.ts
      stream(ctx, async (write) => {
        const report = await liveHealthOf(ctx.engine, ctx.principal)
        const health = report?.profiles.find((p) => p.profile === profile.key)
        const view = await run(ctx.engine, "stats", ctx.engine.stats.view(profile))
        const payload: Record<string, string> = {}
        if (!isFailure(view)) payload["profile-numbers"] = Views.countsTable(view)
        if (health !== undefined) {
          payload["profile-health"] = Views.profileHealthSummary(health)
          payload["profile-sources"] = Views.sourcesTable(health)
        }
        const text = JSON.stringify(payload)
        if (text !== lastHealth) {
          lastHealth = text
          write("replace", payload)
        }
        const events = await recentEvents(ctx, profile.key, 50)
        const fresh = newest === undefined ? events : events.filter((e) => e.ts > newest!)
        if (fresh.length > 0) {
          newest = fresh[0]!.ts
          write("prepend", { "event-list": fresh.map(Views.eventItem).join("\n") })
        }
      })
    })
  )

  // ------------------------------------------------------------------------------------ analytics

  const analyticsOf = (ctx: Ctx) => (can(ctx.principal, "analytics:read") ? ctx.engine.analytics : undefined)
  const rangeOf = (ctx: Ctx): Views.RangeName => {
    const raw = ctx.req.query["range"]
    return typeof raw === "string" && raw in Views.RANGES ? (raw as Views.RangeName) : "24h"
  }

  /** The profile's analytics (series, aggregates, heatmap, comparison), drawn by the chart library. */
  const analyticsSection = async (ctx: Ctx, profile: Profile): Promise<string> => {
    const analytics = analyticsOf(ctx)
    if (analytics === undefined) return ""
    const range = rangeOf(ctx)
    const toMs = ctx.engine.nowMs()
    const span = { fromMs: toMs - Views.RANGES[range], toMs }
    const visible = await visibleProfiles(ctx)
    const others = isFailure(visible) ? [] : visible.filter((p) => p.key !== profile.key)
    const raw = ctx.req.query["compare"]
    const wanted = new Set((Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((v) => String(v).split(",")))
    const compared = others.filter((p) => wanted.has(p.key)).slice(0, 5)
    const key = profile.key as ProfileKey
    const result = await run(
      ctx.engine,
      "analytics",
      Effect.all([
        analytics.series(key, { ...span, maxPoints: 240 }),
        analytics.aggregates(key, span),
        analytics.heatmap(key, { ...span, timeZone: "UTC" }),
        compared.length === 0 ? Effect.succeed(undefined) : analytics.compare([key, ...compared.map((p) => p.key as ProfileKey)], { ...span, maxPoints: 240 })
      ])
    )
    if (isFailure(result)) return notice("error", result.problem.detail)
    const [series, aggregates, heatmap, comparison] = result
    const href = (r: Views.RangeName) => `${ctx.base}/profiles/${profile.key}?range=${r}${compared.map((p) => `&compare=${encodeURIComponent(p.key)}`).join("")}`
    const data = {
      fromMs: span.fromMs,
      toMs: span.toMs,
      points: series.points.map((p) => ({ atMs: p.atMs, online: p.online?.avg ?? null, members: p.members?.avg ?? null })),
      comparison: comparison === undefined ? null : comparison
    }
    return `${Views.rangeNav(href, range)}
${Views.aggregatesTable(aggregates)}
<div class="grid2">
<figure><figcaption>Online over ${esc(range)}</figcaption><div class="chart" id="chart-online" role="img" aria-label="Line chart of online members over ${esc(range)}; the numbers are in the table above">${series.points.length === 0 ? "No samples yet." : "The chart needs JavaScript; the table above has the numbers."}</div></figure>
<figure><figcaption>Members over ${esc(range)}</figcaption><div class="chart" id="chart-members" role="img" aria-label="Line chart of members over ${esc(range)}; the numbers are in the table above">${series.points.length === 0 ? "No samples yet." : "The chart needs JavaScript; the table above has the numbers."}</div></figure>
</div>
<h3>Activity heatmap</h3>
${Views.heatmapTable(heatmap)}
<h3>Comparison</h3>
${others.length === 0 ? "<p class=\"muted\">No other profile to compare with.</p>" : `<form method="get" action="${esc(ctx.base)}/profiles/${esc(profile.key)}">
<input type="hidden" name="range" value="${esc(range)}">
<fieldset><legend>Compare online with</legend><div class="checks">${others.slice(0, 20).map((p) => `<label><input type="checkbox" name="compare" value="${esc(p.key)}"${compared.some((c) => c.key === p.key) ? " checked" : ""}> ${esc(p.label)}</label>`).join("")}</div></fieldset>
<div><button class="secondary" type="submit">Compare</button></div></form>`}
${comparison !== undefined ? `<figure><figcaption>Online: ${[profile, ...compared].map((p) => esc(p.label)).join(", ")}</figcaption><div class="chart" id="chart-compare" role="img" aria-label="Line chart comparing online members of ${[profile, ...compared].map((p) => esc(p.label)).join(", ")}">The chart needs JavaScript.</div></figure>
<div class="scroll" tabindex="0" role="region" aria-label="Comparison"><table><thead><tr><th scope="col">Profile</th><th scope="col">Average online</th><th scope="col">Newest online</th></tr></thead><tbody>${comparison.series.map((s) => {
  const values = s.online.filter((v): v is number => v !== null)
  return `<tr><th scope="row">${esc(s.profile)}</th><td>${values.length === 0 ? "—" : (values.reduce((a, b) => a + b, 0) / values.length).toFixed(1)}</td><td>${values.length === 0 ? "—" : values[values.length - 1]}</td></tr>`
}).join("")}</tbody></table></div>` : ""}
${Views.jsonBlock("analytics-data", data)}`
  }

  router.get(
    "/report",
    signedIn(async (ctx) => {
      const analytics = analyticsOf(ctx)
      if (analytics === undefined) return can(ctx.principal, "analytics:read") ? notFound(ctx, "Analytics are not enabled on this server.") : forbidden(ctx, "This key lacks the 'analytics:read' scope.")
      const range = rangeOf(ctx)
      const toMs = ctx.engine.nowMs()
      const visible = await visibleProfiles(ctx)
      if (isFailure(visible)) return send(ctx.res, visible.problem.status, errorPage(ctx.base, visible.problem.status, "Unavailable", visible.problem.detail, navOf(ctx, "report")))
      const result = await run(ctx.engine, "report", analytics.report(visible.map((p) => ({ key: p.key as ProfileKey, label: p.label })), { fromMs: toMs - Views.RANGES[range], toMs, timeZone: "UTC" }))
      if (isFailure(result)) return send(ctx.res, result.problem.status, errorPage(ctx.base, result.problem.status, "Unavailable", result.problem.detail, navOf(ctx, "report")))
      send(ctx.res, 200, layout(ctx.base, { title: "Multi-server report", nav: navOf(ctx, "report"), body: `${Views.rangeNav((r) => `${ctx.base}/report?range=${r}`, range)}\n${Views.reportView(ctx.base, result)}` }))
    })
  )

  const tokenSection = (ctx: Ctx, profile: Profile) => {
    const t = profile.token
    const facts = `<dl class="summary">
<div><dt>Status</dt><dd data-token-status="${esc(t.status)}">${esc(t.status)}</dd></div>
<div><dt>Rotated</dt><dd>${Views.time(t.rotatedAt)}</dd></div>
<div><dt>Last checked</dt><dd>${Views.time(t.lastValidatedAt)}</dd></div>
<div><dt>Expires</dt><dd>${Views.time(t.expiresAt)}</dd></div>
</dl>${t.problem !== undefined ? `<p class="muted">Problem: ${esc(t.problem)}</p>` : ""}`
    if (deps.tokens === undefined || !can(ctx.principal, "tokens:write")) return facts
    const action = `${ctx.base}/profiles/${esc(profile.key)}/token`
    const errors = new Map<string, string>()
    return `${facts}
<form class="stack" method="post" action="${action}">
${csrfField(ctx.session.csrf)}
${Views.textField({ name: "token", label: t.present ? "Rotate: new bot token" : "Bot token", type: "password", hint: "Checked with Discord, then stored encrypted; never shown again.", errors, autocomplete: "off" })}
<div><button type="submit">${t.present ? "Rotate token" : "Set token"}</button></div>
</form>
${t.present ? `<form method="post" action="${action}/remove">${csrfField(ctx.session.csrf)}<button class="secondary" type="submit">Remove token</button></form>` : ""}`
  }

  // ------------------------------------------------------------------------------------ embed snippets

  const themes = ["discord", "dark", "light", "minimal", "high-contrast"] as const
  const layouts = ["horizontal", "vertical", "compact"] as const
  const embedChoice = (ctx: Ctx, profile: Profile) => {
    const q = ctx.req.query
    const theme = typeof q["theme"] === "string" && (themes as ReadonlyArray<string>).includes(q["theme"]) ? q["theme"] : (profile.display.theme ?? "discord")
    const layoutName = typeof q["layout"] === "string" && (layouts as ReadonlyArray<string>).includes(q["layout"]) ? q["layout"] : (profile.display.layout ?? "horizontal")
    return { theme, layout: layoutName }
  }

  const embedOptionsForm = (ctx: Ctx, profile: Profile) => {
    const { theme, layout: layoutName } = embedChoice(ctx, profile)
    const options = (values: ReadonlyArray<string>, chosen: string) => values.map((v) => `<option value="${esc(v)}"${v === chosen ? " selected" : ""}>${esc(v)}</option>`).join("")
    return `<form id="embed-options" class="checks" method="get" action="${esc(ctx.base)}/profiles/${esc(profile.key)}">
<div class="field"><label for="embed-theme">Theme</label><select id="embed-theme" name="theme">${options(themes, theme)}</select></div>
<div class="field"><label for="embed-layout">Layout</label><select id="embed-layout" name="layout">${options(layouts, layoutName)}</select></div>
<div class="field"><span class="hint">Without script:</span><button class="secondary" type="submit">Update preview</button></div>
</form>`
  }

  const embedSection = (ctx: Ctx, profile: Profile) => {
    const { theme, layout: layoutName } = embedChoice(ctx, profile)
    const origin = deps.publicUrl ?? `${ctx.req.protocol}://${ctx.req.get("host") ?? "localhost"}${ctx.apiBase}`
    const api = `${origin}/v1/profiles/${profile.key}`
    const params = new URLSearchParams({ theme, layout: layoutName }).toString()
    const snippets: ReadonlyArray<readonly [string, string, string]> = [
      ["html", "HTML element", `<guildpulse-stats data-endpoint="${api}/stats" data-theme="${theme}" data-layout="${layoutName}"></guildpulse-stats>\n<script src="${origin}/embed.js" defer></script>`],
      ["iframe", "iframe", `<iframe src="${api}/widget?standalone=1&${params}" title="${profile.label.replace(/"/g, "&quot;")} on Discord" width="360" height="160" style="border:0"></iframe>`],
      ["badge", "Badge (Markdown)", `[![Discord](${api}/badge.svg)](${profile.inviteCode !== undefined ? `https://discord.gg/${profile.inviteCode}` : `${api}/widget?standalone=1`})`],
      ["shortcode", "Shortcode (WordPress)", `[discord_stats profile="${profile.key}" theme="${theme}" layout="${layoutName}"]`],
      ["express", "Express", `import express from "express"\nimport { guildPulse } from "@guildpulse/adapter-express"\n\nconst app = express()\napp.use("/discord", guildPulse({ layer }))\n// then, in a page: <guildpulse-stats data-endpoint="/discord/v1/profiles/${profile.key}/stats"></guildpulse-stats>`]
    ]
    const preview = `${ctx.apiBase}/v1/profiles/${encodeURIComponent(profile.key)}/widget?standalone=1&${params}`
    return `<h3>Preview (${esc(theme)}, ${esc(layoutName)})</h3>
<iframe class="preview" id="embed-preview" src="${esc(preview)}" title="Preview of the ${esc(theme)} card"></iframe>
<div class="grid2">
${snippets.map(([id, title, code]) => `<section aria-labelledby="snippet-${id}-title"><h3 id="snippet-${id}-title">${esc(title)}</h3>
<pre class="snippet" id="snippet-${id}">${esc(code)}</pre>
<button type="button" class="secondary" data-copy="snippet-${id}" aria-describedby="snippet-${id}-copied" hidden>Copy ${esc(title)}</button> <span id="snippet-${id}-copied" role="status"></span></section>`).join("\n")}
</div>`
  }

  // ------------------------------------------------------------------------------------ profile changes

  const writable = (ctx: Ctx): string | undefined => guard(ctx, profileParam(ctx), "No such profile.", "profiles:write")

  router.get(
    "/profiles/:profile/edit",
    signedIn(async (ctx) => {
      if (writable(ctx) === undefined) return
      const profile = await readProfile(ctx)
      if (profile === undefined) return
      send(ctx.res, 200, layout(ctx.base, { title: `Edit ${profile.label}`, nav: navOf(ctx, "profile"), body: Views.profileForm({ action: `${ctx.base}/profiles/${profile.key}/edit`, csrf: ctx.session.csrf, values: Views.profileValues(profile), errors: new Map(), creating: false, version: profile.version }) }))
    })
  )

  router.post(
    "/profiles/:profile/edit",
    signedIn(async (ctx) => {
      const key = writable(ctx)
      if (key === undefined) return
      const body = ctx.req.body as Record<string, unknown>
      const values = formValues(body, key)
      const version = typeof body["version"] === "string" && /^\d{1,15}$/.test(body["version"]) ? Number(body["version"]) : undefined
      const before = await run(ctx.engine, "profile", ctx.engine.profiles.get(key))
      const result = await run(
        ctx.engine,
        "profile update",
        Effect.tap(ctx.engine.profiles.update(key, inputOf(values, false), version), (profile) => audit(ctx, "profile.update", key, isFailure(before) ? undefined : before, profile))
      )
      if (isFailure(result)) {
        const issues = result.problem.errors ?? [{ field: "form", message: result.problem.status === 409 ? "Someone changed this profile meanwhile; reload the page to see their change." : result.problem.detail }]
        return send(ctx.res, result.problem.status, layout(ctx.base, { title: `Edit ${key}`, nav: navOf(ctx, "profile"), body: Views.profileForm({ action: `${ctx.base}/profiles/${key}/edit`, csrf: ctx.session.csrf, values, errors: Views.issuesMap(issues), creating: false, ...(version !== undefined ? { version } : {}) }) }))
      }
      deps.invalidate(key)
      redirect(ctx.res, `${ctx.base}/profiles/${encodeURIComponent(key)}?done=saved`)
    })
  )

  router.post(
    "/profiles/:profile/delete",
    signedIn(async (ctx) => {
      const key = writable(ctx)
      if (key === undefined) return
      const before = await run(ctx.engine, "profile", ctx.engine.profiles.get(key))
      const result = await run(ctx.engine, "profile delete", Effect.tap(ctx.engine.profiles.delete(key), () => audit(ctx, "profile.delete", key, isFailure(before) ? undefined : before)))
      if (isFailure(result)) return send(ctx.res, result.problem.status, errorPage(ctx.base, result.problem.status, "Not deleted", result.problem.detail, navOf(ctx, "")))
      deps.invalidate(key)
      redirect(ctx.res, `${ctx.base}/?done=deleted`)
    })
  )

  const tokenTarget = (ctx: Ctx): { key: string; tokens: Tokens.Tokens["Type"] } | undefined => {
    const key = profileParam(ctx)
    const found = key !== undefined && deps.tokens !== undefined ? { key, tokens: deps.tokens } : undefined
    return guard(ctx, found, "No such profile.", "tokens:write")
  }

  router.post(
    "/profiles/:profile/token",
    signedIn(async (ctx) => {
      const target = tokenTarget(ctx)
      if (target === undefined) return
      const raw = (ctx.req.body as Record<string, unknown>)["token"]
      const text = typeof raw === "string" ? raw.trim() : ""
      const fail = (message: string, status: number) =>
        send(ctx.res, status, errorPage(ctx.base, status, "Token not stored", Redaction.redactText(message, text === "" ? [] : [text]), navOf(ctx, "")))
      if (text === "") return fail("Enter the bot token.", 400)
      const result = await run(
        ctx.engine,
        "token set",
        Effect.tap(target.tokens.set(target.key, Redacted.make(text)), (token) =>
          audit(ctx, "token.set", target.key, undefined, { present: token.present, status: token.status, rotatedAt: token.rotatedAt })
        )
      )
      if (isFailure(result)) return fail(result.problem.detail, result.problem.status)
      deps.invalidate(target.key)
      redirect(ctx.res, `${ctx.base}/profiles/${encodeURIComponent(target.key)}?done=token-set`)
    })
  )

  router.post(
    "/profiles/:profile/token/remove",
    signedIn(async (ctx) => {
      const target = tokenTarget(ctx)
      if (target === undefined) return
      const result = await run(ctx.engine, "token remove", Effect.tap(target.tokens.remove(target.key), () => audit(ctx, "token.removed", target.key)))
      if (isFailure(result)) return send(ctx.res, result.problem.status, errorPage(ctx.base, result.problem.status, "Token not removed", result.problem.detail, navOf(ctx, "")))
      deps.invalidate(target.key)
      redirect(ctx.res, `${ctx.base}/profiles/${encodeURIComponent(target.key)}?done=token-removed`)
    })
  )

  // ------------------------------------------------------------------------------------ API keys

  const scopeList = ["profiles:read", "profiles:write", "profiles:refresh", "events:read", "tokens:write", "metrics:read", "health:read", "analytics:read", "keys:admin", "audit:read", "alerts:write"]

  const keysPage = async (ctx: Ctx, status: number, extra: { readonly errors?: ReadonlyMap<string, string>; readonly secret?: { name: string; secret: string }; readonly done?: string; readonly values?: Record<string, unknown> }) => {
    const governance = deps.governance!
    const keys = await run(ctx.engine, "key list", governance.apiKeys.list(ctx.principal))
    if (isFailure(keys)) return send(ctx.res, keys.problem.status, errorPage(ctx.base, keys.problem.status, "Unavailable", keys.problem.detail, navOf(ctx, "keys")))
    const errors = extra.errors ?? new Map<string, string>()
    const values = extra.values ?? {}
    const chosen = new Set(Array.isArray(values["scopes"]) ? (values["scopes"] as Array<string>) : typeof values["scopes"] === "string" ? [values["scopes"]] : [])
    const grantable = scopeList.filter((s) => can(ctx.principal, s))
    const body = `${extra.secret !== undefined ? `<div class="notice ok" role="status"><p>Key <strong>${esc(extra.secret.name)}</strong> created. Copy its secret now: it is shown only once.</p><pre class="snippet" id="new-key-secret">${esc(extra.secret.secret)}</pre><button type="button" class="secondary" data-copy="new-key-secret" aria-describedby="new-key-copied" hidden>Copy secret</button> <span id="new-key-copied" role="status"></span></div>` : ""}
${extra.done !== undefined ? notice("ok", extra.done) : ""}
<h2>Keys</h2>
${Views.keysTable(ctx.base, ctx.session.csrf, keys)}
<h2>Create a key</h2>
${Views.otherIssues(errors, new Set(["name", "scopes", "profiles", "expiresAt", "role"]))}
<form class="stack" method="post" action="${esc(ctx.base)}/keys" novalidate>
${csrfField(ctx.session.csrf)}
${Views.textField({ name: "name", label: "Name", value: typeof values["name"] === "string" ? values["name"] : "", hint: "What the key is for (\"wordpress site\").", errors, required: true })}
<fieldset class="field"${errors.has("scopes") ? ' aria-describedby="f-scopes-error"' : ""}><legend>Scopes</legend><div class="checks">
${grantable.map((s) => `<label><input type="checkbox" name="scopes" value="${esc(s)}"${chosen.has(s) ? " checked" : ""}> <code>${esc(s)}</code></label>`).join("\n")}
</div>${errors.has("scopes") ? `<span class="error" id="f-scopes-error">${esc(errors.get("scopes"))}</span>` : ""}</fieldset>
${Views.textField({ name: "profiles", label: "Profiles", value: typeof values["profiles"] === "string" ? values["profiles"] : "", hint: ctx.principal.profiles === "*" ? "Comma-separated profile keys; empty for every profile." : `Comma-separated, among: ${[...ctx.principal.profiles].join(", ")}.`, errors })}
<div><button type="submit">Create key</button></div>
</form>`
    send(ctx.res, status, layout(ctx.base, { title: "API keys", nav: navOf(ctx, "keys"), body }))
  }

  const keysAllowed = (ctx: Ctx): boolean => guard(ctx, deps.governance, "API keys are not configured on this server.", "keys:admin") !== undefined

  router.get(
    "/keys",
    signedIn(async (ctx) => {
      if (!keysAllowed(ctx)) return
      const secret = ctx.session.flash?.kind === "secret" ? { name: ctx.session.flash.label ?? "", secret: ctx.session.flash.text } : undefined
      const done = ctx.session.flash?.kind === "notice" ? ctx.session.flash.text : undefined
      ctx.session.flash = undefined
      await keysPage(ctx, 200, { ...(secret !== undefined ? { secret } : {}), ...(done !== undefined ? { done } : {}) })
    })
  )

  router.post(
    "/keys",
    signedIn(async (ctx) => {
      if (!keysAllowed(ctx)) return
      const body = ctx.req.body as Record<string, unknown>
      const scopes = Array.isArray(body["scopes"]) ? body["scopes"] : typeof body["scopes"] === "string" ? [body["scopes"]] : []
      const profilesText = typeof body["profiles"] === "string" ? body["profiles"].trim() : ""
      const input = {
        name: typeof body["name"] === "string" ? body["name"].trim() : "",
        scopes,
        ...(profilesText !== "" ? { profiles: profilesText.split(",").map((p) => p.trim()).filter((p) => p !== "") } : {})
      }
      const result = await run(
        ctx.engine,
        "key create",
        Effect.tap(deps.governance!.apiKeys.create(input, ctx.principal), ({ key }) => audit(ctx, "key.create", undefined, undefined, { id: key.id, name: key.name, scopes: key.scopes, profiles: key.profiles }))
      )
      if (isFailure(result)) {
        const issues = (result.problem.errors ?? [{ field: "form", message: result.problem.detail }]).map((i) => ({ ...i, field: i.field.replace(/\.\d+$/, "").replace(/\[\d+\]$/, "") }))
        return keysPage(ctx, result.problem.status, { errors: Views.issuesMap(issues), values: body })
      }
      // The secret is shown on the next page only (post/redirect/get), then forgotten.
      ctx.session.flash = { kind: "secret", text: Redacted.value(result.secret), label: result.key.name }
      redirect(ctx.res, `${ctx.base}/keys`)
    })
  )

  router.post(
    "/keys/:id/revoke",
    signedIn(async (ctx) => {
      if (!keysAllowed(ctx)) return
      const id = String(ctx.req.params["id"]).slice(0, 64)
      const result = await run(
        ctx.engine,
        "key revoke",
        Effect.tap(deps.governance!.apiKeys.revoke(id, ctx.principal), (revoked) =>
          Option.isSome(revoked) ? audit(ctx, "key.revoke", undefined, undefined, { id: revoked.value.id, name: revoked.value.name }) : Effect.void
        )
      )
      if (isFailure(result)) return send(ctx.res, result.problem.status, errorPage(ctx.base, result.problem.status, "Not revoked", result.problem.detail, navOf(ctx, "keys")))
      if (Option.isNone(result)) return notFound(ctx, "No such key.")
      ctx.session.flash = { kind: "notice", text: `Key ${result.value.name} revoked.` }
      redirect(ctx.res, `${ctx.base}/keys`)
    })
  )

  // ------------------------------------------------------------------------------------ alert rules

  const alertsAllowed = (ctx: Ctx): boolean =>
    guard(ctx, observability, "Alerts are not configured on this server.", "alerts:write", {
      everyProfile: true,
      refusal: "Alert rules cover every profile: this key may not change them."
    }) !== undefined

  const alertsPage = async (ctx: Ctx, status: number, extra: { readonly text?: string; readonly errors?: ReadonlyArray<{ field: string; message: string }>; readonly done?: string }) => {
    const current = await Effect.runPromise(observability!.getAlertRules)
    const text = extra.text ?? JSON.stringify(JSON.parse(current.body), null, 2)
    const errors = extra.errors ?? []
    const body = `${extra.done !== undefined ? notice("ok", extra.done) : ""}
<form class="stack" method="post" action="${esc(ctx.base)}/alerts" novalidate>
${csrfField(ctx.session.csrf)}
<div class="field"><label for="f-rules">Rules (JSON)</label>
<span class="hint" id="f-rules-hint">The same document as <code>PUT /v1/alerts/rules</code>.</span>
<textarea id="f-rules" name="rules" aria-describedby="f-rules-hint${errors.length > 0 ? " f-rules-error" : ""}"${errors.length > 0 ? ' aria-invalid="true"' : ""}>${esc(text)}</textarea>
${errors.length > 0 ? `<div class="error" id="f-rules-error" role="alert"><ul>${errors.map((e) => `<li><code>${esc(e.field)}</code> ${esc(e.message)}</li>`).join("")}</ul></div>` : ""}
</div>
<div><button type="submit">Save rules</button></div>
</form>
<h2>Send a test</h2>
<form method="post" action="${esc(ctx.base)}/alerts/test">${csrfField(ctx.session.csrf)}<button class="secondary" type="submit">Send a test notification</button></form>`
    send(ctx.res, status, layout(ctx.base, { title: "Alert rules", nav: navOf(ctx, "alerts"), body }))
  }

  router.get(
    "/alerts",
    signedIn(async (ctx) => {
      if (!alertsAllowed(ctx)) return
      await alertsPage(ctx, 200, {})
    })
  )

  router.post(
    "/alerts",
    signedIn(async (ctx) => {
      if (!alertsAllowed(ctx)) return
      const text = String((ctx.req.body as Record<string, unknown>)["rules"] ?? "")
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch {
        return alertsPage(ctx, 400, { text, errors: [{ field: "rules", message: "is not valid JSON" }] })
      }
      const before = await Effect.runPromise(observability!.getAlertRules)
      const exit = await Effect.runPromiseExit(observability!.putAlertRules(parsed))
      if (Exit.isFailure(exit)) {
        const failure = Cause.failureOption(exit.cause)
        return alertsPage(ctx, 400, { text, errors: Option.isSome(failure) ? failure.value.issues : [{ field: "rules", message: "could not be stored" }] })
      }
      if (exit.value.status >= 300) return alertsPage(ctx, exit.value.status, { text, errors: [{ field: "rules", message: "could not be stored" }] })
      await ctx.engine.run(audit(ctx, "alerts.rules.put", undefined, JSON.parse(before.body), JSON.parse(exit.value.body)))
      await alertsPage(ctx, 200, { done: "Rules saved." })
    })
  )

  router.post(
    "/alerts/test",
    signedIn(async (ctx) => {
      if (!alertsAllowed(ctx)) return
      const exit = await Effect.runPromiseExit(observability!.testAlert({}))
      if (Exit.isFailure(exit)) return alertsPage(ctx, 400, { errors: [{ field: "test", message: "could not be sent" }] })
      const results = JSON.parse(exit.value.body) as unknown
      await alertsPage(ctx, 200, { done: `Test sent: ${JSON.stringify(results)}` })
    })
  )

  // ------------------------------------------------------------------------------------ audit log

  router.get(
    "/audit",
    signedIn(async (ctx) => {
      const governance = guard(ctx, deps.governance, "The audit log is not configured on this server.", "audit:read")
      if (governance === undefined) return
      const q = ctx.req.query
      const str = (name: string) => (typeof q[name] === "string" ? (q[name] as string).trim() : "")
      const filters = { profile: str("profile"), action: str("action"), key: str("key"), cursor: str("cursor") }
      const issues: Array<{ field: string; message: string }> = []
      if (filters.profile !== "" && !isProfileKey(filters.profile)) issues.push({ field: "profile", message: "must be a profile key" })
      if (filters.action !== "" && !/^[a-z_]+(\.[a-z_]+)*$/.test(filters.action)) issues.push({ field: "action", message: "must be an action (profile.update) or an entity (profile)" })
      if (filters.key !== "" && !/^[A-Za-z0-9-]{1,64}$/.test(filters.key)) issues.push({ field: "key", message: "must be a key id" })
      if (filters.cursor !== "" && !/^[A-Za-z0-9_-]{1,64}$/.test(filters.cursor)) issues.push({ field: "cursor", message: "is not a cursor of this log" })
      const errors = Views.issuesMap(issues)
      let table = ""
      let next = ""
      if (issues.length === 0) {
        const page = await run(
          ctx.engine,
          "audit",
          visiblePage(governance.audit, ctx.principal, {
            limit: 50,
            ...(filters.profile !== "" ? { profile: filters.profile as ProfileKey } : {}),
            ...(filters.action !== "" ? { action: filters.action } : {}),
            ...(filters.key !== "" ? { keyId: filters.key } : {}),
            ...(filters.cursor !== "" ? { cursor: filters.cursor } : {})
          })
        )
        if (isFailure(page)) table = notice("error", page.problem.detail)
        else {
          table = Views.auditTable(page.entries)
          if (Option.isSome(page.nextCursor)) {
            const params = new URLSearchParams({ ...(filters.profile !== "" ? { profile: filters.profile } : {}), ...(filters.action !== "" ? { action: filters.action } : {}), ...(filters.key !== "" ? { key: filters.key } : {}), cursor: page.nextCursor.value })
            next = `<p><a href="${esc(ctx.base)}/audit?${esc(params.toString())}">Older entries</a></p>`
          }
        }
      }
      const body = `<form class="checks" method="get" action="${esc(ctx.base)}/audit" role="search" aria-label="Filter the audit log">
${Views.textField({ name: "profile", label: "Profile", value: filters.profile, errors })}
${Views.textField({ name: "action", label: "Action or entity", value: filters.action, errors })}
${Views.textField({ name: "key", label: "Key id", value: filters.key, errors })}
<div class="field"><span class="hint">&nbsp;</span><button type="submit">Filter</button></div>
</form>
${table}${next}`
      send(ctx.res, issues.length === 0 ? 200 : 400, layout(ctx.base, { title: "Audit log", nav: navOf(ctx, "audit"), body }))
    })
  )

  router.use(
    signedIn((ctx) => notFound(ctx))
  )
  return router
}
