/**
 * The request pipeline every route goes through: wait for the engine (or 503), CORS headers, bearer
 * authentication and scope check, the handler, and a last line of defence that turns any throw or rejection
 * into a logged 500 problem. Also the per-path fallbacks: OPTIONS (preflight) and 405 with `Allow`.
 */
import type { NextFunction, Request, Response, Router } from "express"
import { AuditLog, type ProfileKey, ProfileRepository, Redaction, SecretVault } from "@guildpulse/core"
import { Cause, Clock, Effect, Option, Runtime } from "effect"
import { hasScope, parseBearer, type Authenticator, type Principal } from "../Authenticator.js"
import type { Cors } from "../Cors.js"
import * as Problem from "../Problem.js"
import type { RouteContext, RouteSpec } from "../Routes.js"
import type { EngineHandle } from "./engine.js"
import { onExit } from "./engine.js"
import { parseQuery, send, sendJson, sendProblem, type Headers, type Query } from "./http.js"

export interface EngineState {
  current: EngineHandle | undefined
  failure: unknown
  readonly startupWaitMs: number
  readonly ready: Promise<EngineHandle | undefined>
}

export interface Pipeline {
  readonly engine: EngineState
  readonly cors: Cors
  readonly authenticator: Authenticator
  readonly logDefect: (what: string, defect: unknown) => void
  /** Where admin changes are recorded (none: not recorded). */
  readonly audit?: AuditLog.AuditLog["Type"] | undefined
}

/**
 * The secrets the engine holds: the bot token of every profile, as plain strings for the redaction guard
 * (a token need not look like a Discord token to be one). Nothing when a store cannot answer.
 */
export const engineSecrets: Effect.Effect<ReadonlyArray<string>, never, ProfileRepository.ProfileRepository | SecretVault.SecretVault> =
  Effect.gen(function* () {
    const repository = yield* ProfileRepository.ProfileRepository
    const vault = yield* SecretVault.SecretVault
    const profiles = yield* repository.list
    const tokens = yield* Effect.forEach(profiles, (profile) => vault.get(profile.key), { concurrency: 8 })
    return Redaction.secretsOf(tokens.flatMap(Option.toArray))
  }).pipe(Effect.orElseSucceed((): ReadonlyArray<string> => []))

/**
 * Logs an unexpected failure, through the engine's logger when it is up (so the host's logger layer applies),
 * else stderr. The cause is rendered to text and passed through the redaction guard first, with the given
 * secrets (the admin key) and the engine's bot tokens: an error message may quote a header or a token, and
 * secrets never reach the logs.
 */
export const makeLogDefect = (engine: EngineState, secrets: () => ReadonlyArray<string> = () => []) => (what: string, defect: unknown) => {
  const cause = Cause.isCause(defect) ? defect : Cause.die(defect)
  const pretty = Cause.pretty(cause)
  const current = engine.current
  if (current !== undefined) {
    Runtime.runFork(current.runtime)(
      engineSecrets.pipe(
        Effect.flatMap((tokens) => Effect.logError(what, Redaction.redactText(pretty, [...secrets(), ...tokens]))),
        Effect.annotateLogs("component", "adapter-express")
      )
    )
  } else {
    console.error(`[guildpulse/adapter-express] ${what}\n${Redaction.redactText(pretty, secrets())}`)
  }
}

const upper = (method: string) => method.toUpperCase()

/** The client address of a request (honours the app's `trust proxy`), at most 64 characters. */
const clientIp = (req: Request): string | undefined => {
  const ip = req.ip ?? req.socket.remoteAddress
  return ip === undefined ? undefined : ip.slice(0, 64)
}

/** Whether an `Authorization` header uses the Bearer scheme (GuildPulse keys); other schemes are not ours. */
export const isBearerScheme = (header: string | undefined): boolean => header !== undefined && /^bearer(?:\s|$)/i.test(header.trimStart())

const methodOrder = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

export const allowList = (methods: ReadonlyArray<string>): ReadonlyArray<string> => {
  const set = new Set(methods.map(upper))
  if (set.has("GET")) set.add("HEAD")
  set.add("OPTIONS")
  return [...set].sort((a, b) => methodOrder.indexOf(a) - methodOrder.indexOf(b))
}

const notReady = (pipeline: Pipeline) =>
  Problem.unavailable(
    pipeline.engine.failure !== undefined ? "The engine failed to start." : "The engine is starting; retry shortly.",
    Problem.STORE_RETRY_AFTER_SECONDS
  )

/** Registers one route through the pipeline. */
export const register = (router: Router, spec: RouteSpec, pipeline: Pipeline): void => {
  const admin = spec.access.kind !== "public"
  const where = `${upper(spec.method)} ${spec.path}`

  const invoke = (req: Request, res: Response, engine: EngineHandle | undefined, principal: Principal | undefined, headers: Headers) => {
    let query: Query | undefined
    const context: RouteContext = {
      req,
      res,
      engine,
      principal,
      headers,
      basePath: req.baseUrl,
      query: () => (query ??= parseQuery(req.url)),
      sendProblem: (problem) => sendProblem(res, problem, headers),
      sendJson: (status, value, extra) => sendJson(res, status, value, { ...headers, ...extra }),
      audit: (change) => {
        const log = pipeline.audit
        if (log === undefined) return Effect.void
        return Clock.currentTimeMillis.pipe(
          Effect.flatMap((atMs) =>
            log.append({
              atMs,
              keyId: principal?.subject ?? "anonymous",
              action: change.action,
              ...(change.profile !== undefined ? { profile: change.profile as ProfileKey } : {}),
              ...(clientIp(req) !== undefined ? { ip: clientIp(req) } : {}),
              ...(change.before !== undefined ? { before: AuditLog.withoutSecrets(change.before) } : {}),
              ...(change.after !== undefined ? { after: AuditLog.withoutSecrets(change.after) } : {})
            })
          ),
          Effect.catchAllCause((cause) => Effect.sync(() => pipeline.logDefect(`the audit entry of ${change.action} could not be recorded`, cause)))
        ) as Effect.Effect<void>
      },
      run: (effect) => {
        if (engine === undefined) throw new Error("engine not ready")
        return engine.run(effect)
      }
    }
    try {
      const result = spec.handle(context)
      if (result !== undefined) result.catch((defect: unknown) => fail(res, headers, defect))
    } catch (defect) {
      fail(res, headers, defect)
    }
  }

  const fail = (res: Response, headers: Headers, defect: unknown) => {
    pipeline.logDefect(`unexpected error while serving ${where}`, defect)
    sendProblem(res, Problem.internal(), headers)
  }

  const authorized = (req: Request, res: Response, engine: EngineHandle, principal: Principal, headers: Headers) => {
    if (spec.access.kind === "scope" && !hasScope(principal, spec.access.scope)) {
      return sendProblem(res, Problem.forbidden(`This key lacks the '${spec.access.scope}' scope.`), headers)
    }
    return invoke(req, res, engine, principal, headers)
  }

  const authorize = (req: Request, res: Response, engine: EngineHandle | undefined, headers: Headers) => {
    // Public routes that do not need the engine (health, assets, the document) ignore credentials entirely.
    if (!admin && spec.engine === false) return invoke(req, res, engine, undefined, headers)
    const authorization = req.headers.authorization
    // Public routes only look at GuildPulse's own scheme: a site behind HTTP Basic (or any other) auth sends
    // its credentials along with every request, and its widget must keep working.
    if (!admin && !isBearerScheme(authorization)) return invoke(req, res, engine, undefined, headers)
    const credential = parseBearer(authorization)
    if (credential === null) return sendProblem(res, Problem.unauthorized("invalid_credentials"), headers)
    if (credential === undefined) {
      if (admin) return sendProblem(res, Problem.unauthorized("missing_credentials"), headers)
      return invoke(req, res, engine, undefined, headers)
    }
    if (engine === undefined) return sendProblem(res, notReady(pipeline), headers)
    // Hot path: a credential recognised from memory (a cached key) runs no effect and allocates no closure.
    const known = pipeline.authenticator.authenticateSync?.(credential, engine.nowMs())
    if (known !== undefined) return authorized(req, res, engine, known, headers)
    const result = onExit(engine.run(pipeline.authenticator.authenticate(credential)), (exit) => {
      if (exit._tag === "Failure") {
        const { response, defect } = Problem.fromCause(exit.cause)
        if (defect) pipeline.logDefect(`authentication failed unexpectedly for ${where}`, exit.cause)
        return sendProblem(res, response, headers)
      }
      return authorized(req, res, engine, exit.value, headers)
    })
    if (result !== undefined) result.catch((defect: unknown) => fail(res, headers, defect))
  }

  const handler = (req: Request, res: Response) => {
    const headers: Headers = {}
    pipeline.cors.apply(headers, req.headers.origin, admin)
    const engine = pipeline.engine.current
    if (engine !== undefined || spec.engine === false) return authorize(req, res, engine, headers)
    if (pipeline.engine.failure !== undefined) return sendProblem(res, notReady(pipeline), headers)
    // Early requests wait for the engine, but not forever.
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), pipeline.engine.startupWaitMs)
    })
    Promise.race([pipeline.engine.ready, timeout]).then(
      (ready) => {
        clearTimeout(timer)
        return ready !== undefined ? authorize(req, res, ready, headers) : sendProblem(res, notReady(pipeline), headers)
      },
      (defect: unknown) => fail(res, headers, defect)
    )
  }

  router[spec.method](spec.path, handler)
}

/** OPTIONS (CORS preflight or plain `Allow`) and 405 for a path, registered after the path's routes. */
export const registerFallback = (router: Router, path: string, specs: ReadonlyArray<RouteSpec>, pipeline: Pipeline): void => {
  const allow = allowList(specs.map((s) => s.method))
  const admin = specs.every((s) => s.access.kind !== "public")
  router.all(path, (req: Request, res: Response) => {
    if (req.method === "OPTIONS") {
      const cors = req.headers["access-control-request-method"] !== undefined
        ? pipeline.cors.preflight(req.headers.origin, admin, allow)
        : undefined
      return send(res, 204, { Allow: allow.join(", "), ...(cors ?? {}) }, undefined)
    }
    const headers: Headers = {}
    pipeline.cors.apply(headers, req.headers.origin, admin)
    sendProblem(res, Problem.methodNotAllowed(req.method, allow), headers)
  })
}

/** 404 problem for unknown paths under the API namespace; everything else falls through to the host app. */
export const notFoundUnder = (prefixes: ReadonlyArray<string>) => (req: Request, res: Response, next: NextFunction) => {
  const path = req.path
  if (prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) {
    return sendProblem(res, Problem.notFound(`No route for ${req.method.slice(0, 16)} ${path.slice(0, 200)}.`))
  }
  next()
}

/** Errors Express raised inside the router (e.g. a malformed percent-encoding in a path). */
export const errorHandler = (pipeline: Pipeline) => (error: unknown, req: Request, res: Response, next: NextFunction) => {
  if (res.headersSent) return next(error)
  const status = typeof error === "object" && error !== null ? (error as { status?: unknown }).status : undefined
  if (typeof status === "number" && status >= 400 && status < 500) {
    return sendProblem(res, status === 400 ? Problem.invalidField("path", "is not a valid URL path") : Problem.make(status, "bad_request", "The request could not be processed."))
  }
  pipeline.logDefect(`unexpected error while serving ${req.method} ${req.path.slice(0, 200)}`, error)
  sendProblem(res, Problem.internal())
}

