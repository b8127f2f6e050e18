/**
 * The operator routes of `@guildpulse/observability`, served through the router's pipeline (API-key check,
 * scopes, problems, OpenAPI): `GET /metrics` (metrics:read), `GET /v1/health` (health:read),
 * `GET|PUT /v1/alerts/rules` and `POST /v1/alerts/test` (alerts:write). A key limited to some profiles sees
 * nothing of the others. Pass them as `extraRoutes: ObservabilityRoutes.routes(http)`, and `readiness:
 * http.readiness` to answer `/readyz` from the health model.
 */
import type { ObservabilityHttp } from "@guildpulse/observability"
import { Effect, Exit, Schema } from "effect"
import type { Principal } from "./Authenticator.js"
import * as Problem from "./Problem.js"
import { requireScope, type RouteContext, type RouteSpec } from "./Routes.js"
import { readJsonBody, send, type Headers } from "./internal/http.js"

export type ObservabilityHandlers = ObservabilityHttp.ObservabilityHttp["Type"]
export type HttpAnswer = ObservabilityHttp.HttpAnswer

/** Writes a framework-free answer, keeping the pipeline's headers (CORS, Vary). */
export const sendAnswer = (context: RouteContext, answer: HttpAnswer): void => {
  const headers: Headers = { ...context.headers }
  for (const [name, value] of Object.entries(answer.headers)) headers[name] = value
  send(context.res, answer.status, headers, answer.body)
}

const accessOf = (principal: Principal | undefined) => ({ profiles: principal?.profiles ?? ("*" as const) })

interface Issues {
  readonly issues: ReadonlyArray<{ readonly field: string; readonly message: string }>
}

const answer = <E extends Issues>(context: RouteContext, effect: Effect.Effect<HttpAnswer, E>) =>
  Effect.runPromiseExit(effect).then((exit) => {
    if (Exit.isSuccess(exit)) return sendAnswer(context, exit.value)
    const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
    if (failure !== undefined) return context.sendProblem(Problem.invalid(failure.issues))
    context.sendProblem(Problem.internal())
  })

const withBody = async (context: RouteContext, limitBytes: number, f: (body: unknown) => Promise<void>) => {
  const body = await readJsonBody(context.req, limitBytes)
  if (body._tag === "problem") return context.sendProblem(body.response)
  return f(body.value)
}

const Json = Schema.Unknown

/** Alert rules span every profile: a key limited to some profiles may neither read nor change them. */
const unrestricted = (context: RouteContext, f: () => void | Promise<void>) =>
  context.principal !== undefined && context.principal.profiles !== "*"
    ? context.sendProblem(Problem.forbidden("Alert rules cover every profile; this key is limited to some profiles."))
    : f()

const bodyOf = (answer: HttpAnswer): unknown => {
  try {
    return JSON.parse(typeof answer.body === "string" ? answer.body : String(answer.body))
  } catch {
    return undefined
  }
}

/** Replaces the rules and records the change (before and after) in the audit log. */
const putRulesAudited = <E extends Issues>(context: RouteContext, http: ObservabilityHandlers, put: Effect.Effect<HttpAnswer, E>) =>
  Effect.gen(function*() {
    const before = yield* http.getAlertRules
    const answer = yield* put
    if (answer.status < 300) {
      yield* Effect.promise(() => Promise.resolve(context.run(context.audit({ action: "alerts.rules.put", before: bodyOf(before), after: bodyOf(answer) }))))
    }
    return answer
  })

export interface ObservabilityRoutesOptions {
  /** Largest JSON body of the alert routes (default 64 KiB). */
  readonly bodyLimitBytes?: number
}

export const routes = (http: ObservabilityHandlers, options: ObservabilityRoutesOptions = {}): ReadonlyArray<RouteSpec> => {
  const limit = options.bodyLimitBytes ?? 64 * 1024
  const specs: ReadonlyArray<RouteSpec> = [
    {
      method: "get",
      path: "/metrics",
      access: requireScope("metrics:read"),
      engine: false,
      doc: {
        operationId: "getMetrics",
        summary: "Prometheus metrics (text exposition format)",
        tags: ["operations"],
        responses: { 200: { description: "Metrics of every profile the key may see", contentType: "text/plain; version=0.0.4" } }
      },
      handle: (context) => answer(context, http.metrics(accessOf(context.principal)))
    },
    {
      method: "get",
      path: "/v1/health",
      access: requireScope("health:read"),
      engine: false,
      doc: {
        operationId: "getHealth",
        summary: "Health per profile: freshness, circuits, error rates, latency, headroom, queue, dead letters, token",
        tags: ["operations"],
        responses: { 200: { description: "Health report (status inside the body)", schema: Json } }
      },
      handle: (context) => answer(context, http.health(accessOf(context.principal)))
    },
    {
      method: "get",
      path: "/v1/alerts/rules",
      access: requireScope("alerts:write"),
      engine: false,
      doc: {
        operationId: "getAlertRules",
        summary: "Alert rules and per-profile thresholds",
        tags: ["alerts"],
        responses: { 200: { description: "The rules", schema: Json } }
      },
      handle: (context) => unrestricted(context, () => answer(context, http.getAlertRules))
    },
    {
      method: "put",
      path: "/v1/alerts/rules",
      access: requireScope("alerts:write"),
      engine: false,
      doc: {
        operationId: "putAlertRules",
        summary: "Replace the alert rules",
        tags: ["alerts"],
        requestBody: { schema: Json },
        responses: { 200: { description: "The stored rules", schema: Json }, 400: { description: "Invalid rules (fields named)", problem: true } }
      },
      handle: (context) => unrestricted(context, () => withBody(context, limit, (body) => answer(context, putRulesAudited(context, http, http.putAlertRules(body)))))
    },
    {
      method: "post",
      path: "/v1/alerts/test",
      access: requireScope("alerts:write"),
      engine: false,
      doc: {
        operationId: "testAlert",
        summary: "Send a test notification through the configured channels",
        tags: ["alerts"],
        requestBody: { schema: Json },
        responses: { 200: { description: "Delivery results per channel", schema: Json }, 400: { description: "Invalid request (fields named)", problem: true } }
      },
      handle: (context) => unrestricted(context, () => withBody(context, limit, (body) => answer(context, http.testAlert(body))))
    }
  ]
  return specs
}
