/**
 * The demo's own pages: a start page with every public sample profile's card, badge and links; a gallery of
 * every theme and layout; and controls that put the sandbox into failure scenarios so you can watch
 * GuildPulse keep serving honest numbers. None of this markup ever contains a token or the admin key, and
 * profiles with `public: false` never appear.
 *
 * The pages carry a strict CSP (scripts from this origin only, no framing). The controls change what the
 * sandbox does and start upstream calls, so a POST must come from these pages: same origin (`Sec-Fetch-Site`
 * / `Origin`) and the CSRF token of the form (double-submit cookie) — or the admin key as a bearer token.
 * The composition serves them ahead of the API; its 404 and error answers (problem+json, no stack trace) are
 * theirs too.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto"
import type { FakeDiscordServer } from "@guildpulse/connector-discord/sandbox"
import { SCENARIO_MODES, type Scenario } from "@guildpulse/connector-discord/sandbox"
import { Html, Problem, Profiles, RefreshScheduler, Stats, type Engine, type Profile, type StatsView, type Theme, type WidgetOptions } from "@guildpulse/core"
import { renderWidget } from "@guildpulse/widget"
import express, { type NextFunction, type Request, type Response, type Router } from "express"
import { Effect, type ManagedRuntime } from "effect"

export interface PagesOptions {
  readonly runtime: ManagedRuntime.ManagedRuntime<Engine.Services, unknown>
  readonly sandbox: FakeDiscordServer
  /** The admin key: a bearer with it may use the controls without the form's token (scripts, curl). */
  readonly adminKey: string
  /** Where the API is reachable when not on this origin (GUILDPULSE_PUBLIC_URL); added to connect-src. */
  readonly publicUrl?: string | undefined
}

export const CSRF_COOKIE = "gp_demo_csrf"
const CSRF_FIELD = "csrf"

/** The CSP of the demo pages: this origin's scripts, styles inline (the cards' custom properties), no framing. */
export const pagesCsp = (extraOrigins: ReadonlyArray<string> = []): string =>
  [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: https:${extraOrigins.map((o) => ` ${o}`).join("")}`,
    `connect-src 'self'${extraOrigins.map((o) => ` ${o}`).join("")}`,
    "font-src 'self' data:",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'"
  ].join("; ")

/** A problem+json answer in core's one wire format, naming the offending field when there is one. */
const problem = (res: Response, status: number, code: string, detail: string, field?: string) => {
  const answer = Problem.toHttp(Problem.make(status, code, detail, field !== undefined ? { errors: [{ field, message: detail }] } : {}))
  res.status(answer.status).set(answer.headers).send(answer.body)
}

const cookieOf = (req: Request, name: string): string | undefined => {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const index = part.indexOf("=")
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim()
  }
  return undefined
}

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest()
const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b))
const tokenPattern = /^[A-Za-z0-9_-]{32,64}$/

/**
 * Whether a POST comes from these pages: the browser says so with `Sec-Fetch-Site: same-origin`, and an
 * `Origin` header, when sent, names this host. A request with neither is not from a browser form.
 */
const fromSameOrigin = (req: Request): boolean => {
  const site = req.headers["sec-fetch-site"]
  if (site !== undefined && site !== "same-origin") return false
  const origin = req.headers.origin
  if (origin !== undefined) {
    try {
      if (new URL(origin).host !== req.headers.host) return false
    } catch {
      return false
    }
  }
  return site !== undefined || origin !== undefined
}

export const themes: ReadonlyArray<Theme> = ["discord", "dark", "light", "minimal", "high-contrast"]
const layouts = ["horizontal", "vertical", "compact"] as const

const escapeHtml = Html.escape

const page = (title: string, body: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/widget.css">
<style>
  :root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  body { margin: 0; background: #f4f5f7; color: #1d1f23; line-height: 1.5; }
  header, main, footer { max-width: 1100px; margin: 0 auto; padding: 1rem 1.5rem; }
  header { padding-top: 2rem; }
  h1 { margin: 0 0 .25rem; font-size: 1.8rem; }
  h2 { margin-top: 2rem; font-size: 1.3rem; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 1.25rem; }
  .panel { background: #fff; border: 1px solid #d9dce1; border-radius: 10px; padding: 1rem; }
  .panel h3 { margin: 0 0 .75rem; font-size: 1.05rem; }
  .links { margin: .75rem 0 0; padding: 0; list-style: none; display: flex; flex-wrap: wrap; gap: .5rem 1rem; font-size: .9rem; }
  a { color: #1f4fd1; }
  a:focus-visible, button:focus-visible, select:focus-visible { outline: 3px solid #1f4fd1; outline-offset: 2px; }
  form.controls { display: flex; flex-wrap: wrap; gap: .75rem; align-items: end; }
  label { display: grid; gap: .25rem; font-size: .9rem; }
  select, button { font: inherit; padding: .4rem .6rem; border-radius: 6px; border: 1px solid #8a9099; background: #fff; color: #1d1f23; }
  button { background: #1f4fd1; color: #fff; border-color: #1f4fd1; cursor: pointer; }
  code { background: #eceef1; padding: .1rem .3rem; border-radius: 4px; }
  .note { color: #444a53; font-size: .95rem; }
  .status { padding: .5rem .75rem; border-radius: 6px; background: #e7f0ff; border: 1px solid #b7cdf6; }
</style>
</head>
<body>
${body}
<script src="/embed.js" defer></script>
</body>
</html>`

const card = (profile: Profile, view: StatsView, options: WidgetOptions, nowMs: number): string =>
  renderWidget(view, { ...profile.display, ...options }, { nowMs, endpoint: `/v1/profiles/${profile.key}/stats`, idPrefix: `gp-${profile.key}-${options.theme ?? "default"}-${options.layout ?? "h"}` })

export const router = (options: PagesOptions): Router => {
  const { runtime, sandbox } = options
  const pages = express.Router()
  const extraOrigins = [new URL(sandbox.url).origin, ...(options.publicUrl !== undefined ? [new URL(options.publicUrl).origin] : [])]
  const csp = pagesCsp(extraOrigins)
  const listProfiles = Effect.flatMap(Profiles.Profiles, (profiles) => profiles.list)
  // Only public profiles are shown: a `public: false` profile is 404 for anonymous callers of the API, and
  // the demo's pages are anonymous.
  const listPublic = Effect.map(listProfiles, (profiles) => profiles.filter((p) => p.public))
  const loadAll = Effect.gen(function* () {
    const profiles = yield* listPublic
    const stats = yield* Stats.Stats
    const views = yield* Effect.forEach(profiles, (profile) => stats.view(profile), { concurrency: "unbounded" })
    const nowMs = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
    return { profiles, views, nowMs }
  })

  const secure = (res: Response) =>
    res.set({
      "Content-Security-Policy": csp,
      "X-Frame-Options": "DENY",
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "same-origin",
      "Cache-Control": "no-store"
    })

  /** The CSRF token of this browser (double-submit: an HttpOnly, SameSite=Strict cookie and a form field). */
  const csrfToken = (req: Request, res: Response): string => {
    const existing = cookieOf(req, CSRF_COOKIE)
    if (existing !== undefined && tokenPattern.test(existing)) return existing
    const token = randomBytes(24).toString("base64url")
    res.append("Set-Cookie", `${CSRF_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict`)
    return token
  }

  const hasAdminKey = (req: Request): boolean => {
    const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(req.headers.authorization ?? "")
    return match !== null && sameSecret(match[1]!, options.adminKey)
  }

  /** The admin key, or same origin plus the form's token; else 403 naming what is missing. */
  const guard = (req: Request, res: Response, next: NextFunction) => {
    if (hasAdminKey(req)) return next()
    if (!fromSameOrigin(req)) {
      return problem(res, 403, "cross_site_request", "The controls only accept posts from the demo's own pages (same origin) or with the admin key.", "Origin")
    }
    const cookie = cookieOf(req, CSRF_COOKIE)
    const field = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD]
    if (cookie === undefined || typeof field !== "string" || !tokenPattern.test(field) || !sameSecret(cookie, field)) {
      return problem(res, 403, "csrf_token", "The form's CSRF token is missing or does not match; reload the page and try again.", CSRF_FIELD)
    }
    next()
  }

  pages.get("/", async (req, res, next) => {
    try {
      const { profiles, views, nowMs } = await runtime.runPromise(loadAll)
      const scenarios = sandbox.scenarios()
      const message = typeof req.query["done"] === "string" ? `<p class="status" role="status">${escapeHtml(req.query["done"].slice(0, 200))}</p>` : ""
      const cards = profiles
        .map((profile, i) => `<section class="panel" aria-labelledby="h-${profile.key}">
  <h3 id="h-${profile.key}">${escapeHtml(profile.label)}</h3>
  ${card(profile, views[i]!, { refreshIntervalSeconds: 10 }, nowMs)}
  <p><img src="/v1/profiles/${profile.key}/badge.svg" alt="Badge: ${escapeHtml(profile.label)} numbers" height="20"></p>
  <ul class="links">
    <li><a href="/demo/themes/${profile.key}">All themes</a></li>
    <li><a href="/v1/profiles/${profile.key}/stats">Stats JSON</a></li>
    <li><a href="/v1/profiles/${profile.key}/widget?standalone=1">Standalone widget</a></li>
    <li><a href="/v1/profiles/${profile.key}/badge.svg">Badge</a></li>
  </ul>
</section>`)
        .join("\n")
      const token = csrfToken(req, res)
      const hidden = `<input type="hidden" name="${CSRF_FIELD}" value="${escapeHtml(token)}">`
      const options = profiles.map((p) => `<option value="${p.key}">${escapeHtml(p.label)}</option>`).join("")
      const modes = SCENARIO_MODES.map((m) => `<option value="${m}">${m}</option>`).join("")
      const active = scenarios.length === 0 ? "none (healthy)" : scenarios.map((s) => `<code>${escapeHtml(s.mode)}${s.target?.guildId ? ` @ ${escapeHtml(s.target.guildId)}` : ""}</code>`).join(", ")
      secure(res).type("html").send(page("GuildPulse demo", `<header>
  <h1>GuildPulse demo</h1>
  <p class="note">Live Discord numbers, served by the GuildPulse engine from <strong>FakeDiscord</strong>, a sandbox that behaves like
  Discord's API (widget, bot and invite endpoints, rate limits). Cards update themselves; put the sandbox into a failure below and
  watch them stay honest: stale, degraded or demo — never wrong.</p>
</header>
<main>
${message}
<h2>Sample profiles</h2>
<div class="grid">${cards}</div>
<h2>Sandbox controls</h2>
<div class="panel">
  <p>Active scenarios: ${active}</p>
  <form class="controls" method="post" action="/demo/scenario">
    ${hidden}
    <label>Profile <select name="profile"><option value="*">all guilds</option>${options}</select></label>
    <label>Scenario <select name="mode">${modes}</select></label>
    <button type="submit">Apply</button>
  </form>
  <form class="controls" method="post" action="/demo/refresh" style="margin-top:.75rem">
    ${hidden}
    <button type="submit">Refresh every profile now</button>
  </form>
  <p class="note">Refreshes also happen on their own, ahead of each profile's ttl.</p>
</div>
<h2>API</h2>
<ul class="links">
  <li><a href="/openapi.json">OpenAPI</a></li>
  <li><a href="/healthz">/healthz</a></li>
  <li><a href="/readyz">/readyz</a></li>
</ul>
<p class="note">Admin routes (<code>/v1/profiles</code>, <code>/v1/events</code>…) need <code>Authorization: Bearer &lt;admin key&gt;</code>; the key is printed in the terminal that started the demo.</p>
</main>`))
    } catch (error) {
      next(error)
    }
  })

  pages.get("/demo/themes/:profile", async (req, res, next) => {
    try {
      const { profiles, views, nowMs } = await runtime.runPromise(loadAll)
      const index = profiles.findIndex((p) => p.key === req.params.profile)
      if (index < 0) return next()
      const profile = profiles[index]!
      const sections = themes
        .map((theme) => `<section class="panel" data-theme-sample="${theme}" aria-labelledby="t-${theme}">
  <h3 id="t-${theme}">Theme: ${theme}</h3>
  ${layouts.map((layout) => card(profile, views[index]!, { theme, layout, refreshIntervalSeconds: 10 }, nowMs)).join("\n  ")}
</section>`)
        .join("\n")
      secure(res).type("html").send(page(`${profile.label} — themes`, `<header><h1>${escapeHtml(profile.label)}</h1><p><a href="/">Back to the demo</a></p></header>
<main><div class="grid">${sections}</div></main>`))
    } catch (error) {
      next(error)
    }
  })

  const form = express.urlencoded({ extended: false, limit: "2kb" })

  pages.post("/demo/scenario", form, guard, async (req, res, next) => {
    try {
      const body = (req.body ?? {}) as Record<string, unknown>
      const mode = typeof body["mode"] === "string" ? body["mode"] : ""
      const profileKey = typeof body["profile"] === "string" ? body["profile"] : "*"
      if (!(SCENARIO_MODES as ReadonlyArray<string>).includes(mode)) {
        return problem(res, 400, "validation_failed", `mode must be one of ${SCENARIO_MODES.join(", ")}`, "mode")
      }
      // Only the list: rendering every view here would ask for refreshes nobody looks at. Non-public
      // profiles only for the admin key (the form never lists them).
      const profiles = await runtime.runPromise(hasAdminKey(req) ? listProfiles : listPublic)
      const profile = profiles.find((p) => p.key === profileKey)
      if (profileKey !== "*" && profile === undefined) return problem(res, 400, "validation_failed", "unknown profile", "profile")
      if (mode === "healthy" && profile === undefined) sandbox.clearScenarios()
      else sandbox.setScenario({ mode: mode as Scenario["mode"], ...(profile !== undefined ? { target: { guildId: profile.guildId } } : {}) })
      res.redirect(303, `/?done=${encodeURIComponent(`Sandbox: ${mode} for ${profile?.label ?? "all guilds"}. Refresh to see the effect.`)}`)
    } catch (error) {
      next(error)
    }
  })

  pages.post("/demo/refresh", form, guard, async (_req, res, next) => {
    try {
      await runtime.runPromise(
        Effect.gen(function* () {
          const profiles = yield* listProfiles
          const scheduler = yield* RefreshScheduler.RefreshScheduler
          yield* Effect.forEach(profiles, (p) => Effect.ignore(scheduler.trigger(p.key)), { discard: true })
        })
      )
      res.redirect(303, `/?done=${encodeURIComponent("Refresh started for every profile.")}`)
    } catch (error) {
      next(error)
    }
  })
  return pages
}
