/**
 * `<guildpulse-stats>` — the browser side of the card. Bundled and minified on its own (iife) into
 * `dist/embed.min.js`; it imports nothing at runtime except the words and formatters of `../Words.ts` and the
 * state rules of `../State.ts` (which only import types), so server and browser word and format things alike.
 *
 * - Upgrades the server-rendered markup in place (`data-gp-field` hooks); an empty element renders a
 *   minimal card itself.
 * - Polls `data-endpoint` (a StatsView as JSON) no more often than every 10 s: every `data-interval` seconds
 *   (default 60) or not before `freshness.nextRefreshAt`, whichever is later, and never before `Retry-After`.
 * - Pauses while the page is hidden or the card is off-screen; backs off exponentially on errors (cap 10 min).
 * - Never blanks a number it shows: on errors the numbers stay and the status turns stale, then degraded.
 * - Never says "Live" for data past its `expiresAt`: the shown state is derived from the view and the clock
 *   (`State.ts`, shared with the server renderer); at `expiresAt` the card turns stale (degraded when the view
 *   has `reasons`) by itself, and re-fetches. A view with `reasons` is "Live · partial", never plain "Live".
 *   A server-rendered card carries its `expiresAt` and `reasons` in `data-expires` / `data-reasons`.
 * - A guild icon that fails to load is hidden, leaving the initials beneath it.
 * - Uses ETag / If-None-Match; updates the one polite live region; no count animation under
 *   `prefers-reduced-motion` or `data-animated="false"`.
 *
 * Time and jitter come from the page (`Date.now`, `setTimeout`, `Math.random`) on purpose: this runs in the
 * visitor's browser with no Effect runtime (the bundle must stay under 4 KiB gzipped). Tests drive it with the
 * browser's fake clock (Playwright `page.clock`), not with real waits.
 */
import { enWords as en, formatNumber, formatUpdated, frWords as fr } from "../Words.js"
import type { CardWords } from "../Words.js"
import { problemMessage, shownState } from "../State.js"
import type { FreshnessInput } from "../State.js"

interface ViewJson {
  readonly guild?: { readonly name?: string }
  readonly counts?: Readonly<Record<string, number | undefined>>
  readonly presence?: Readonly<Record<string, number | undefined>>
  readonly provenance?: Readonly<Record<string, { readonly source?: string } | undefined>>
  readonly freshness?: FreshnessInput & {
    readonly fetchedAt?: string | null
    readonly nextRefreshAt?: string | null
  }
}

const MIN_INTERVAL_MS = 10_000
const MAX_BACKOFF_MS = 600_000
const DEFAULT_INTERVAL_S = 60
/** The server refreshes at `nextRefreshAt`; ask a little after it. */
const AFTER_REFRESH_MS = 2_000
const COUNT_ANIMATION_MS = 600

/** `Retry-After`: delay-seconds (decimals allowed) or an HTTP date → milliseconds (0 when absent). */
const retryAfterMs = (header: string | null): number => {
  if (header === null) return 0
  const seconds = Number(header)
  return seconds >= 0 ? seconds * 1000 : Math.max(0, Date.parse(header) - Date.now()) || 0
}

class GuildPulseStats extends HTMLElement {
  private timer: ReturnType<typeof setTimeout> | undefined
  private expiry: ReturnType<typeof setTimeout> | undefined
  private dueAt = 0
  /** Not before this instant (Retry-After), whatever else asks for a poll. */
  private notBefore = 0
  private lastPollAt = 0
  private failures = 0
  private busy = false
  private visible = true
  private etag: string | null = null
  private view: ViewJson | undefined
  /** The server-rendered card's freshness, until the first answer. */
  private seed: FreshnessInput | undefined
  private observer: IntersectionObserver | undefined
  private readonly onVisibility = (): void => this.wake()

  connectedCallback(): void {
    const card = this.querySelector<HTMLElement>(".gp-card")
    if (card === null) this.renderSkeleton()
    else {
      const data = card.dataset
      const reasons = data.reasons?.split(" ") ?? []
      this.seed = { state: data.state === "partial" ? "fresh" : data.state, expiresAt: data.expires, reasons }
      // An icon that failed before this script ran: hide it, the initials beneath show (later ones: onError).
      for (const img of card.querySelectorAll("img")) if (img.complete && !img.naturalWidth) img.hidden = true
    }
    this.addEventListener("error", this.onError, true)
    if (typeof IntersectionObserver === "function") {
      this.observer = new IntersectionObserver((entries) => {
        for (const entry of entries) this.visible = entry.isIntersecting
        this.wake()
      })
      this.observer.observe(this)
    }
    document.addEventListener("visibilitychange", this.onVisibility)
    this.render()
    // Server-rendered numbers are current: the first poll waits one interval. An empty card asks at once.
    this.plan(this.querySelector("[data-gp-value]") === null ? 0 : this.intervalMs())
  }

  private readonly onError = (event: Event): void => {
    if (event.target instanceof HTMLImageElement) event.target.hidden = true
  }

  disconnectedCallback(): void {
    clearTimeout(this.timer)
    clearTimeout(this.expiry)
    this.removeEventListener("error", this.onError, true)
    this.observer?.disconnect()
    document.removeEventListener("visibilitychange", this.onVisibility)
  }

  private locale(): "en" | "fr" {
    return (this.dataset.locale ?? document.documentElement.lang).slice(0, 2) === "fr" ? "fr" : "en"
  }

  private labels(): CardWords {
    return this.locale() === "fr" ? fr : en
  }

  private intervalMs(): number {
    const seconds = Number(this.dataset.interval)
    return Math.max(MIN_INTERVAL_MS, (seconds > 0 ? seconds : DEFAULT_INTERVAL_S) * 1000)
  }

  private plan(delayMs: number): void {
    this.dueAt = Date.now() + delayMs
    this.wake()
  }

  /** (Re)arms the timer unless the page is hidden or the card is off-screen; a paused poll runs on return. */
  private wake(): void {
    clearTimeout(this.timer)
    if (document.hidden || !this.visible || !this.isConnected || this.busy) return
    const wait = Math.max(this.dueAt, this.notBefore, this.lastPollAt + MIN_INTERVAL_MS) - Date.now()
    this.timer = setTimeout(() => void this.poll(), wait)
  }

  private async poll(): Promise<void> {
    const endpoint = this.dataset.endpoint
    if (endpoint === undefined || endpoint === "") return
    this.busy = true
    this.lastPollAt = Date.now()
    let retryMs = 0
    let delayMs: number
    try {
      const response = await fetch(endpoint, {
        headers: this.etag === null ? {} : { "If-None-Match": this.etag },
        cache: "no-store"
      })
      retryMs = retryAfterMs(response.headers.get("Retry-After"))
      if (response.status !== 304) {
        if (!response.ok) throw new Error(String(response.status))
        this.view = (await response.json()) as ViewJson
        this.etag = response.headers.get("ETag")
      }
      this.failures = 0
      this.apply()
      delayMs = this.intervalMs()
      const untilRefresh = Date.parse(this.view?.freshness?.nextRefreshAt ?? "") - Date.now()
      if (untilRefresh > 0) delayMs = Math.max(delayMs, untilRefresh + AFTER_REFRESH_MS)
    } catch {
      this.failures++
      // A failed poll: keep every number, say they are getting old.
      this.render()
      delayMs = Math.min(MAX_BACKOFF_MS, this.intervalMs() * 2 ** this.failures)
    }
    this.busy = false
    this.notBefore = Date.now() + retryMs
    delayMs = Math.max(delayMs, retryMs, MIN_INTERVAL_MS)
    // Jitter upwards only, so that floors (Retry-After, 10 s) are never undercut.
    this.plan(delayMs + Math.random() * delayMs * 0.1)
  }

  private apply(): void {
    const view = this.view
    if (view === undefined) return
    const unavailable = view.freshness?.state === "unavailable"
    for (const field of this.querySelectorAll<HTMLElement>("[data-gp-field]")) {
      const key = field.dataset.gpField ?? ""
      if (key === "name") {
        if (view.guild?.name) field.textContent = view.guild.name
      } else if (key !== "updated") {
        const count = key.startsWith("presence.") ? view.presence?.[key.slice(9)] : view.counts?.[key]
        // Never blank a number: an absent count leaves the last one in place.
        if (typeof count !== "number" || unavailable) continue
        this.show(field, count)
        const stat = field.closest<HTMLElement>("[data-gp-stat]")
        if (stat !== null) {
          stat.hidden = false
          const approx = stat.querySelector<HTMLElement>(".gp-approx")
          const source = view.provenance?.[key]?.source
          if (approx !== null && (key === "online" || key === "members")) approx.hidden = source !== "bot" && source !== "invite"
        }
        if (key === "boostTier" && field.parentElement !== null) field.parentElement.hidden = count < 1
      }
    }
    this.render()
  }

  private show(field: HTMLElement, count: number): void {
    const locale = this.locale()
    const from = Number(field.dataset.gpValue)
    field.dataset.gpValue = String(count)
    const animate =
      this.dataset.animated !== "false" &&
      field.textContent !== "" &&
      from >= 0 &&
      from !== count &&
      !matchMedia("(prefers-reduced-motion: reduce)").matches
    if (!animate) {
      field.textContent = formatNumber(locale, count)
      return
    }
    // Screen readers hear the final number once: the live region is busy while digits roll.
    const live = this.querySelector("[aria-live]")
    live?.setAttribute("aria-busy", "true")
    const start = performance.now()
    const step = (now: number): void => {
      const progress = Math.min(1, (now - start) / COUNT_ANIMATION_MS)
      field.textContent = formatNumber(locale, Math.round(from + (count - from) * progress))
      if (progress < 1) requestAnimationFrame(step)
      else live?.removeAttribute("aria-busy")
    }
    requestAnimationFrame(step)
  }

  /** Shows the state derived from the latest view (or the server-rendered one), the clock and failed polls. */
  private render(): void {
    const card = this.querySelector<HTMLElement>(".gp-card")
    if (card === null) return
    const freshness = this.view?.freshness ?? this.seed
    const labels = this.labels()
    let state = shownState(freshness, Date.now(), this.failures)
    // A server that lost its data does not take the numbers off the page: they are just older.
    if (state === "unavailable" && card.querySelector("[data-gp-value]:not(:empty)") !== null) state = "degraded"
    card.dataset.state = state
    const text = card.querySelector(".gp-state")
    if (text !== null) text.textContent = labels.states[state]
    const message = card.querySelector<HTMLElement>(".gp-message")
    if (message !== null) {
      message.hidden = state !== "demo" && state !== "unavailable"
      if (this.view !== undefined && !message.hidden) {
        message.textContent = state === "demo" ? labels.demoNote : problemMessage(labels, this.locale(), freshness)
      }
    }
    this.updateAge()
    // At expiry the data stops being live: show it, and ask the server what it has now.
    clearTimeout(this.expiry)
    const left = Date.parse(freshness?.expiresAt ?? "") - Date.now()
    if (left > 0) {
      this.expiry = setTimeout(() => {
        this.render()
        this.plan(0)
      }, left)
    }
  }

  private updateAge(): void {
    const fetchedAt = this.view?.freshness?.fetchedAt
    const time = this.querySelector<HTMLElement>('[data-gp-field="updated"]')
    const fetchedMs = Date.parse(fetchedAt ?? "")
    if (time === null || typeof fetchedAt !== "string" || !(fetchedMs > 0)) return
    time.setAttribute("datetime", fetchedAt)
    time.textContent = formatUpdated(this.locale(), Math.floor((Date.now() - fetchedMs) / 1000))
    if (time.parentElement !== null) time.parentElement.hidden = false
  }

  /** The render path: a minimal card for an element that arrived without server-rendered markup. */
  private renderSkeleton(): void {
    const labels = this.labels()
    const stat = (field: string, label: string): string =>
      `<li class="gp-stat" data-gp-stat="${field}" hidden><span class="gp-body"><span class="gp-figure"><span class="gp-approx" title="${labels.approximateTitle}" hidden><span aria-hidden="true">≈</span><span class="gp-sr">${labels.approximately} </span></span><span data-gp-field="${field}"></span></span> <span class="gp-label">${label}</span></span></li>`
    this.innerHTML = `<section class="gp-card" role="region" data-state="unavailable"><div class="gp-header"><p class="gp-name" data-gp-field="name"></p></div><ul class="gp-stats" aria-live="polite">${stat("online", labels.online)}${stat("members", labels.members)}</ul><div class="gp-footer"><p class="gp-status"><span class="gp-dot" aria-hidden="true"></span><span class="gp-state"></span><span class="gp-age" hidden> · <time data-gp-field="updated"></time></span></p></div></section>`
    const card = this.firstElementChild as HTMLElement
    card.dataset.theme = this.dataset.theme ?? "discord"
    card.dataset.layout = this.dataset.layout ?? "horizontal"
    card.lang = this.locale()
    card.setAttribute("aria-label", labels.region)
    this.seed = { state: "unavailable" }
  }
}

if (typeof customElements !== "undefined" && customElements.get("guildpulse-stats") === undefined) {
  customElements.define("guildpulse-stats", GuildPulseStats)
}
