/**
 * The analytics routes (scope `analytics:read`), thin over core's `Analytics` service:
 * `GET /v1/profiles/:profile/analytics` (series, aggregates, heatmap, optionally compared with other
 * profiles), `GET /v1/profiles/:profile/analytics/export` (CSV, JSON or JSON lines, streamed to the response
 * with backpressure) and `GET /v1/analytics/report` (every profile the key may read).
 *
 * The service comes from the engine's runtime: an `Analytics` it provides, else one made over the
 * `AnalyticsStore` it provides. Without either the routes answer 404 `analytics_disabled`. A key limited to
 * some profiles sees nothing of the others: their analytics are 404, the report leaves them out.
 */
import { Analytics, type Profile, type ProfileKey } from "@guildpulse/core"
import { Effect, Exit, Fiber, Runtime, Schema, Stream } from "effect"
import { canAccessProfile, type Principal } from "../Authenticator.js"
import * as Problem from "../Problem.js"
import { requireScope, type ParamDoc, type RouteContext, type RouteSpec } from "../Routes.js"
import type { EngineHandle } from "./engine.js"
import { runThen } from "./runRoute.js"
import { invalidProfileKey, isProfileKey, profileParam } from "./publicView.js"

export interface AnalyticsState {
  readonly logDefect: (what: string, defect: unknown) => void
}

const Json = Schema.Unknown

export const analyticsDisabled = (): Problem.ProblemResponse =>
  Problem.make(404, "analytics_disabled", "Analytics are not enabled on this server (the engine provides no AnalyticsStore).")

const principalOf = (context: RouteContext): Principal => {
  if (context.principal === undefined) throw new Error("scoped route without principal")
  return context.principal
}

const withAnalytics = (context: RouteContext, f: (engine: EngineHandle, analytics: Analytics.Analytics["Type"]) => void | Promise<void>) => {
  const engine = context.engine
  if (engine === undefined) return context.sendProblem(Problem.unavailable("The engine is starting; retry shortly."))
  if (engine.analytics === undefined) return context.sendProblem(analyticsDisabled())
  return f(engine, engine.analytics)
}

/** The profile of the path, readable by the key and existing (else the problem, as the profile routes answer). */
const readable = (context: RouteContext, engine: EngineHandle, key: string): Effect.Effect<Profile, unknown> => {
  if (!isProfileKey(key)) return Effect.fail(invalidProfileKey(String(key)))
  if (!canAccessProfile(principalOf(context), key)) return Effect.fail(Problem.profileNotFound(key))
  return engine.profiles.get(key)
}

const isProblem = (value: unknown): value is Problem.ProblemResponse => typeof value === "object" && value !== null && "problem" in value && "headers" in value

/** Like `runThen`, but a failure may already be a problem. */
const answer = <A>(state: AnalyticsState, context: RouteContext, where: string, effect: Effect.Effect<A, unknown>, onSuccess: (value: A) => void) =>
  runThen(
    state,
    context,
    where,
    Effect.catchAll(Effect.map(effect, (value) => ({ ok: true as const, value })), (error) =>
      isProblem(error) ? Effect.succeed({ ok: false as const, problem: error }) : Effect.fail(error)
    ),
    (result) => (result.ok ? onSuccess(result.value) : context.sendProblem(result.problem))
  )

const queryDocs: Readonly<Record<string, ParamDoc>> = {
  from: { schema: Schema.String, description: "Start of the range: ISO 8601 date or instant, or epoch milliseconds (default: `range` before `to`)" },
  to: { schema: Schema.String, description: "End of the range, exclusive (default: now)" },
  range: { schema: Schema.String, description: "A range ending at `to` instead of `from`: 90m, 24h, 7d, 4w (default 24h)" },
  tz: { schema: Schema.String, description: "IANA time zone of the heatmap, report hours and export times (default UTC)" }
}

const nowOf = (engine: EngineHandle) => engine.nowMs()

const showRoute = (state: AnalyticsState): RouteSpec => ({
  method: "get",
  path: "/v1/profiles/:profile/analytics",
  access: requireScope("analytics:read"),
  doc: {
    operationId: "getAnalytics",
    summary: "A profile's recorded numbers: a series, aggregates and a weekday × hour heatmap",
    description:
      "The series has at most `points` points and always ends with the newest sample; aggregates give average, minimum, peak (with its time) and growth of online and members and the boost trend; the heatmap averages online per local weekday and hour in `tz`. `profiles` adds a comparison on one time axis.",
    tags: ["analytics"],
    pathParams: { profile: profileParam },
    query: {
      ...queryDocs,
      points: { schema: Schema.String, description: `At most this many points in the series, 1–${Analytics.MAX_POINTS} (default ${Analytics.DEFAULT_MAX_POINTS})` },
      profiles: { schema: Schema.String, description: "Other profiles to compare with (comma-separated or repeated)" }
    },
    responses: {
      200: { description: "{profile, fromMs, toMs, timeZone, series, aggregates, heatmap, comparison?}", schema: Json },
      400: { description: "Invalid parameter (field named)", problem: true },
      404: { description: "No such profile (or not visible to this key), or analytics not enabled", problem: true }
    }
  },
  handle: (context) =>
    withAnalytics(context, (engine, analytics) => {
      const key = String(context.req.params["profile"])
      const effect = Effect.gen(function*() {
        const query = yield* Analytics.decodeQuery(context.query(), nowOf(engine))
        yield* readable(context, engine, key)
        const others = query.profiles.filter((p) => p !== key)
        for (const other of others) yield* readable(context, engine, other)
        const range = { fromMs: query.fromMs, toMs: query.toMs }
        const profile = key as ProfileKey
        const [series, aggregates, heatmap, comparison] = yield* Effect.all([
          analytics.series(profile, { ...range, maxPoints: query.maxPoints }),
          analytics.aggregates(profile, range),
          analytics.heatmap(profile, { ...range, timeZone: query.timeZone }),
          others.length === 0 ? Effect.succeed(undefined) : analytics.compare([profile, ...(others as Array<ProfileKey>)], { ...range, maxPoints: query.maxPoints })
        ])
        return {
          profile: key,
          fromMs: query.fromMs,
          toMs: query.toMs,
          timeZone: query.timeZone,
          series,
          aggregates,
          heatmap,
          ...(comparison !== undefined ? { comparison } : {})
        }
      })
      return answer(state, context, "GET /v1/profiles/:profile/analytics", effect, (body) => context.sendJson(200, body))
    })
})

const contentTypes: Record<Analytics.ExportFormat, string> = {
  csv: "text/csv; charset=utf-8",
  json: "application/json; charset=utf-8",
  ndjson: "application/x-ndjson; charset=utf-8"
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)

/**
 * Writes a stream of text to the response: headers with the first chunk, each write waiting for `drain` when
 * the socket's buffer is full, the stream interrupted when the client goes away. A failure before the first
 * chunk is a problem; after it, the connection is cut (the body is incomplete and must not look complete).
 */
const streamTo = (
  state: AnalyticsState,
  context: RouteContext,
  engine: EngineHandle,
  head: () => Effect.Effect<{ readonly headers: Record<string, string>; readonly body: Stream.Stream<string, unknown> }, unknown>
): Promise<void> =>
  new Promise<void>((resolve) => {
    const res = context.res
    let started = false
    const start = (headers: Record<string, string>) => {
      if (started) return
      started = true
      res.writeHead(200, { ...context.headers, ...headers })
    }
    const write = (text: string) =>
      Effect.async<void>((resume) => {
        if (res.destroyed) return resume(Effect.interrupt)
        if (res.write(text)) return resume(Effect.void)
        const done = () => {
          res.off("drain", done)
          res.off("close", done)
          resume(res.destroyed ? Effect.interrupt : Effect.void)
        }
        res.on("drain", done)
        res.on("close", done)
      })
    const program = Effect.flatMap(head(), ({ headers, body }) =>
      Effect.zipRight(
        Stream.runForEach(body, (text) => (text === "" ? Effect.void : Effect.zipRight(Effect.sync(() => start(headers)), write(text)))),
        Effect.sync(() => start(headers))
      )
    )
    const fiber = Runtime.runFork(engine.runtime)(program)
    const onClose = () => {
      if (!res.writableFinished) Effect.runFork(Fiber.interrupt(fiber))
    }
    res.on("close", onClose)
    fiber.addObserver((exit) => {
      res.off("close", onClose)
      if (Exit.isSuccess(exit)) res.end()
      else if (Exit.isInterrupted(exit)) res.destroy()
      else if (res.headersSent) res.destroy()
      else {
        const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
        if (isProblem(failure)) context.sendProblem(failure)
        else {
          const { response, defect } = Problem.fromCause(exit.cause)
          if (defect) state.logDefect("unexpected error while serving GET /v1/profiles/:profile/analytics/export", exit.cause)
          context.sendProblem(response)
        }
      }
      resolve()
    })
  })

const exportRoute = (state: AnalyticsState): RouteSpec => ({
  method: "get",
  path: "/v1/profiles/:profile/analytics/export",
  access: requireScope("analytics:read"),
  doc: {
    operationId: "exportAnalytics",
    summary: "Every recorded sample of a range, streamed as CSV, a JSON array or JSON lines",
    description:
      "Columns: time (ISO 8601 in `tz`, with its offset), profile, span_seconds, samples, state, online/members/boosts with their min and max, presence. A row per recorded sample (or downsampled bucket). The body is streamed a day of samples at a time, so a long range never sits in memory.",
    tags: ["analytics"],
    pathParams: { profile: profileParam },
    query: {
      ...queryDocs,
      format: { schema: Schema.Literal("csv", "json", "ndjson"), description: "csv (default), json (one array) or ndjson (one object a line)" },
      delimiter: { schema: Schema.String, description: "CSV delimiter: , ; | or tab (also comma, semicolon, pipe); default ," }
    },
    responses: {
      200: { description: "The export (Content-Disposition names the file)", contentType: "text/csv" },
      400: { description: "Invalid parameter (field named)", problem: true },
      404: { description: "No such profile (or not visible to this key), or analytics not enabled", problem: true }
    }
  },
  handle: (context) =>
    withAnalytics(context, (engine, analytics) => {
      const key = String(context.req.params["profile"])
      const raw = context.query()
      return streamTo(state, context, engine, () =>
        Effect.gen(function*() {
          const query = yield* Analytics.decodeQuery({ ...raw, format: raw["format"] ?? "csv" }, nowOf(engine))
          yield* readable(context, engine, key)
          const extension = query.format === "csv" ? "csv" : query.format === "json" ? "json" : "ndjson"
          const filename = `guildpulse-${key}-${day(query.fromMs)}-${day(query.toMs)}.${extension}`
          return {
            headers: {
              "Content-Type": contentTypes[query.format],
              "Content-Disposition": `attachment; filename="${filename}"`,
              "X-Content-Type-Options": "nosniff",
              "Cache-Control": "no-store"
            },
            body: analytics.export(key as ProfileKey, {
              fromMs: query.fromMs,
              toMs: query.toMs,
              format: query.format,
              delimiter: query.delimiter,
              timeZone: query.timeZone
            })
          }
        })
      )
    })
})

const reportRoute = (state: AnalyticsState): RouteSpec => ({
  method: "get",
  path: "/v1/analytics/report",
  access: requireScope("analytics:read"),
  doc: {
    operationId: "getAnalyticsReport",
    summary: "A report over every profile this key may read: totals, growth ranking, most active hours",
    tags: ["analytics"],
    query: queryDocs,
    responses: {
      200: { description: "{fromMs, toMs, timeZone, totals, growth, mostActiveHours, profiles}", schema: Json },
      400: { description: "Invalid parameter (field named)", problem: true },
      404: { description: "Analytics not enabled", problem: true }
    }
  },
  handle: (context) =>
    withAnalytics(context, (engine, analytics) => {
      const effect = Effect.gen(function*() {
        const query = yield* Analytics.decodeQuery(context.query(), nowOf(engine))
        const principal = principalOf(context)
        const profiles = (yield* engine.profiles.list).filter((p) => canAccessProfile(principal, p.key))
        return yield* analytics.report(
          profiles.map((p) => ({ key: p.key, label: p.label })),
          { fromMs: query.fromMs, toMs: query.toMs, timeZone: query.timeZone }
        )
      })
      return answer(state, context, "GET /v1/analytics/report", effect, (body) => context.sendJson(200, body))
    })
})

export const analyticsRoutes = (state: AnalyticsState): ReadonlyArray<RouteSpec> => [showRoute(state), exportRoute(state), reportRoute(state)]
