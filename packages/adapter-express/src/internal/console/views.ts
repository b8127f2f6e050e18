/** The console's pages as pure functions of their data (escaped markup; no I/O). */
import type { Analytics, AuditLog, ApiKeys, GuildPulseEvent, Profile, StatsView, ValidationIssue } from "@guildpulse/core"
import type { Health } from "@guildpulse/observability"
import { csrfField, esc, notice } from "./html.js"

type HealthReport = Health.HealthReport
type ProfileHealth = Health.ProfileHealth

const statusRank: Record<string, number> = { down: 0, degraded: 1, ok: 2 }

/** Problems first (down, then degraded), then by label. */
export const problemsFirst = (profiles: ReadonlyArray<ProfileHealth>): ReadonlyArray<ProfileHealth> =>
  [...profiles].sort((a, b) => (statusRank[a.status] ?? 3) - (statusRank[b.status] ?? 3) || a.label.localeCompare(b.label) || a.profile.localeCompare(b.profile))

export const badge = (status: string) => `<span class="badge s-${esc(status)}">${esc(status)}</span>`

const pct = (ratio: number | null) => (ratio === null ? "—" : `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.1 ? 1 : 0)} %`)
const ms = (value: number | null) => (value === null ? "—" : `${Math.round(value)} ms`)
export const time = (iso: string | null | undefined) => (iso === null || iso === undefined ? "—" : `<time datetime="${esc(iso)}">${esc(iso.replace("T", " ").replace(/\.\d+Z$/, "Z"))}</time>`)

const freshnessBadge = (state: string) => {
  const status = state === "fresh" || state === "stale" ? "ok" : state === "degraded" ? "degraded" : "down"
  return `<span class="badge s-${status}">${esc(state)}</span>`
}

const perSource = (profile: ProfileHealth, f: (s: ProfileHealth["sources"][number]) => string) =>
  profile.sources.length === 0 ? "—" : profile.sources.map((s) => `<div>${esc(s.source)}: ${f(s)}</div>`).join("")

/** One dashboard row; `data-status` carries the profile's status for scripts and tests. */
export const healthRow = (base: string, p: ProfileHealth) =>
  `<tr data-profile="${esc(p.profile)}" data-status="${esc(p.status)}">
<th scope="row"><a href="${esc(base)}/profiles/${esc(p.profile)}">${esc(p.label)}</a><div class="muted"><code>${esc(p.profile)}</code></div></th>
<td>${badge(p.status)}${p.reasons.length > 0 ? `<div class="muted">${p.reasons.map(esc).join(", ")}</div>` : ""}</td>
<td>${freshnessBadge(p.freshness.state)}</td>
<td>${time(p.lastSuccessAt)}</td>
<td>${perSource(p, (s) => esc(s.circuit.state))}</td>
<td>${perSource(p, (s) => `${pct(s.window.errorRate)} <span class="muted">(${s.window.requests})</span>`)}</td>
<td>${perSource(p, (s) => `${ms(s.window.p50Ms)} / ${ms(s.window.p95Ms)}`)}</td>
<td>${pct(p.fallbackRatio)}</td>
<td>${pct(p.rateLimit.headroom)}</td>
</tr>`

export const healthRows = (base: string, report: HealthReport) =>
  report.profiles.length === 0
    ? `<tr><td colspan="9">No profiles to show.</td></tr>`
    : problemsFirst(report.profiles).map((p) => healthRow(base, p)).join("\n")

export const healthSummary = (report: HealthReport) => {
  const counts = { ok: 0, degraded: 0, down: 0 } as Record<string, number>
  for (const p of report.profiles) counts[p.status] = (counts[p.status] ?? 0) + 1
  const invalid = report.invalidRequests
  return `<dl class="summary">
<div><dt>Overall</dt><dd data-overall="${esc(report.status)}">${badge(report.status)}</dd></div>
<div><dt>Profiles ok / degraded / down</dt><dd>${counts["ok"]} / ${counts["degraded"]} / ${counts["down"]}</dd></div>
<div><dt>Queue depth</dt><dd>${report.scheduler.queueDepth}</dd></div>
<div><dt>Dead letters</dt><dd>${report.scheduler.deadLetters.length === 0 ? "0" : report.scheduler.deadLetters.map(esc).join(", ")}</dd></div>
<div><dt>Invalid requests (${Math.round(invalid.windowSeconds / 60)} min window)</dt><dd>${invalid.count === null ? "—" : invalid.count} of ${invalid.guardLimit}</dd></div>
<div><dt>Scheduler</dt><dd>${report.scheduler.running ? "running" : "stopped"}</dd></div>
</dl>`
}

export const healthTable = (base: string, report: HealthReport, caption: string) => `<div class="scroll" tabindex="0" role="region" aria-label="Profile health">
<table>
<caption class="muted">${esc(caption)}</caption>
<thead><tr><th scope="col">Profile</th><th scope="col">Status</th><th scope="col">Freshness</th><th scope="col">Last success</th><th scope="col">Circuit per source</th><th scope="col">Error rate (1 h, calls)</th><th scope="col">p50 / p95 (1 h)</th><th scope="col">Fallback ratio</th><th scope="col">Rate-limit headroom</th></tr></thead>
<tbody id="health-rows">
${healthRows(base, report)}
</tbody>
</table>
</div>`

export const profileListTable = (base: string, profiles: ReadonlyArray<Profile>) => `<div class="scroll" tabindex="0" role="region" aria-label="Profiles"><table>
<thead><tr><th scope="col">Profile</th><th scope="col">Guild</th><th scope="col">Token</th><th scope="col">Public</th></tr></thead>
<tbody>
${profiles.length === 0 ? `<tr><td colspan="4">No profiles to show.</td></tr>` : profiles.map((p) => `<tr data-profile="${esc(p.key)}"><th scope="row"><a href="${esc(base)}/profiles/${esc(p.key)}">${esc(p.label)}</a> <code>${esc(p.key)}</code></th><td><code>${esc(p.guildId)}</code></td><td>${esc(p.token.status)}</td><td>${p.public ? "yes" : "no"}</td></tr>`).join("\n")}
</tbody></table></div>`

// ---------------------------------------------------------------------------------------------- profile page

export const countsTable = (view: StatsView) => {
  const rows = Object.entries(view.counts).filter(([, v]) => v !== undefined && v !== null)
  return `<div class="scroll" tabindex="0" role="region" aria-label="Current numbers"><table>
<caption class="muted">Freshness: ${freshnessBadge(view.freshness.state)} · fetched ${time(view.freshness.fetchedAt)} · next refresh ${time(view.freshness.nextRefreshAt)}</caption>
<thead><tr><th scope="col">Number</th><th scope="col">Value</th><th scope="col">Source</th><th scope="col">Fetched</th></tr></thead>
<tbody>
${rows.map(([field, value]) => {
  const from = view.provenance[field]
  return `<tr data-field="${esc(field)}"><th scope="row">${esc(field)}</th><td>${esc(typeof value === "number" ? value.toLocaleString("en") : String(value))}</td><td>${esc(from?.source ?? "—")}</td><td>${time(from?.fetchedAt)}</td></tr>`
}).join("\n")}
</tbody></table></div>`
}

export const sourcesTable = (p: ProfileHealth) => `<div class="scroll" tabindex="0" role="region" aria-label="Sources and circuits"><table>
<thead><tr><th scope="col">Source</th><th scope="col">Circuit</th><th scope="col">Since</th><th scope="col">Last call</th><th scope="col">Error rate (1 h)</th><th scope="col">p50 / p95</th></tr></thead>
<tbody>
${p.sources.length === 0 ? `<tr><td colspan="6">No active source.</td></tr>` : p.sources.map((s) => `<tr data-source="${esc(s.source)}"><th scope="row">${esc(s.source)}</th><td>${esc(s.circuit.state)}</td><td>${time(s.circuit.since)}</td><td>${s.last === null ? "—" : `${s.last.ok ? "ok" : `failed${s.last.error !== null ? ` (${esc(s.last.error)})` : ""}`} at ${time(s.last.at)}`}</td><td>${pct(s.window.errorRate)} <span class="muted">(${s.window.requests} calls)</span></td><td>${ms(s.window.p50Ms)} / ${ms(s.window.p95Ms)}</td></tr>`).join("\n")}
</tbody></table></div>`

export const profileHealthSummary = (p: ProfileHealth) => `<dl class="summary">
<div><dt>Status</dt><dd data-status="${esc(p.status)}">${badge(p.status)}</dd></div>
<div><dt>Freshness</dt><dd>${freshnessBadge(p.freshness.state)}</dd></div>
<div><dt>Last success</dt><dd>${time(p.lastSuccessAt)}</dd></div>
<div><dt>Fallback ratio (1 h)</dt><dd>${pct(p.fallbackRatio)}</dd></div>
<div><dt>Rate-limit headroom</dt><dd>${pct(p.rateLimit.headroom)}</dd></div>
<div><dt>Refresh job</dt><dd>${p.job.deadLettered ? "dead-lettered" : p.job.scheduled ? "scheduled" : "not scheduled"}${p.job.consecutiveFailures > 0 ? ` · ${p.job.consecutiveFailures} failures` : ""}</dd></div>
</dl>
${p.reasons.length > 0 ? `<p class="muted">Why: ${p.reasons.map(esc).join(", ")}</p>` : ""}
${p.lastError !== null ? `<p class="muted">Last error: ${esc(p.lastError.reason)} — ${esc(p.lastError.message)} (${time(p.lastError.at)})</p>` : ""}`

export const eventItem = (event: GuildPulseEvent) =>
  `<li class="lvl-${esc(event.level)}"><time datetime="${esc(event.ts)}">${esc(event.ts.slice(11, 19))}</time> <strong>${esc(event.type)}</strong>${event.source !== undefined ? ` · ${esc(event.source)}` : ""} — ${esc(event.message)}</li>`

// ---------------------------------------------------------------------------------------------- forms

/** A text field with its label, hint and the API's message for it. */
export const textField = (input: {
  readonly name: string
  readonly label: string
  readonly value?: string | undefined
  readonly hint?: string
  readonly errors: ReadonlyMap<string, string>
  readonly type?: string
  readonly required?: boolean
  readonly autocomplete?: string
  readonly readonly?: boolean
}) => {
  const id = `f-${input.name.replace(/[^A-Za-z0-9_-]/g, "-")}`
  const error = input.errors.get(input.name)
  const described = [input.hint !== undefined ? `${id}-hint` : "", error !== undefined ? `${id}-error` : ""].filter((x) => x !== "").join(" ")
  return `<div class="field">
<label for="${id}">${esc(input.label)}</label>
${input.hint !== undefined ? `<span class="hint" id="${id}-hint">${esc(input.hint)}</span>` : ""}
<input type="${input.type ?? "text"}" id="${id}" name="${esc(input.name)}" value="${esc(input.value ?? "")}"${input.required === true ? " required" : ""}${input.readonly === true ? " readonly" : ""}${input.autocomplete !== undefined ? ` autocomplete="${esc(input.autocomplete)}"` : ""}${error !== undefined ? ' aria-invalid="true"' : ""}${described !== "" ? ` aria-describedby="${described}"` : ""}>
${error !== undefined ? `<span class="error" id="${id}-error">${esc(error)}</span>` : ""}
</div>`
}

export const issuesMap = (issues: ReadonlyArray<ValidationIssue> | undefined): Map<string, string> => {
  const out = new Map<string, string>()
  for (const issue of issues ?? []) {
    const previous = out.get(issue.field)
    out.set(issue.field, previous === undefined ? issue.message : `${previous}; ${issue.message}`)
  }
  return out
}

/** Issues whose field has no input of its own on the form, shown above it. */
export const otherIssues = (errors: ReadonlyMap<string, string>, shown: ReadonlySet<string>) => {
  const rest = [...errors].filter(([field]) => !shown.has(field))
  return rest.length === 0 ? "" : `<div class="notice error" role="alert"><ul>${rest.map(([f, m]) => `<li><code>${esc(f)}</code> ${esc(m)}</li>`).join("")}</ul></div>`
}

export interface ProfileFormValues {
  readonly key: string
  readonly label: string
  readonly guildId: string
  readonly inviteCode: string
  readonly widget: boolean
  readonly bot: boolean
  readonly invite: boolean
  readonly ttlSeconds: string
  readonly maxStaleSeconds: string
  readonly demo: string
  readonly public: boolean
}

export const PROFILE_FORM_FIELDS = new Set(["key", "label", "guildId", "inviteCode", "sources", "sources.widget", "sources.bot", "sources.invite", "refresh.ttlSeconds", "refresh.maxStaleSeconds", "fallback.demo", "public"])

export const profileValues = (p: Profile): ProfileFormValues => ({
  key: p.key,
  label: p.label,
  guildId: p.guildId,
  inviteCode: p.inviteCode ?? "",
  widget: p.sources.widget,
  bot: p.sources.bot,
  invite: p.sources.invite,
  ttlSeconds: String(p.refresh.ttlSeconds),
  maxStaleSeconds: String(p.refresh.maxStaleSeconds),
  demo: p.fallback.demo,
  public: p.public
})

export const emptyProfileValues: ProfileFormValues = {
  key: "", label: "", guildId: "", inviteCode: "", widget: true, bot: true, invite: true, ttlSeconds: "300", maxStaleSeconds: "604800", demo: "never", public: true
}

const checkbox = (name: string, label: string, checked: boolean) =>
  `<label><input type="checkbox" name="${esc(name)}" value="on"${checked ? " checked" : ""}> ${esc(label)}</label>`

export const profileForm = (input: {
  readonly action: string
  readonly csrf: string
  readonly values: ProfileFormValues
  readonly errors: ReadonlyMap<string, string>
  readonly creating: boolean
  readonly version?: number
}) => {
  const { values, errors } = input
  const sourcesError = errors.get("sources")
  return `${otherIssues(errors, PROFILE_FORM_FIELDS)}
<form class="stack" method="post" action="${esc(input.action)}" novalidate>
${csrfField(input.csrf)}
${input.version !== undefined ? `<input type="hidden" name="version" value="${input.version}">` : ""}
${textField({ name: "key", label: "Key", value: values.key, hint: "1-64 characters of a-z, 0-9, '_' or '-'; used in URLs.", errors, required: true, readonly: !input.creating })}
${textField({ name: "label", label: "Label", value: values.label, hint: "The name shown to operators.", errors, required: true })}
${textField({ name: "guildId", label: "Discord server (guild) id", value: values.guildId, hint: "17-20 digits.", errors, required: true })}
${textField({ name: "inviteCode", label: "Invite code", value: values.inviteCode, hint: "Optional; the code of a permanent invite.", errors })}
<fieldset class="field"${sourcesError !== undefined ? ' aria-describedby="f-sources-error"' : ""}><legend>Sources</legend>
<div class="checks">${checkbox("sources.widget", "Widget", values.widget)}${checkbox("sources.bot", "Bot", values.bot)}${checkbox("sources.invite", "Invite", values.invite)}</div>
${sourcesError !== undefined ? `<span class="error" id="f-sources-error">${esc(sourcesError)}</span>` : ""}
</fieldset>
${textField({ name: "refresh.ttlSeconds", label: "Refresh every (seconds)", value: values.ttlSeconds, hint: "30 to 3600.", errors, type: "text" })}
${textField({ name: "refresh.maxStaleSeconds", label: "Keep serving old numbers for at most (seconds)", value: values.maxStaleSeconds, errors, type: "text" })}
<div class="field"><label for="f-fallback-demo">When there is nothing to show</label>
<select id="f-fallback-demo" name="fallback.demo"><option value="never"${values.demo === "never" ? " selected" : ""}>Say it is unavailable</option><option value="when-empty"${values.demo === "when-empty" ? " selected" : ""}>Show demo numbers until the first real ones</option></select>
${errors.has("fallback.demo") ? `<span class="error">${esc(errors.get("fallback.demo"))}</span>` : ""}</div>
<div class="field">${checkbox("public", "Public (anyone may read its numbers)", values.public)}</div>
<div><button type="submit">${input.creating ? "Create profile" : "Save changes"}</button></div>
</form>`
}

// ---------------------------------------------------------------------------------------------- keys, audit

export const keysTable = (base: string, csrf: string, keys: ReadonlyArray<ApiKeys.ApiKeyView>) => `<div class="scroll" tabindex="0" role="region" aria-label="API keys"><table>
<thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col">Scopes</th><th scope="col">Profiles</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead>
<tbody>
${keys.length === 0 ? `<tr><td colspan="8">No API keys yet.</td></tr>` : keys.map((k) => `<tr data-key="${esc(k.id)}"><th scope="row">${esc(k.name)}</th><td><code>${esc(k.id)}</code></td><td>${k.scopes.map(esc).join(", ")}</td><td>${k.profiles === undefined ? "all" : k.profiles.map(esc).join(", ")}</td><td>${time(new Date(k.createdAtMs).toISOString())}</td><td>${k.lastUsedAtMs === undefined ? "never" : time(new Date(k.lastUsedAtMs).toISOString())}</td><td>${k.revokedAtMs !== undefined ? "revoked" : "active"}</td><td>${k.revokedAtMs !== undefined ? "" : `<form class="inline" method="post" action="${esc(base)}/keys/${esc(k.id)}/revoke">${csrfField(csrf)}<button class="danger" type="submit" aria-label="Revoke key ${esc(k.name)}">Revoke</button></form>`}</td></tr>`).join("\n")}
</tbody></table></div>`

export const auditTable = (entries: ReadonlyArray<AuditLog.AuditEntry>) => `<div class="scroll" tabindex="0" role="region" aria-label="Audit entries"><table>
<thead><tr><th scope="col">When</th><th scope="col">Key</th><th scope="col">Action</th><th scope="col">Profile</th><th scope="col">From</th><th scope="col">Change</th></tr></thead>
<tbody>
${entries.length === 0 ? `<tr><td colspan="6">No entries.</td></tr>` : entries.map((e) => `<tr><td>${time(new Date(e.atMs).toISOString())}</td><td><code>${esc(e.keyId)}</code></td><td>${esc(e.action)}</td><td>${esc(e.profile ?? "—")}</td><td>${esc(e.ip ?? "—")}</td><td><details><summary>before / after</summary><pre class="snippet">${esc(JSON.stringify({ before: e.before, after: e.after }, null, 2))}</pre></details></td></tr>`).join("\n")}
</tbody></table></div>`

export { notice }

// ---------------------------------------------------------------------------------------------- analytics

export const RANGES = { "24h": 86_400_000, "7d": 7 * 86_400_000, "30d": 30 * 86_400_000 } as const
export type RangeName = keyof typeof RANGES

const num = (value: number | null | undefined, digits = 0) =>
  value === null || value === undefined ? "—" : value.toLocaleString("en", { maximumFractionDigits: digits })

/** JSON for a `<script type="application/json">` block (no `</script>` or `<!--` can close it). */
export const jsonBlock = (id: string, value: unknown) =>
  `<script type="application/json" id="${esc(id)}">${JSON.stringify(value).replace(/</g, "\\u003c")}</script>`

export const rangeNav = (href: (range: RangeName) => string, current: RangeName) =>
  `<nav aria-label="Range"><ul class="checks">${(Object.keys(RANGES) as Array<RangeName>).map((r) => `<li><a href="${esc(href(r))}"${r === current ? ' aria-current="true"' : ""}>${r === "24h" ? "24 hours" : r === "7d" ? "7 days" : "30 days"}</a></li>`).join("")}</ul></nav>`

export const aggregatesTable = (a: Analytics.Aggregates) => {
  const row = (name: string, f: Analytics.FieldAggregates | null) =>
    `<tr><th scope="row">${esc(name)}</th><td>${num(f?.average, 1)}</td><td>${num(f?.min)}</td><td>${f === null ? "—" : `${num(f.peak.value)} <span class="muted">at ${time(new Date(f.peak.atMs).toISOString())}</span>`}</td><td>${f === null ? "—" : `${f.growth >= 0 ? "+" : ""}${num(f.growth)}${f.growthPercent !== null ? ` (${f.growthPercent >= 0 ? "+" : ""}${num(f.growthPercent, 1)} %)` : ""}`}</td></tr>`
  return `<div class="scroll" tabindex="0" role="region" aria-label="Aggregates"><table>
<caption class="muted">${a.samples} samples${a.firstAtMs !== null ? ` from ${time(new Date(a.firstAtMs).toISOString())}` : ""}${a.lastAtMs !== null ? ` to ${time(new Date(a.lastAtMs).toISOString())}` : ""}</caption>
<thead><tr><th scope="col">Number</th><th scope="col">Average</th><th scope="col">Minimum</th><th scope="col">Peak</th><th scope="col">Growth</th></tr></thead>
<tbody>${row("Online", a.online)}${row("Members", a.members)}${row("Boosts", a.boosts)}</tbody></table></div>`
}

const days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

/** The weekday × hour heatmap as a data table, each cell shaded by its share of the busiest cell. */
export const heatmapTable = (h: Analytics.Heatmap) => {
  const max = Math.max(0, ...h.average.flat().map((v) => v ?? 0))
  const cell = (v: number | null) => {
    if (v === null) return `<td class="hm hm-none"><span class="visually-hidden">no data</span></td>`
    const level = max === 0 ? 0 : Math.min(4, Math.floor((v / max) * 4.999))
    return `<td class="hm hm-${level}">${num(v)}</td>`
  }
  return `<div class="scroll" tabindex="0" role="region" aria-label="Activity heatmap"><table class="heatmap">
<caption class="muted">Average ${esc(h.field)} per weekday and hour (${esc(h.timeZone)}); darker is busier.</caption>
<thead><tr><th scope="col">Day</th>${Array.from({ length: 24 }, (_, i) => `<th scope="col">${String(i).padStart(2, "0")}</th>`).join("")}</tr></thead>
<tbody>${h.average.map((row, d) => `<tr><th scope="row">${days[d]}</th>${row.map(cell).join("")}</tr>`).join("\n")}</tbody></table></div>`
}

export const reportView = (base: string, r: Analytics.Report) => `<dl class="summary">
<div><dt>Profiles</dt><dd>${r.totals.profiles}</dd></div>
<div><dt>Online now (sum)</dt><dd>${num(r.totals.online)}</dd></div>
<div><dt>Members (sum)</dt><dd>${num(r.totals.members)}</dd></div>
<div><dt>Member growth</dt><dd>${r.totals.memberGrowth >= 0 ? "+" : ""}${num(r.totals.memberGrowth)}</dd></div>
<div><dt>Average online (sum)</dt><dd>${num(r.totals.averageOnline, 1)}</dd></div>
<div><dt>Samples</dt><dd>${num(r.totals.samples)}</dd></div>
</dl>
<h2>Growth</h2>
<div class="scroll" tabindex="0" role="region" aria-label="Growth ranking"><table>
<thead><tr><th scope="col">Profile</th><th scope="col">Member growth</th><th scope="col">Online now</th><th scope="col">Members</th><th scope="col">Average online</th></tr></thead>
<tbody>${r.growth.length === 0 ? `<tr><td colspan="5">No profiles.</td></tr>` : r.growth.map((g) => {
  const p = r.profiles.find((x) => x.profile === g.profile)
  return `<tr data-profile="${esc(g.profile)}"><th scope="row"><a href="${esc(base)}/profiles/${esc(g.profile)}">${esc(g.label)}</a></th><td>${g.growth === null ? "—" : `${g.growth >= 0 ? "+" : ""}${num(g.growth)}${g.growthPercent !== null ? ` (${num(g.growthPercent, 1)} %)` : ""}`}</td><td>${num(p?.latest.online)}</td><td>${num(p?.latest.members)}</td><td>${num(p?.aggregates.online?.average, 1)}</td></tr>`
}).join("\n")}</tbody></table></div>
<h2>Most active hours</h2>
<div class="scroll" tabindex="0" role="region" aria-label="Most active hours"><table>
<thead><tr><th scope="col">Weekday</th><th scope="col">Hour (${esc(r.timeZone)})</th><th scope="col">Online (average, summed)</th></tr></thead>
<tbody>${r.mostActiveHours.length === 0 ? `<tr><td colspan="3">Not enough data yet.</td></tr>` : r.mostActiveHours.map((h) => `<tr><td>${esc(days[h.day] ?? String(h.day))}</td><td>${String(h.hour).padStart(2, "0")}:00</td><td>${num(h.average, 1)}</td></tr>`).join("")}</tbody></table></div>`
