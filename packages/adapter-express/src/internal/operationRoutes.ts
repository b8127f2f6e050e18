/** The operations routes: liveness (`/healthz`), readiness (`/readyz`) and the OpenAPI document. */
import { ProfileKey } from "@guildpulse/core"
import { Cause, Duration, Effect, Exit } from "effect"
import * as Problem from "../Problem.js"
import { publicAccess, type RouteSpec } from "../Routes.js"
import { Health, Ready } from "../Schemas.js"
import { onExit } from "./engine.js"
import { ifNoneMatchHits, send, sendJson } from "./http.js"
import { JSON_TYPE, type PublicState } from "./publicView.js"

/** Liveness: the process answers. */
export const healthzRoute: RouteSpec = {
  method: "get",
  path: "/healthz",
  access: publicAccess,
  engine: false,
  doc: {
    operationId: "getLiveness",
    summary: "Liveness: the process is up",
    tags: ["operations"],
    responses: { 200: { description: "Alive", schema: Health } }
  },
  handle: (context) => sendJson(context.res, 200, { status: "ok" }, { ...context.headers })
}

const READY_PROBE_TIMEOUT = Duration.seconds(2)
/** Read by the readiness probe to see the profile store answer; the answer itself is not looked at. */
const READY_PROBE_KEY = ProfileKey.make("readyz-probe")

export const readyzRoute = (state: PublicState): RouteSpec => ({
  method: "get",
  path: "/readyz",
  access: publicAccess,
  engine: false,
  doc: {
    operationId: "getReadiness",
    summary: "Readiness: engine built, stores reachable, scheduler running",
    tags: ["operations"],
    responses: {
      200: { description: "Ready", schema: Ready },
      503: { description: "Not ready (starting, a store unreachable, or the scheduler stopped)", problem: true, headers: ["Retry-After"] }
    }
  },
  handle: (context) => {
    const engine = context.engine
    if (engine === undefined) return context.sendProblem(Problem.make(503, "not_ready", "The engine is starting.", { headers: { "Retry-After": String(Problem.STORE_RETRY_AFTER_SECONDS) } }))
    if (state.readiness !== undefined) {
      return Effect.runPromise(state.readiness).then((answer) => {
        const headers = { ...context.headers, ...answer.headers }
        send(context.res, answer.status, headers, answer.body)
      })
    }
    const probe = Effect.all([engine.scheduler.status, engine.storeHealth.check, engine.repository.get(READY_PROBE_KEY)]).pipe(Effect.timeout(READY_PROBE_TIMEOUT))
    return onExit(engine.run(probe), (exit) => {
      if (Exit.isSuccess(exit) && exit.value[0].running && exit.value[1].ready) {
        const [status] = exit.value
        return context.sendJson(200, {
          status: "ready",
          scheduler: { running: true, queueDepth: status.queueDepth, deadLetters: status.deadLetters.length }
        })
      }
      if (Exit.isFailure(exit) && Cause.isDie(exit.cause)) state.logDefect("readiness probe failed", exit.cause)
      const detail = Exit.isFailure(exit)
        ? "A store did not answer the readiness probe."
        : exit.value[1].ready
          ? "The refresh scheduler is not running."
          : `The ${exit.value[1].store} store is not ready.`
      context.sendProblem(Problem.make(503, "not_ready", detail, { headers: { "Retry-After": String(Problem.STORE_RETRY_AFTER_SECONDS) } }))
    })
  }
})

export const openApiRoute = (state: PublicState): RouteSpec => ({
  method: "get",
  path: "/openapi.json",
  access: publicAccess,
  engine: false,
  doc: {
    operationId: "getOpenApi",
    summary: "This document (OpenAPI 3.1, generated from the engine's schemas)",
    tags: ["operations"],
    responses: { 200: { description: "OpenAPI 3.1 document", contentType: "application/json", headers: ["ETag"] } }
  },
  handle: (context) => {
    const document = state.openApi(context.basePath)
    const headers = context.headers
    headers["Content-Type"] = JSON_TYPE
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cache-Control"] = "public, max-age=300"
    headers["ETag"] = document.etag
    if (ifNoneMatchHits(context.req.headers["if-none-match"], document.etag)) return send(context.res, 304, headers, undefined)
    send(context.res, 200, headers, document.body)
  }
})

