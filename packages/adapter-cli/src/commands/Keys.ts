/**
 * Governance commands against a running server's API: `keys create|list|revoke` (scoped API keys; the secret
 * is printed once, at creation, and never again) and `audit` (who changed what, newest last, `--follow` keeps
 * printing). Tables for people, `--format json` for scripts; the same `--url`/`--key` as the operator commands.
 */
import { Args, Command, Options } from "@effect/cli"
import { Clock, Console, Effect, Option, Schedule } from "effect"
import * as Api from "../Api.js"
import { type CliError, usage } from "../CliError.js"
import { pairs, show, table } from "../internal/table.js"
import { connection, format, json, type Target, withClient } from "./Operator.js"


const list = (text: string) => text.split(",").map((s) => s.trim()).filter((s) => s !== "")

const relative = /^(\d{1,6})([mhd])$/
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/**
 * An instant from `--expires`/`--since`: ISO 8601 (`2027-01-01T00:00:00Z`) or a distance from now (`30d`,
 * `12h`, `15m`; `direction` says ahead or back).
 */
export const parseInstant = (option: string, text: string, direction: 1 | -1): Effect.Effect<string, CliError> =>
  Effect.gen(function* () {
    const match = relative.exec(text)
    if (match !== null) {
      const nowMs = yield* Clock.currentTimeMillis
      return new Date(nowMs + direction * Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]).toISOString()
    }
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(text) && !Number.isNaN(Date.parse(text))) return text
    return yield* usage(`${option} must be an ISO 8601 instant (2027-01-01T00:00:00Z) or a duration such as 30d, 12h or 15m, got '${text.slice(0, 80)}'`)
  })

// ---------------------------------------------------------------------------------------------- keys

interface KeyBody {
  readonly id: string
  readonly name: string
  readonly role?: string
  readonly scopes: ReadonlyArray<string>
  readonly profiles?: ReadonlyArray<string>
  readonly createdAt: string
  readonly expiresAt?: string
  readonly revokedAt?: string
  readonly lastUsedAt?: string
  readonly useCount: number
}

const statusOf = (k: KeyBody, nowMs: number) =>
  k.revokedAt !== undefined ? "revoked" : k.expiresAt !== undefined && Date.parse(k.expiresAt) <= nowMs ? "expired" : "active"

const KEY_HEADERS = ["ID", "NAME", "ROLE", "SCOPES", "PROFILES", "EXPIRES", "LAST USED", "USES", "STATUS"]
const keyRow = (k: KeyBody, nowMs: number) => [
  k.id,
  k.name,
  show(k.role),
  k.scopes.join(","),
  k.profiles?.join(",") ?? "*",
  show(k.expiresAt),
  show(k.lastUsedAt),
  String(k.useCount),
  statusOf(k, nowMs)
]

const nameArg = Args.text({ name: "name" }).pipe(Args.withDescription("What the key is for, e.g. \"grafana\" (1-100 characters)"))
const role = Options.choice("role", ["viewer", "editor", "admin"]).pipe(
  Options.withDescription("A named scope set: viewer (read), editor (viewer + profile changes, refresh, tokens), admin (every scope)"),
  Options.optional
)
const scopes = Options.text("scopes").pipe(
  Options.withDescription("Comma-separated scopes, added to the role's (profiles:read, profiles:write, profiles:refresh, events:read, tokens:write, metrics:read, health:read, analytics:read, keys:admin, audit:read, alerts:write)"),
  Options.optional
)
const profiles = Options.text("profiles").pipe(Options.withDescription("Comma-separated profile keys the key is limited to (default: every profile)"), Options.optional)
const expires = Options.text("expires").pipe(Options.withDescription("Expiry: ISO 8601 instant or a duration from now (30d, 12h)"), Options.optional)

const create = Command.make("create", { ...connection, format, name: nameArg, role, scopes, profiles, expires }, ({ expires, format, name, profiles, role, scopes, ...target }) =>
  withClient(
    Effect.gen(function* () {
      if (Option.isNone(role) && Option.isNone(scopes)) return yield* usage("keys create needs --role (viewer, editor, admin) or --scopes")
      const body: Record<string, unknown> = { name }
      if (Option.isSome(role)) body["role"] = role.value
      if (Option.isSome(scopes)) {
        const names = list(scopes.value)
        if (names.length === 0) return yield* usage("--scopes is empty: give comma-separated scopes such as profiles:read,events:read")
        body["scopes"] = names
      }
      if (Option.isSome(profiles)) {
        const keys = list(profiles.value)
        if (keys.length === 0) return yield* usage("--profiles is empty: give comma-separated profile keys, or leave it out for every profile")
        body["profiles"] = keys
      }
      if (Option.isSome(expires)) body["expiresAt"] = yield* parseInstant("--expires", expires.value, 1)
      const answer = yield* Api.request(target, "POST", "/v1/keys", { body, expect: [201] })
      const created = answer.body as { readonly key: KeyBody; readonly secret: string }
      if (format === "json") return yield* json(created)
      const k = created.key
      yield* Console.log(
        [
          pairs([
            ["id", k.id],
            ["name", k.name],
            ["role", show(k.role)],
            ["scopes", k.scopes.join(",")],
            ["profiles", k.profiles?.join(",") ?? "*"],
            ["expires", show(k.expiresAt)]
          ]),
          "",
          "Secret (shown this once; store it now, it cannot be read again):",
          created.secret
        ].join("\n")
      )
    })
  )
).pipe(Command.withDescription("Create an API key (needs a key with keys:admin). Prints its secret once."))

const listKeys = Command.make("list", { ...connection, format }, ({ format, ...target }) =>
  withClient(
    Effect.gen(function* () {
      const answer = yield* Api.request(target, "GET", "/v1/keys")
      const keys = (answer.body as { readonly keys: ReadonlyArray<KeyBody> }).keys
      if (format === "json") return yield* json(keys)
      const nowMs = yield* Clock.currentTimeMillis
      yield* Console.log(keys.length === 0 ? "No API keys." : table(KEY_HEADERS, keys.map((k) => keyRow(k, nowMs))))
    })
  )
).pipe(Command.withDescription("List the API keys (never their secrets) with their last use and status."))

const idArg = Args.text({ name: "id" }).pipe(Args.withDescription("The key id (the part after gp_, as `keys list` shows it)"))

const revoke = Command.make("revoke", { ...connection, format, id: idArg }, ({ format, id, ...target }) =>
  withClient(
    Effect.gen(function* () {
      if (!/^[A-Za-z0-9]{8,32}$/.test(id)) return yield* usage(`'${id.slice(0, 40)}' is not a key id: 8-32 characters of a-z, A-Z, 0-9 (see \`guildpulse keys list\`)`)
      const answer = yield* Api.request(target, "DELETE", `/v1/keys/${id}`)
      const revoked = (answer.body as { readonly key: KeyBody }).key
      if (format === "json") return yield* json(revoked)
      yield* Console.log(`Revoked key ${revoked.id} (${revoked.name}) at ${show(revoked.revokedAt)}; it is refused from now on.`)
    })
  )
).pipe(Command.withDescription("Revoke an API key: refused at once by this server, by other instances within 30 s."))

export const keysCommand = Command.make("keys").pipe(
  Command.withDescription("Manage scoped API keys of a running server (needs a key with keys:admin)."),
  Command.withSubcommands([create, listKeys, revoke])
)

// ---------------------------------------------------------------------------------------------- audit

interface AuditBody {
  readonly id: string
  readonly at: string
  readonly keyId: string
  readonly action: string
  readonly profile?: string
  readonly ip?: string
}

const profileFilter = Options.text("profile").pipe(Options.withDescription("Only changes of this profile"), Options.optional)
const actionFilter = Options.text("action").pipe(Options.withDescription("An action (profile.update) or an entity (profile, key, token)"), Options.optional)
const since = Options.text("since").pipe(Options.withDescription("At or after: ISO 8601 instant or a duration back from now (24h, 7d)"), Options.optional)
const follow = Options.boolean("follow").pipe(Options.withAlias("f"), Options.withDescription("Keep printing new entries"))
const limit = Options.integer("limit").pipe(Options.withDefault(50), Options.withDescription("How many recent entries (1-1000)"))
const FOLLOW_EVERY = "2 seconds"

const auditLine = (e: AuditBody) => `${e.at}  ${e.action.padEnd(18)} ${(e.profile ?? "-").padEnd(16)} ${e.keyId.padEnd(18)} ${e.ip ?? "-"}`

export const auditCommand = Command.make(
  "audit",
  { ...connection, format, profile: profileFilter, action: actionFilter, since, follow, limit },
  ({ action, follow, format, limit, profile, since, ...target }) =>
    withClient(
      Effect.gen(function* () {
        if (limit < 1 || limit > 1000) return yield* usage(`--limit must be 1-1000, got ${limit}`)
        if (Option.isSome(action) && !/^[a-z_]+(\.[a-z_]+)*$/.test(action.value)) {
          return yield* usage(`--action must be an action such as profile.update or an entity such as profile, got '${action.value.slice(0, 60)}'`)
        }
        const params = new URLSearchParams({ limit: String(limit) })
        if (Option.isSome(profile)) params.set("profile", profile.value)
        if (Option.isSome(action)) params.set("action", action.value)
        if (Option.isSome(since)) params.set("since", yield* parseInstant("--since", since.value, -1))
        const seen = new Set<string>()
        let printedHeader = false
        const printHeader = Effect.suspend(() => {
          if (printedHeader) return Effect.void
          printedHeader = true
          return Console.log(`${"AT".padEnd(24)}  ${"ACTION".padEnd(18)} ${"PROFILE".padEnd(16)} ${"KEY".padEnd(18)} IP`)
        })
        const print = (entries: ReadonlyArray<AuditBody>) =>
          Effect.gen(function* () {
            const fresh = entries.filter((e) => !seen.has(e.id))
            for (const e of fresh) seen.add(e.id)
            if (format === "json") return yield* Effect.forEach(fresh, (e) => Console.log(JSON.stringify(e)), { discard: true })
            if (fresh.length === 0) return
            yield* printHeader
            yield* Effect.forEach(fresh, (e) => Console.log(auditLine(e)), { discard: true })
          })
        let last: string | undefined
        const round = Effect.gen(function* () {
          const query = new URLSearchParams(params)
          if (last !== undefined) query.set("since", last)
          const answer = yield* Api.request(target as Target, "GET", `/v1/audit?${query.toString()}`)
          // The API pages newest first; people read oldest first.
          const entries = [...(answer.body as { readonly entries: ReadonlyArray<AuditBody> }).entries].reverse()
          yield* print(entries)
          const newest = entries[entries.length - 1]
          if (newest !== undefined) last = newest.at
        })
        yield* round
        if (seen.size === 0 && format === "table") {
          if (!follow) yield* Console.log("No audit entries.")
          else yield* printHeader
        }
        if (follow) yield* Effect.repeat(round, Schedule.spaced(FOLLOW_EVERY))
      })
    )
).pipe(Command.withDescription("Show who changed what on a running server, oldest first (needs audit:read); --follow keeps printing new entries."))
