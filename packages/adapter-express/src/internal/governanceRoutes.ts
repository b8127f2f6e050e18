/**
 * `/v1/keys` (keys:admin) and `/v1/audit` (audit:read). A caller only sees, creates and revokes keys within
 * its own scopes and profiles; a key limited to some profiles reads only the audit entries of those profiles.
 */
import { ProfileKey, Validation, type ApiKeys, type AuditLog } from "@guildpulse/core"
import { Effect, Either, Option, Redacted, Schema } from "effect"
import type { Governance } from "../ApiKeyAuth.js"
import type { Principal } from "../Authenticator.js"
import * as Problem from "../Problem.js"
import { requireScope, type RouteContext, type RouteSpec } from "../Routes.js"
import { Cursor, Limit, Timestamp, timestampMs } from "../Schemas.js"
import { runThen } from "./runRoute.js"
import { readJsonBody, type Headers } from "./http.js"

export interface GovernanceState {
  readonly governance: Governance
  readonly bodyLimitBytes: number
  readonly logDefect: (what: string, defect: unknown) => void
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString())

/** A key as JSON: times as ISO strings, never the hash. */
export const keyJson = (key: ApiKeys.ApiKeyView) => ({
  id: key.id,
  name: key.name,
  ...(key.role !== undefined ? { role: key.role } : {}),
  scopes: key.scopes,
  ...(key.profiles !== undefined ? { profiles: key.profiles } : {}),
  createdAt: iso(key.createdAtMs),
  ...(key.expiresAtMs !== undefined ? { expiresAt: iso(key.expiresAtMs) } : {}),
  ...(key.revokedAtMs !== undefined ? { revokedAt: iso(key.revokedAtMs) } : {}),
  ...(key.lastUsedAtMs !== undefined ? { lastUsedAt: iso(key.lastUsedAtMs) } : {}),
  useCount: key.useCount
})

const KeyJson = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  role: Schema.optional(Schema.String),
  scopes: Schema.Array(Schema.String),
  profiles: Schema.optional(Schema.Array(Schema.String)),
  createdAt: Schema.String,
  expiresAt: Schema.optional(Schema.String),
  revokedAt: Schema.optional(Schema.String),
  lastUsedAt: Schema.optional(Schema.String),
  useCount: Schema.Number
})

const principalOf = (context: RouteContext): Principal => {
  if (context.principal === undefined) throw new Error("scoped route without principal")
  return context.principal
}


const listKeys = (state: GovernanceState): RouteSpec => ({
  method: "get",
  path: "/v1/keys",
  access: requireScope("keys:admin"),
  doc: {
    operationId: "listKeys",
    summary: "API keys this key may manage (never their secrets or hashes)",
    tags: ["keys"],
    responses: { 200: { description: "Keys, oldest first", schema: Schema.Struct({ keys: Schema.Array(KeyJson) }) } }
  },
  handle: (context) =>
    runThen(state, context, "GET /v1/keys", state.governance.apiKeys.list(principalOf(context)), (keys) =>
      context.sendJson(200, { keys: keys.map(keyJson) })
    )
})

const createKey = (state: GovernanceState): RouteSpec => ({
  method: "post",
  path: "/v1/keys",
  access: requireScope("keys:admin"),
  doc: {
    operationId: "createKey",
    summary: "Issue an API key; the secret is in this answer only",
    description: "Body: `name`, `role` (viewer, editor, admin) and/or `scopes`, optional `profiles` (allow-list) and `expiresAt`. A key cannot grant more scopes or profiles than it has.",
    tags: ["keys"],
    requestBody: { schema: Schema.Unknown, contentTypes: ["application/json"] },
    responses: {
      201: { description: "The key and its secret (`gp_<id>_<secret>`, shown once)", schema: Schema.Struct({ key: KeyJson, secret: Schema.String }), headers: ["Location"] },
      400: { description: "Invalid input (fields named in errors)", problem: true },
      403: { description: "Asks for scopes or profiles this key lacks", problem: true }
    }
  },
  handle: async (context) => {
    const body = await readJsonBody(context.req, state.bodyLimitBytes)
    if (body._tag === "problem") return context.sendProblem(body.response)
    const effect = Effect.tap(state.governance.apiKeys.create(body.value, principalOf(context)), ({ key }) =>
      context.audit({ action: "key.create", after: keyJson(key) })
    )
    return runThen(state, context, "POST /v1/keys", effect, ({ key, secret }) =>
      context.sendJson(201, { key: keyJson(key), secret: Redacted.value(secret) }, { Location: `${context.basePath}/v1/keys/${key.id}` })
    )
  }
})

const revokeKey = (state: GovernanceState): RouteSpec => ({
  method: "delete",
  path: "/v1/keys/:id",
  access: requireScope("keys:admin"),
  doc: {
    operationId: "revokeKey",
    summary: "Revoke an API key (it stops working at once in this process, within the cache TTL elsewhere)",
    tags: ["keys"],
    pathParams: { id: { schema: Schema.String, description: "The key id (`gp_<id>_…`)" } },
    responses: {
      200: { description: "The revoked key", schema: Schema.Struct({ key: KeyJson }) },
      404: { description: "No such key (or not manageable by this key)", problem: true }
    }
  },
  handle: (context) => {
    const id = String(context.req.params["id"])
    const effect = Effect.tap(state.governance.apiKeys.revoke(id, principalOf(context)), (revoked) =>
      Option.isSome(revoked) ? context.audit({ action: "key.revoke", after: keyJson(revoked.value) }) : Effect.void
    )
    return runThen(state, context, "DELETE /v1/keys/:id", effect, (revoked) =>
      Option.isSome(revoked)
        ? context.sendJson(200, { key: keyJson(revoked.value) })
        : context.sendProblem(Problem.notFound(`No key '${id.slice(0, 40)}'.`))
    )
  }
})

const AuditQueryParams = Schema.Struct({
  profile: Schema.optional(ProfileKey),
  action: Schema.optional(Schema.String.pipe(Schema.pattern(/^[a-z_]{1,32}(\.[a-z_]{1,32}){0,4}$/, { message: () => "must be an action (profile.update) or an entity (profile)" }))),
  key: Schema.optional(Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9-]{1,64}$/, { message: () => "must be a key id" }))),
  since: Schema.optional(Timestamp),
  until: Schema.optional(Timestamp),
  limit: Schema.optional(Limit),
  cursor: Schema.optional(Cursor)
})
const decodeAuditQuery = Validation.decodeEither(AuditQueryParams)

/** Pages of the port scanned for a key limited to some profiles, before answering with a cursor. */
const MAX_SCANNED_PAGES = 10

/** A page of entries the principal may see: limited keys see entries of their profiles only. */
export const visiblePage = (audit: AuditLog.AuditLog["Type"], principal: Principal, query: AuditLog.AuditQuery) =>
  Effect.gen(function*() {
    const allowed = principal.profiles
    if (allowed === "*") return yield* audit.query(query)
    if (query.profile !== undefined) {
      return allowed.has(query.profile) ? yield* audit.query(query) : { entries: [], nextCursor: Option.none<string>() }
    }
    if (allowed.size === 1) return yield* audit.query({ ...query, profile: [...allowed][0] as ProfileKey })
    const limit = query.limit ?? 100
    const out: Array<AuditLog.AuditEntry> = []
    let cursor = query.cursor
    for (let page = 0; page < MAX_SCANNED_PAGES; page++) {
      const result = yield* audit.query({ ...query, limit: 1000, ...(cursor !== undefined ? { cursor } : {}) })
      for (const entry of result.entries) {
        if (entry.profile !== undefined && allowed.has(entry.profile)) {
          out.push(entry)
          if (out.length === limit) return { entries: out, nextCursor: Option.some(entry.id) }
        }
        cursor = entry.id
      }
      if (Option.isNone(result.nextCursor)) return { entries: out, nextCursor: Option.none<string>() }
    }
    return { entries: out, nextCursor: cursor === undefined ? Option.none<string>() : Option.some(cursor) }
  })

const AuditEntryJson = Schema.Struct({
  id: Schema.String,
  at: Schema.String,
  keyId: Schema.String,
  action: Schema.String,
  profile: Schema.optional(Schema.String),
  ip: Schema.optional(Schema.String),
  before: Schema.optional(Schema.Unknown),
  after: Schema.optional(Schema.Unknown)
})

const auditRoute = (state: GovernanceState): RouteSpec => ({
  method: "get",
  path: "/v1/audit",
  access: requireScope("audit:read"),
  doc: {
    operationId: "listAudit",
    summary: "Who changed what: newest first, with filters and a cursor",
    tags: ["audit"],
    query: {
      profile: { schema: ProfileKey, description: "Only changes of this profile" },
      action: { schema: Schema.String, description: "An action (`profile.update`) or an entity (`profile`)" },
      key: { schema: Schema.String, description: "Only changes made by this key id (`bootstrap-admin` for the bootstrap key)" },
      since: { schema: Timestamp, description: "At or after" },
      until: { schema: Timestamp, description: "At or before" },
      limit: { schema: Limit, description: "Page size (default 100, at most 1000)" },
      cursor: { schema: Cursor, description: "`nextCursor` of the previous page" }
    },
    responses: {
      200: { description: "A page of entries; `Link: <…>; rel=\"next\"` when there is more", schema: Schema.Struct({ entries: Schema.Array(AuditEntryJson), nextCursor: Schema.NullOr(Schema.String) }), headers: ["Link"] },
      400: { description: "Invalid query parameter (named in errors)", problem: true }
    }
  },
  handle: (context) => {
    const decoded = decodeAuditQuery(context.query())
    if (Either.isLeft(decoded)) return context.sendProblem(Problem.invalid(decoded.left.issues))
    const q = decoded.right
    const sinceMs = q.since === undefined ? undefined : timestampMs(q.since)
    const untilMs = q.until === undefined ? undefined : timestampMs(q.until)
    if (sinceMs !== undefined && untilMs !== undefined && untilMs < sinceMs) return context.sendProblem(Problem.invalidField("until", "must not be before since"))
    const query: AuditLog.AuditQuery = {
      ...(q.profile !== undefined ? { profile: q.profile } : {}),
      ...(q.action !== undefined ? { action: q.action } : {}),
      ...(q.key !== undefined ? { keyId: q.key } : {}),
      ...(sinceMs !== undefined ? { sinceMs } : {}),
      ...(untilMs !== undefined ? { untilMs } : {}),
      ...(q.limit !== undefined ? { limit: q.limit } : {}),
      ...(q.cursor !== undefined ? { cursor: q.cursor } : {})
    }
    return runThen(state, context, "GET /v1/audit", visiblePage(state.governance.audit, principalOf(context), query), (page) => {
      const nextCursor = Option.getOrNull(page.nextCursor)
      const extra: Headers = {}
      if (nextCursor !== null) {
        const params = new URLSearchParams()
        for (const [name, value] of Object.entries(context.query())) if (name !== "cursor" && typeof value === "string") params.set(name, value)
        params.set("cursor", nextCursor)
        extra["Link"] = `<${context.basePath}/v1/audit?${params.toString()}>; rel="next"`
      }
      const entries = page.entries.map(({ atMs, id, ...entry }) => ({ id, at: new Date(atMs).toISOString(), ...entry }))
      context.sendJson(200, { entries, nextCursor }, extra)
    })
  }
})

export const governanceRoutes = (state: GovernanceState): ReadonlyArray<RouteSpec> => [listKeys(state), createKey(state), revokeKey(state), auditRoute(state)]
