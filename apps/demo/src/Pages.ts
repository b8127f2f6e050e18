/**
 * The demo's own pages: a start page with every sample profile's card, badge and links; a gallery of every
 * theme and layout; and controls that put the sandbox into failure scenarios so you can watch GuildPulse
 * keep serving honest numbers. None of this markup ever contains a token or the admin key.
 */
import type { FakeDiscordServer } from "@guildpulse/connector-discord/sandbox"
import { SCENARIO_MODES, type Scenario } from "@guildpulse/connector-discord/sandbox"
import { Profiles, RefreshScheduler, Stats, type Engine, type Profile, type StatsView, type Theme, type WidgetOptions } from "@guildpulse/core"
import { renderWidget } from "@guildpulse/widget"
import express, { type Router } from "express"
import { Effect, type ManagedRuntime } from "effect"

export interface PagesOptions {
  readonly runtime: ManagedRuntime.ManagedRuntime<Engine.Services, unknown>
  readonly sandbox: FakeDiscordServer
}

export const themes: ReadonlyArray<Theme> = ["discord", "dark", "light", "minimal", "high-contrast"]
const layouts = ["horizontal", "vertical", "compact"] as const

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!)

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
  const listProfiles = Effect.flatMap(Profiles.Profiles, (profiles) => profiles.list)
  const loadAll = Effect.gen(function* () {
    const profiles = yield* listProfiles
    const stats = yield* Stats.Stats
    const views = yield* Effect.forEach(profiles, (profile) => stats.view(profile), { concurrency: "unbounded" })
    const nowMs = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
    return { profiles, views, nowMs }
  })

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
      const options = profiles.map((p) => `<option value="${p.key}">${escapeHtml(p.label)}</option>`).join("")
      const modes = SCENARIO_MODES.map((m) => `<option value="${m}">${m}</option>`).join("")
      const active = scenarios.length === 0 ? "none (healthy)" : scenarios.map((s) => `<code>${escapeHtml(s.mode)}${s.target?.guildId ? ` @ ${escapeHtml(s.target.guildId)}` : ""}</code>`).join(", ")
      res.type("html").send(page("GuildPulse demo", `<header>
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
    <label>Profile <select name="profile"><option value="*">all guilds</option>${options}</select></label>
    <label>Scenario <select name="mode">${modes}</select></label>
    <button type="submit">Apply</button>
  </form>
  <form class="controls" method="post" action="/demo/refresh" style="margin-top:.75rem">
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
      res.type("html").send(page(`${profile.label} — themes`, `<header><h1>${escapeHtml(profile.label)}</h1><p><a href="/">Back to the demo</a></p></header>
<main><div class="grid">${sections}</div></main>`))
    } catch (error) {
      next(error)
    }
  })

  const form = express.urlencoded({ extended: false, limit: "2kb" })

  pages.post("/demo/scenario", form, async (req, res, next) => {
    try {
      const body = (req.body ?? {}) as Record<string, unknown>
      const mode = String(body["mode"] ?? "")
      const profileKey = String(body["profile"] ?? "*")
      if (!(SCENARIO_MODES as ReadonlyArray<string>).includes(mode)) {
        return res.status(400).type("application/problem+json").send(JSON.stringify({ type: "about:blank", title: "Bad Request", status: 400, detail: `mode must be one of ${SCENARIO_MODES.join(", ")}`, code: "validation_failed", errors: [{ field: "mode", message: "unknown scenario" }] }))
      }
      // Only the list: rendering every view here would ask for refreshes nobody looks at.
      const profiles = await runtime.runPromise(listProfiles)
      const profile = profiles.find((p) => p.key === profileKey)
      if (profileKey !== "*" && profile === undefined) {
        return res.status(400).type("application/problem+json").send(JSON.stringify({ type: "about:blank", title: "Bad Request", status: 400, detail: "unknown profile", code: "validation_failed", errors: [{ field: "profile", message: "unknown profile" }] }))
      }
      if (mode === "healthy" && profile === undefined) sandbox.clearScenarios()
      else sandbox.setScenario({ mode: mode as Scenario["mode"], ...(profile !== undefined ? { target: { guildId: profile.guildId } } : {}) })
      res.redirect(303, `/?done=${encodeURIComponent(`Sandbox: ${mode} for ${profile?.label ?? "all guilds"}. Refresh to see the effect.`)}`)
    } catch (error) {
      next(error)
    }
  })

  pages.post("/demo/refresh", async (_req, res, next) => {
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
