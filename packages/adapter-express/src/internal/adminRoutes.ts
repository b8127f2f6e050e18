/**
 * The admin routes (bearer key with scopes): profiles CRUD with optimistic versions (`ETag: "<version>"`,
 * `If-Match`), manual refresh, and the event log. A key limited to some profiles sees nothing of the others:
 * reads of another profile are 404, writes are 403.
 */
import { Validation, type Profile, type ProfileKey } from "@guildpulse/core"
import { Effect, Either, Option, Schema } from "effect"
import { canAccessProfile, type Principal } from "../Authenticator.js"
import * as Problem from "../Problem.js"
import { requireScope, type RouteContext, type RouteSpec } from "../Routes.js"
import {
  eventQueryParams,
  EventPage,
  EventsQuery,
  ProfileBody,
  ProfileList,
  ProfilePatchBody,
  ProfilePutBody,
  RefreshAccepted,
  timestampMs
} from "../Schemas.js"
import type { EngineHandle } from "./engine.js"
import { runThen } from "./runRoute.js"
import { ifNoneMatchHits, readJsonBody, send, type Headers } from "./http.js"
import { invalidProfileKey, isProfileKey, profileParam } from "./publicView.js"

export interface AdminState {
  readonly bodyLimitBytes: number
  /** Drops whatever the public routes memoised for a profile (called after every change made here). */
  readonly invalidate: (profile: string) => void
  readonly logDefect: (what: string, defect: unknown) => void
}

const versionTag = (profile: Profile) => `"${profile.version}"`

type Precondition = { readonly _tag: "none" } | { readonly _tag: "any" } | { readonly _tag: "version"; readonly version: number }

/** `If-Match: "3"` → version 3; `*` → must exist; weak or malformed tags → 400 naming the header. */
const parseIfMatch = (header: string | undefined): Precondition | Problem.ProblemResponse => {
  if (header === undefined) return { _tag: "none" }
  const value = header.trim()
  if (value === "*") return { _tag: "any" }
  const match = /^"([1-9]\d{0,14})"$/.exec(value)
  if (match === null) return Problem.invalidField("If-Match", 'must be the profile\'s ETag, a quoted version such as "3", or *')
  return { _tag: "version", version: Number(match[1]) }
}
const isProblem = (value: unknown): value is Problem.ProblemResponse =>
  typeof value === "object" && value !== null && "problem" in value

const withEngine = (context: RouteContext, f: (engine: EngineHandle) => void | Promise<void>) =>
  context.engine === undefined ? context.sendProblem(Problem.unavailable("The engine is starting; retry shortly.")) : f(context.engine)


const profileKeyOf = (context: RouteContext): ProfileKey | Problem.ProblemResponse => {
  const key = context.req.params["profile"]
  return isProfileKey(key) ? key : invalidProfileKey(String(key))
}

/** What every write checks first: the profile in the path, the caller's right to change it, `If-Match`. */
const writeTarget = (
  context: RouteContext
): { readonly key: ProfileKey; readonly precondition: Precondition } | Problem.ProblemResponse => {
  const key = profileKeyOf(context)
  if (isProblem(key)) return key
  if (!canAccessProfile(principalOf(context), key)) return Problem.forbidden(`This key may not change profile '${key}'.`)
  const precondition = parseIfMatch(context.req.headers["if-match"])
  return isProblem(precondition) ? precondition : { key, precondition }
}

const principalOf = (context: RouteContext): Principal => {
  // Scoped routes always run with a principal; this guards the type, not a real path.
  if (context.principal === undefined) throw new Error("scoped route without principal")
  return context.principal
}

/** The profile before a change, for the audit log (none when it does not exist). */
const beforeOf = (engine: EngineHandle, key: string) =>
  Effect.catchTag(Effect.asSome(engine.profiles.get(key)), "ProfileNotFound", () => Effect.succeedNone)

/** Runs a change of profile `key` and records it (before and after) in the audit log. */
const audited = <A, E, R>(
  context: RouteContext,
  engine: EngineHandle,
  key: string,
  change: Effect.Effect<A, E, R>,
  describe: (result: A) => { readonly action: string; readonly after?: unknown }
) =>
  Effect.gen(function*() {
    const before = yield* beforeOf(engine, key)
    const result = yield* change
    const { action, after } = describe(result)
    yield* context.audit({ action, profile: key, before: Option.getOrUndefined(before), after })
    return result
  })

const sendProfile = (context: RouteContext, status: number, profile: Profile, extra: Headers = {}) =>
  context.sendJson(status, profile, { ETag: versionTag(profile), ...extra })

const listRoute = (state: AdminState): RouteSpec => ({
  method: "get",
  path: "/v1/profiles",
  access: requireScope("profiles:read"),
  doc: {
    operationId: "listProfiles",
    summary: "Every profile this key may see",
    tags: ["profiles"],
    responses: { 200: { description: "Profiles, by key", schema: ProfileList } }
  },
  handle: (context) =>
    withEngine(context, (engine) =>
      runThen(state, context, "GET /v1/profiles", engine.profiles.list, (profiles) => {
        const principal = principalOf(context)
        context.sendJson(200, { profiles: profiles.filter((p) => canAccessProfile(principal, p.key)) })
      })
    )
})

const getRoute = (state: AdminState): RouteSpec => ({
  method: "get",
  path: "/v1/profiles/:profile",
  access: requireScope("profiles:read"),
  doc: {
    operationId: "getProfile",
    summary: "One profile",
    tags: ["profiles"],
    pathParams: { profile: profileParam },
    responses: {
      200: { description: "The profile; ETag is its quoted version", schema: ProfileBody, headers: ["ETag"] },
      304: { description: "Not modified", headers: ["ETag"] },
      400: { description: "Invalid profile key", problem: true },
      404: { description: "No such profile (or not visible to this key)", problem: true }
    }
  },
  handle: (context) =>
    withEngine(context, (engine) => {
      const key = profileKeyOf(context)
      if (isProblem(key)) return context.sendProblem(key)
      if (!canAccessProfile(principalOf(context), key)) return context.sendProblem(Problem.profileNotFound(key))
      return runThen(state, context, "GET /v1/profiles/:profile", engine.profiles.get(key), (profile) => {
        if (ifNoneMatchHits(context.req.headers["if-none-match"], versionTag(profile))) {
          return send(context.res, 304, { ...context.headers, ETag: versionTag(profile), "Cache-Control": "no-store" }, undefined)
        }
        sendProfile(context, 200, profile)
      })
    })
})

/** Reads the JSON body, then continues; answers the problem itself when the body is unusable. */
const withBody = async (state: AdminState, context: RouteContext, f: (body: unknown) => void | Promise<void>) => {
  const body = await readJsonBody(context.req, state.bodyLimitBytes)
  if (body._tag === "problem") {
    if (body.closeConnection) context.res.setHeader("Connection", "close")
    return context.sendProblem(body.response)
  }
  return f(body.value)
}

const ifMatchHeader: Record<string, { schema: Schema.Schema.Any; description: string }> = {
  "If-Match": { schema: Schema.String, description: 'The quoted version to update ("3"), or * (must exist)' }
}

const putRoute = (state: AdminState): RouteSpec => ({
  method: "put",
  path: "/v1/profiles/:profile",
  access: requireScope("profiles:write"),
  doc: {
    operationId: "putProfile",
    summary: "Create or replace a profile",
    description: "201 when created, 200 when replaced. `If-Match: \"<version>\"` guards against lost updates (409 on mismatch); `If-None-Match: *` only creates.",
    tags: ["profiles"],
    pathParams: { profile: profileParam },
    headers: { ...ifMatchHeader, "If-None-Match": { schema: Schema.Literal("*"), description: "Only create (409 if it exists)" } },
    requestBody: { schema: ProfilePutBody, contentTypes: ["application/json"] },
    responses: {
      200: { description: "Replaced", schema: ProfileBody, headers: ["ETag"] },
      201: { description: "Created", schema: ProfileBody, headers: ["ETag", "Location"] },
      400: { description: "Invalid input (fields named in errors)", problem: true },
      409: { description: "Version conflict, or it already exists with If-None-Match: *", problem: true },
      412: { description: "If-Match: * and the profile does not exist", problem: true },
      413: { description: "Body too large", problem: true },
      415: { description: "Body is not JSON", problem: true }
    }
  },
  handle: (context) =>
    withEngine(context, (engine) => {
      const target = writeTarget(context)
      if (isProblem(target)) return context.sendProblem(target)
      const { key, precondition } = target
      const createOnly = context.req.headers["if-none-match"]?.trim() === "*"
      return withBody(state, context, (input) => {
        // Core takes the key from the path and names `key` when the body disagrees; version 0 = create only.
        const effect = createOnly
          ? engine.profiles.put(key, input, 0)
          : precondition._tag === "version"
          ? engine.profiles.put(key, input, precondition.version)
          : precondition._tag === "any"
          ? Effect.flatMap(
              Effect.catchTag(engine.profiles.get(key), "ProfileNotFound", () =>
                Effect.fail(new Problem.PreconditionFailed({ detail: `Profile '${key}' does not exist (If-Match: *).` }))
              ),
              (current) => engine.profiles.put(key, input, current.version)
            )
          : engine.profiles.put(key, input)
        const recorded = audited(context, engine, key, effect, ({ profile, created }) => ({ action: created ? "profile.create" : "profile.update", after: profile }))
        return runThen(state, context, "PUT /v1/profiles/:profile", Effect.ensuring(recorded, Effect.sync(() => state.invalidate(key))), ({ profile, created }) =>
          created
            ? sendProfile(context, 201, profile, { Location: `${context.basePath}/v1/profiles/${profile.key}` })
            : sendProfile(context, 200, profile)
        )
      })
    })
})

const patchRoute = (state: AdminState): RouteSpec => ({
  method: "patch",
  path: "/v1/profiles/:profile",
  access: requireScope("profiles:write"),
  doc: {
    operationId: "patchProfile",
    summary: "Change some fields of a profile",
    description: "A merge patch: fields present replace the stored ones (display replaces the display defaults as a whole); `inviteCode: null` removes the invite code.",
    tags: ["profiles"],
    pathParams: { profile: profileParam },
    headers: ifMatchHeader,
    requestBody: { schema: ProfilePatchBody, contentTypes: ["application/json", "application/merge-patch+json"] },
    responses: {
      200: { description: "Updated", schema: ProfileBody, headers: ["ETag"] },
      400: { description: "Invalid input (fields named in errors)", problem: true },
      404: { description: "No such profile", problem: true },
      409: { description: "Version conflict", problem: true },
      413: { description: "Body too large", problem: true },
      415: { description: "Body is not JSON", problem: true }
    }
  },
  handle: (context) =>
    withEngine(context, (engine) => {
      const target = writeTarget(context)
      if (isProblem(target)) return context.sendProblem(target)
      const { key, precondition } = target
      return withBody(state, context, (body) =>
        runThen(
          state,
          context,
          "PATCH /v1/profiles/:profile",
          Effect.ensuring(
            audited(context, engine, key, engine.profiles.update(key, body, precondition._tag === "version" ? precondition.version : undefined), (profile) => ({
              action: "profile.update",
              after: profile
            })),
            Effect.sync(() => state.invalidate(key))
          ),
          (profile) => sendProfile(context, 200, profile)
        )
      )
    })
})

const deleteRoute = (state: AdminState): RouteSpec => ({
  method: "delete",
  path: "/v1/profiles/:profile",
  access: requireScope("profiles:write"),
  doc: {
    operationId: "deleteProfile",
    summary: "Delete a profile (its snapshot, schedule and circuits go with it)",
    tags: ["profiles"],
    pathParams: { profile: profileParam },
    headers: ifMatchHeader,
    responses: {
      204: { description: "Deleted" },
      400: { description: "Invalid profile key or If-Match", problem: true },
      404: { description: "No such profile", problem: true },
      409: { description: "Version conflict", problem: true }
    }
  },
  handle: (context) =>
    withEngine(context, (engine) => {
      const target = writeTarget(context)
      if (isProblem(target)) return context.sendProblem(target)
      const { key, precondition } = target
      return runThen(
        state,
        context,
        "DELETE /v1/profiles/:profile",
        Effect.ensuring(
          audited(context, engine, key, engine.profiles.delete(key, precondition._tag === "version" ? precondition.version : undefined), () => ({ action: "profile.delete" })),
          Effect.sync(() => state.invalidate(key))
        ),
        () => send(context.res, 204, { ...context.headers, "Cache-Control": "no-store" }, undefined)
      )
    })
})

const refreshRoute = (state: AdminState): RouteSpec => ({
  method: "post",
  path: "/v1/profiles/:profile/refresh",
  access: requireScope("profiles:refresh"),
  doc: {
    operationId: "refreshProfile",
    summary: "Refresh a profile soon (re-arms its scheduled job)",
    tags: ["profiles"],
    pathParams: { profile: profileParam },
    responses: {
      202: { description: "Accepted; says when the attempt is expected", schema: RefreshAccepted },
      400: { description: "Invalid profile key", problem: true },
      404: { description: "No such profile", problem: true }
    }
  },
  handle: (context) =>
    withEngine(context, (engine) => {
      const key = profileKeyOf(context)
      if (isProblem(key)) return context.sendProblem(key)
      if (!canAccessProfile(principalOf(context), key)) return context.sendProblem(Problem.profileNotFound(key))
      return runThen(state, context, "POST /v1/profiles/:profile/refresh", Effect.ensuring(
          Effect.tap(engine.scheduler.trigger(key), ({ nextAttemptAtMs }) =>
            context.audit({ action: "profile.refresh", profile: key, after: { nextAttemptAt: new Date(nextAttemptAtMs).toISOString() } })
          ),
          Effect.sync(() => state.invalidate(key))
        ), ({ nextAttemptAtMs }) =>
        context.sendJson(202, { profile: key, nextAttemptAt: new Date(nextAttemptAtMs).toISOString() })
      )
    })
})

const decodeEventsQuery = Validation.decodeEither(EventsQuery)

const eventsRoute = (state: AdminState): RouteSpec => ({
  method: "get",
  path: "/v1/events",
  access: requireScope("events:read"),
  doc: {
    operationId: "listEvents",
    summary: "Structured events, newest first, with a cursor",
    tags: ["events"],
    query: eventQueryParams,
    responses: {
      200: { description: "A page of events; `Link: <…>; rel=\"next\"` when there is more", schema: EventPage, headers: ["Link"] },
      400: { description: "Invalid query parameter (named in errors)", problem: true }
    }
  },
  handle: (context) =>
    withEngine(context, (engine) => {
      const decoded = decodeEventsQuery(context.query())
      if (Either.isLeft(decoded)) return context.sendProblem(Problem.invalid(decoded.left.issues))
      const q = decoded.right
      const sinceMs = q.since === undefined ? undefined : timestampMs(q.since)
      const untilMs = q.until === undefined ? undefined : timestampMs(q.until)
      if (sinceMs !== undefined && untilMs !== undefined && untilMs < sinceMs) {
        return context.sendProblem(Problem.invalidField("until", "must not be before since"))
      }
      const principal = principalOf(context)
      let profile: ProfileKey | ReadonlyArray<ProfileKey> | undefined = q.profile
      if (principal.profiles !== "*") {
        if (profile !== undefined && !principal.profiles.has(profile)) {
          return context.sendJson(200, { events: [], nextCursor: null })
        }
        // A principal's profiles are plain strings (an authenticator may build them); one that is no profile key matches no event.
        profile ??= [...principal.profiles].filter(isProfileKey)
      }
      const query = {
        ...(profile !== undefined ? { profile } : {}),
        ...(q.type !== undefined ? { type: q.type } : {}),
        ...(q.level !== undefined ? { level: q.level } : {}),
        ...(sinceMs !== undefined ? { sinceMs } : {}),
        ...(untilMs !== undefined ? { untilMs } : {}),
        ...(q.limit !== undefined ? { limit: q.limit } : {}),
        ...(q.cursor !== undefined ? { cursor: q.cursor } : {})
      }
      return runThen(state, context, "GET /v1/events", engine.events.query(query), (page) => {
        const nextCursor = page.nextCursor._tag === "Some" ? page.nextCursor.value : null
        const extra: Headers = {}
        if (nextCursor !== null) {
          const params = new URLSearchParams()
          for (const [name, value] of Object.entries(context.query())) if (name !== "cursor" && typeof value === "string") params.set(name, value)
          params.set("cursor", nextCursor)
          extra["Link"] = `<${context.basePath}/v1/events?${params.toString()}>; rel="next"`
        }
        context.sendJson(200, { events: page.events, nextCursor }, extra)
      })
    })
})

export const adminRoutes = (state: AdminState): ReadonlyArray<RouteSpec> => [
  listRoute(state),
  getRoute(state),
  putRoute(state),
  patchRoute(state),
  deleteRoute(state),
  refreshRoute(state),
  eventsRoute(state)
]
