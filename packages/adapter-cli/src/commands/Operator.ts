/**
 * Operator commands against a running server's API: `profiles list|get|add|update|remove`, `refresh`,
 * `stats`, `health`, `events tail`. Tables for people, `--format json` for scripts.
 */
import { Args, Command, Options } from "@effect/cli"
import { NodeHttpClient } from "@effect/platform-node"
import { Config, Console, Effect, Option, Schedule } from "effect"
import type { HttpClient } from "@effect/platform"
import * as Api from "../Api.js"
import { CliError, EXIT_FAILED, usage } from "../CliError.js"
import { pairs, progressBar, show, table } from "../internal/table.js"

const url = Options.text("url").pipe(
  Options.withDescription(`Server URL (default: GUILDPULSE_URL, else ${Api.DEFAULT_URL})`),
  Options.withFallbackConfig(Config.string("GUILDPULSE_URL")),
  Options.withDefault(Api.DEFAULT_URL)
)
const key = Options.redacted("key").pipe(
  Options.withDescription("API key (default: GUILDPULSE_API_KEY)"),
  Options.withFallbackConfig(Config.redacted("GUILDPULSE_API_KEY")),
  Options.optional
)
export const format = Options.choice("format", ["table", "json"]).pipe(
  Options.withDefault("table" as const),
  Options.withDescription("table for people, json for scripts")
)
export const connection = { url, key }
export type Target = { readonly url: string; readonly key: Option.Option<import("effect").Redacted.Redacted<string>> }

export const withClient = <A, E>(effect: Effect.Effect<A, E, HttpClient.HttpClient>) => Effect.provide(effect, NodeHttpClient.layerUndici)
export const json = (value: unknown) => Console.log(JSON.stringify(value, null, 2))

interface ProfileBody {
  readonly key: string
  readonly label: string
  readonly guildId: string
  readonly inviteCode?: string
  readonly sources: { readonly widget: boolean; readonly bot: boolean; readonly invite: boolean }
  readonly refresh: { readonly ttlSeconds: number }
  readonly public: boolean
  readonly token: { readonly present: boolean; readonly status: string }
  readonly version: number
}

const sourcesText = (p: ProfileBody) => (["widget", "bot", "invite"] as const).filter((s) => p.sources[s]).join(",") || "-"

const profileRow = (p: ProfileBody) => [p.key, p.label, p.guildId, sourcesText(p), `${p.refresh.ttlSeconds}s`, p.public ? "yes" : "no", p.token.status, String(p.version)]
const PROFILE_HEADERS = ["KEY", "LABEL", "GUILD", "SOURCES", "TTL", "PUBLIC", "TOKEN", "VERSION"]

const path = (profile: string) => `/v1/profiles/${encodeURIComponent(profile)}`

// ---------------------------------------------------------------------------------------------- profiles

const list = Command.make("list", { ...connection, format }, ({ format, ...target }) =>
  withClient(
    Effect.gen(function* () {
      const answer = yield* Api.request(target, "GET", "/v1/profiles")
      const profiles = (answer.body as { profiles: ReadonlyArray<ProfileBody> }).profiles
      if (format === "json") return yield* json(profiles)
      yield* Console.log(profiles.length === 0 ? "No profiles." : table(PROFILE_HEADERS, profiles.map(profileRow)))
    })
  )
).pipe(Command.withDescription("List the profiles (needs a key with profiles:read)."))

const profileArg = Args.text({ name: "profile" }).pipe(Args.withDescription("Profile key, e.g. my-server"))

const get = Command.make("get", { ...connection, format, profile: profileArg }, ({ format, profile, ...target }) =>
  withClient(
    Effect.gen(function* () {
      const answer = yield* Api.request(target, "GET", path(profile))
      if (format === "json") return yield* json(answer.body)
      const p = answer.body as ProfileBody
      yield* Console.log(
        pairs([
          ["key", p.key],
          ["label", p.label],
          ["guild", p.guildId],
          ["invite", show(p.inviteCode)],
          ["sources", sourcesText(p)],
          ["ttl", `${p.refresh.ttlSeconds}s`],
          ["public", p.public ? "yes" : "no"],
          ["token", p.token.status],
          ["version", String(p.version)]
        ])
      )
    })
  )
).pipe(Command.withDescription("Show one profile."))

const label = Options.text("label").pipe(Options.withDescription("Display name"), Options.optional)
const guildId = Options.text("guild-id").pipe(Options.withDescription("Discord server id (17-20 digits)"), Options.optional)
const invite = Options.text("invite").pipe(Options.withDescription("Invite code or link (discord.gg/abc)"), Options.optional)
const ttl = Options.integer("ttl").pipe(Options.withDescription("Seconds between refreshes (30-3600)"), Options.optional)
const sources = Options.text("sources").pipe(Options.withDescription("Comma-separated: widget,bot,invite"), Options.optional)
const isPublic = Options.boolean("private").pipe(Options.withDescription("Hide the public stats, widget and badge of this profile"))

const parseSources = (text: string) =>
  Effect.gen(function* () {
    const names = text.split(",").map((s) => s.trim()).filter((s) => s !== "")
    const unknown = names.filter((n) => !["widget", "bot", "invite"].includes(n))
    if (unknown.length > 0) return yield* usage(`--sources: unknown source(s) ${unknown.join(", ")} (use widget, bot, invite)`)
    return { widget: names.includes("widget"), bot: names.includes("bot"), invite: names.includes("invite") }
  })

const fields = (o: {
  readonly label: Option.Option<string>
  readonly guildId: Option.Option<string>
  readonly invite: Option.Option<string>
  readonly ttl: Option.Option<number>
  readonly sources: Option.Option<string>
}) =>
  Effect.gen(function* () {
    const body: Record<string, unknown> = {}
    if (Option.isSome(o.label)) body["label"] = o.label.value
    if (Option.isSome(o.guildId)) body["guildId"] = o.guildId.value
    if (Option.isSome(o.invite)) body["inviteCode"] = o.invite.value
    if (Option.isSome(o.ttl)) body["refresh"] = { ttlSeconds: o.ttl.value }
    if (Option.isSome(o.sources)) body["sources"] = yield* parseSources(o.sources.value)
    return body
  })

const add = Command.make(
  "add",
  { ...connection, format, profile: profileArg, label, guildId, invite, ttl, sources, private: isPublic },
  ({ format, profile, label, guildId, invite, ttl, sources, private: hidden, ...target }) =>
    withClient(
      Effect.gen(function* () {
        if (Option.isNone(label)) return yield* usage("profiles add needs --label (the display name)")
        if (Option.isNone(guildId)) return yield* usage("profiles add needs --guild-id (the Discord server id)")
        const body = { ...(yield* fields({ label, guildId, invite, ttl, sources })), ...(hidden ? { public: false } : {}) }
        const answer = yield* Api.request(target, "PUT", path(profile), { body, headers: { "if-none-match": "*" }, expect: [201] })
        if (format === "json") return yield* json(answer.body)
        yield* Console.log(`Added profile '${profile}'.`)
      })
    )
).pipe(Command.withDescription("Add a profile (fails if it exists). The bot token is set in the config file or the environment, not here."))

const update = Command.make("update", { ...connection, format, profile: profileArg, label, guildId, invite, ttl, sources }, ({ format, profile, ...rest }) =>
  withClient(
    Effect.gen(function* () {
      const body = yield* fields(rest)
      if (Object.keys(body).length === 0) return yield* usage("profiles update: nothing to change (give --label, --guild-id, --invite, --ttl or --sources)")
      const answer = yield* Api.request(rest, "PATCH", path(profile), { body })
      if (format === "json") return yield* json(answer.body)
      yield* Console.log(`Updated profile '${profile}' (version ${(answer.body as ProfileBody).version}).`)
    })
  )
).pipe(Command.withDescription("Change some settings of a profile."))

const remove = Command.make("remove", { ...connection, profile: profileArg }, ({ profile, ...target }) =>
  withClient(
    Effect.gen(function* () {
      yield* Api.request(target, "DELETE", path(profile), { expect: [204] })
      yield* Console.log(`Removed profile '${profile}'.`)
    })
  )
).pipe(Command.withDescription("Remove a profile (its snapshot and schedule go with it)."))

export const profilesCommand = Command.make("profiles").pipe(
  Command.withDescription("Manage the profiles of a running server."),
  Command.withSubcommands([list, get, add, update, remove])
)

// ---------------------------------------------------------------------------------------------- refresh

const all = Options.boolean("all").pipe(Options.withDescription("Refresh every profile"))
const profilesArg = Args.text({ name: "profile" }).pipe(Args.repeated, Args.withDescription("Profile keys"))

export const refreshCommand = Command.make("refresh", { ...connection, format, all, profiles: profilesArg }, ({ format, all, profiles, ...target }) =>
  withClient(
    Effect.gen(function* () {
      if (all && profiles.length > 0) return yield* usage("refresh: give profile keys or --all, not both")
      if (!all && profiles.length === 0) return yield* usage("refresh: name the profiles to refresh, or pass --all")
      const keys = all
        ? ((yield* Api.request(target, "GET", "/v1/profiles")).body as { profiles: ReadonlyArray<ProfileBody> }).profiles.map((p) => p.key)
        : profiles
      const results: Array<{ profile: string; ok: boolean; nextAttemptAt?: string; error?: string }> = []
      for (const [index, profile] of keys.entries()) {
        if (format === "table") yield* Effect.sync(() => process.stderr.write(`\r${progressBar(index, keys.length)} ${profile.padEnd(24)}`))
        const outcome = yield* Effect.either(Api.request(target, "POST", `${path(profile)}/refresh`, { expect: [202] }))
        if (outcome._tag === "Right") results.push({ profile, ok: true, nextAttemptAt: (outcome.right.body as { nextAttemptAt: string }).nextAttemptAt })
        else results.push({ profile, ok: false, error: outcome.left.message })
      }
      if (format === "table") yield* Effect.sync(() => process.stderr.write(`\r${progressBar(keys.length, keys.length)}${" ".repeat(26)}\n`))
      if (format === "json") yield* json(results)
      else yield* Console.log(table(["PROFILE", "RESULT", "NEXT ATTEMPT / ERROR"], results.map((r) => [r.profile, r.ok ? "accepted" : "failed", r.ok ? show(r.nextAttemptAt) : show(r.error)])))
      const failures = results.filter((r) => !r.ok).length
      if (failures > 0) return yield* new CliError({ message: `${failures} of ${results.length} refresh(es) failed`, exitCode: EXIT_FAILED })
    })
  )
).pipe(Command.withDescription("Ask the server to refresh profiles now (needs profiles:refresh); shows progress and a result per profile."))

// ---------------------------------------------------------------------------------------------- stats

interface View {
  readonly guild: { readonly name?: string }
  readonly counts: { readonly online?: number; readonly members?: number; readonly boosts?: number }
  readonly freshness: { readonly state: string; readonly fetchedAt: string | null; readonly ageSeconds?: number }
  readonly sources: ReadonlyArray<{ readonly source: string; readonly ok: boolean; readonly reason?: string }>
}

export const statsCommand = Command.make("stats", { ...connection, format, profile: profileArg }, ({ format, profile, ...target }) =>
  withClient(
    Effect.gen(function* () {
      const answer = yield* Api.request(target, "GET", `${path(profile)}/stats`)
      if (format === "json") return yield* json(answer.body)
      const v = answer.body as View
      yield* Console.log(
        pairs([
          ["server", show(v.guild.name)],
          ["online", show(v.counts.online)],
          ["members", show(v.counts.members)],
          ["boosts", show(v.counts.boosts)],
          ["freshness", v.freshness.state],
          ["fetched at", show(v.freshness.fetchedAt)],
          ["sources", v.sources.map((s) => `${s.source} ${s.ok ? "ok" : `failed${s.reason !== undefined ? ` (${s.reason})` : ""}`}`).join(", ") || "-"]
        ])
      )
    })
  )
).pipe(Command.withDescription("Show a profile's numbers as the public API serves them."))

// ---------------------------------------------------------------------------------------------- health

interface Health {
  readonly status: string
  readonly ready: boolean
  readonly checks: Readonly<Record<string, { readonly ok: boolean; readonly detail?: string }>>
  readonly profiles: ReadonlyArray<{ readonly profile: string; readonly status: string; readonly reasons: ReadonlyArray<string>; readonly freshness: { readonly state: string } }>
}

export const healthCommand = Command.make("health", { ...connection, format }, ({ format, ...target }) =>
  withClient(
    Effect.gen(function* () {
      const answer = yield* Api.request(target, "GET", "/v1/health")
      if (format === "json") return yield* json(answer.body)
      const h = answer.body as Health
      const lines = [`status ${h.status} · ${h.ready ? "ready" : "NOT ready"}`]
      for (const [name, check] of Object.entries(h.checks)) lines.push(`  ${check.ok ? "ok  " : "FAIL"} ${name}${check.detail !== undefined ? ` — ${check.detail}` : ""}`)
      lines.push("", table(["PROFILE", "STATUS", "FRESHNESS", "REASONS"], h.profiles.map((p) => [p.profile, p.status, p.freshness.state, p.reasons.join(", ") || "-"])))
      yield* Console.log(lines.join("\n"))
      if (h.status === "down" || !h.ready) return yield* new CliError({ message: `the server is ${h.ready ? h.status : "not ready"}`, exitCode: EXIT_FAILED })
    })
  )
).pipe(Command.withDescription("Show the server's health: checks and every profile (needs health:read). Exit 1 when down or not ready."))

// ---------------------------------------------------------------------------------------------- events

interface EventBody {
  readonly id?: string
  readonly ts: string
  readonly level: string
  readonly type: string
  readonly profile?: string
  readonly message: string
}

const profileFilter = Options.text("profile").pipe(Options.withDescription("Only events of this profile"), Options.optional)
const follow = Options.boolean("follow").pipe(Options.withAlias("f"), Options.withDescription("Keep printing new events"))
const limit = Options.integer("limit").pipe(Options.withDefault(20), Options.withDescription("How many recent events (1-1000)"))
const FOLLOW_EVERY = "2 seconds"

const eventLine = (e: EventBody) => `${e.ts}  ${e.level.padEnd(7)} ${e.type.padEnd(22)} ${(e.profile ?? "-").padEnd(16)} ${e.message}`

const tail = Command.make("tail", { ...connection, format, profile: profileFilter, follow, limit }, ({ format, profile, follow, limit, ...target }) =>
  withClient(
    Effect.gen(function* () {
      if (limit < 1 || limit > 1000) return yield* usage(`--limit must be 1-1000, got ${limit}`)
      const seen = new Set<string>()
      const fetchPage = (query: string) =>
        Effect.map(Api.request(target as Target, "GET", `/v1/events?${query}`), (a) => [...(a.body as { events: ReadonlyArray<EventBody> }).events].reverse())
      const base = `limit=${limit}${Option.isSome(profile) ? `&profile=${encodeURIComponent(profile.value)}` : ""}`
      const print = (events: ReadonlyArray<EventBody>) =>
        Effect.forEach(events, (e) => {
          const id = e.id ?? `${e.ts}|${e.type}|${e.message}`
          if (seen.has(id)) return Effect.void
          seen.add(id)
          return Console.log(format === "json" ? JSON.stringify(e) : eventLine(e))
        })
      let last: string | undefined
      const round = Effect.gen(function* () {
        const events = yield* fetchPage(last === undefined ? base : `${base}&since=${encodeURIComponent(last)}`)
        yield* print(events)
        const newest = events[events.length - 1]
        if (newest !== undefined) last = newest.ts
      })
      yield* round
      if (follow) yield* Effect.repeat(round, Schedule.spaced(FOLLOW_EVERY))
    })
  )
).pipe(Command.withDescription("Print recent events, oldest first (needs events:read); --follow keeps printing new ones."))

export const eventsCommand = Command.make("events").pipe(Command.withDescription("Read the server's event log."), Command.withSubcommands([tail]))
