/**
 * Routes as data: each `RouteSpec` carries its method, path, access rule (public, or a scope), its documentation
 * (parameters, body and responses as effect Schemas — the OpenAPI document is generated from them) and its
 * handler. The router registers built-in specs and any `extraRoutes` (e.g. `/metrics`, `/v1/health` from the
 * observability package) through the same pipeline: CORS, authentication, scope check, 405/OPTIONS, problems.
 */
import type { Request, Response } from "express"
import type { Effect, Exit, Schema } from "effect"
import type { Engine } from "@guildpulse/core"
import type { Principal, Scope } from "./Authenticator.js"
import type { EngineHandle } from "./internal/engine.js"
import type { Headers, Query } from "./internal/http.js"
import type { ProblemResponse } from "./Problem.js"

export type Method = "get" | "put" | "patch" | "post" | "delete"

export type Access =
  | { readonly kind: "public" }
  | { readonly kind: "scope"; readonly scope: Scope | (string & {}) }

export const publicAccess: Access = { kind: "public" }
export const requireScope = (scope: Scope | (string & {})): Access => ({ kind: "scope", scope })

/** A documented parameter; `schema` decodes the wire form (a string) and its type side documents it. */
export interface ParamDoc {
  readonly schema: Schema.Schema.Any
  readonly description: string
  readonly required?: boolean
}

export type StandardHeader = "ETag" | "Cache-Control" | "Retry-After" | "WWW-Authenticate" | "Location" | "Allow" | "Link" | "Content-Security-Policy"

export interface ResponseDoc {
  readonly description: string
  /** A JSON schema of the body (`application/json`, or `application/problem+json` with `problem: true`). */
  readonly schema?: Schema.Schema.Any
  readonly problem?: boolean
  /** Non-JSON bodies: the media type (the body is documented as a string). */
  readonly contentType?: string
  readonly headers?: ReadonlyArray<StandardHeader>
}

export interface RouteDoc {
  readonly operationId: string
  readonly summary: string
  readonly description?: string
  readonly tags?: ReadonlyArray<string>
  readonly pathParams?: Readonly<Record<string, ParamDoc>>
  readonly query?: Readonly<Record<string, ParamDoc>>
  readonly headers?: Readonly<Record<string, ParamDoc>>
  readonly requestBody?: { readonly schema: Schema.Schema.Any; readonly contentTypes?: ReadonlyArray<string>; readonly description?: string }
  readonly responses: Readonly<Record<number, ResponseDoc>>
  /** The route may answer 429 (public rate limit). */
  readonly rateLimited?: boolean
}

export interface RouteContext {
  readonly req: Request
  readonly res: Response
  /**
   * The engine (services of the one `ManagedRuntime`). Always present for routes that need it (the pipeline
   * waits for the runtime, or answers 503); possibly absent for routes declared with `engine: false`.
   */
  readonly engine: EngineHandle | undefined
  /** The authenticated caller, if an `Authorization` header was sent (always set on scoped routes). */
  readonly principal: Principal | undefined
  /** The query, parsed the same way under Express 4 and 5 (repeated parameters become arrays). */
  readonly query: () => Query
  /** Response headers prepared by the pipeline (CORS, `Vary`); pass them to the send helpers. */
  readonly headers: Headers
  /** Where the router is mounted (`req.baseUrl`), for building links. */
  readonly basePath: string
  readonly sendProblem: (problem: ProblemResponse) => void
  readonly sendJson: (status: number, value: unknown, headers?: Headers) => void
  /**
   * Records an administrative change in the audit log (who: the principal's subject; from where: the client
   * address; secrets removed from before/after). Does nothing when the router has no `governance`; a failure
   * to record is logged, not turned into an error of a change already made.
   */
  readonly audit: (entry: AuditChange) => Effect.Effect<void>
  /** Runs an effect on the engine and continues with its exit; failures of the effect map to problems by the caller. */
  readonly run: <A, E>(effect: Effect.Effect<A, E, Engine.Services>) => Exit.Exit<A, E> | Promise<Exit.Exit<A, E>>
}

export interface AuditChange {
  /** `<entity>.<verb>`, e.g. `profile.update`, `key.revoke`, `alerts.rules.put`. */
  readonly action: string
  readonly profile?: string | undefined
  readonly before?: unknown
  readonly after?: unknown
}

export interface RouteSpec {
  readonly method: Method
  /** An Express path with `:name` parameters only (valid under Express 4 and 5). */
  readonly path: string
  readonly access: Access
  readonly doc: RouteDoc
  /** Set to false for routes that must answer before the engine is built (health, static assets). */
  readonly engine?: boolean
  readonly handle: (context: RouteContext) => void | Promise<void>
}

/** `/v1/profiles/:profile` → `/v1/profiles/{profile}` */
export const openApiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")
