/**
 * The OpenAPI 3.1 document of the router, generated from the route specs: paths and operations from the
 * routes, parameters and bodies from the same effect Schemas that decode them, components from the named
 * schemas (`JSONSchema.fromAST` with OpenAPI 3.1 as the target). Nothing here is written by hand twice.
 */
import { JSONSchema, Option, Schema, SchemaAST as AST } from "effect"
import { Problem } from "./Problem.js"
import { openApiPath, type ParamDoc, type ResponseDoc, type RouteSpec, type StandardHeader } from "./Routes.js"

export interface OpenApiInfo {
  readonly title?: string
  readonly version?: string
  readonly description?: string
  /** The server URL (where the router is mounted). */
  readonly serverUrl?: string
}

type Json = Record<string, unknown>

const headerDocs: Record<StandardHeader, Json> = {
  ETag: { description: "Strong entity tag of the body (a quoted version for profiles)", schema: { type: "string" } },
  "Cache-Control": { description: "Caching directives (public views: max-age until expiry, stale-while-revalidate)", schema: { type: "string" } },
  "Retry-After": { description: "Seconds to wait before retrying", schema: { type: "integer", minimum: 0 } },
  "WWW-Authenticate": { description: "Bearer challenge", schema: { type: "string" } },
  Location: { description: "URL of the created resource", schema: { type: "string" } },
  Allow: { description: "Methods this path supports", schema: { type: "string" } },
  Link: { description: "Pagination link (rel=\"next\")", schema: { type: "string" } },
  "Content-Security-Policy": { description: "Content security policy of the HTML", schema: { type: "string" } }
}

export const generate = (routes: ReadonlyArray<RouteSpec>, info: OpenApiInfo = {}): Json => {
  const definitions: Record<string, JSONSchema.JsonSchema7> = {}
  // Request bodies are documented on their encoded side (what a client sends), keeping refinements and name.
  const requestSide = (schema: Schema.Schema.Any): AST.AST => {
    const encoded = Schema.encodedBoundSchema(schema)
    const identifier = AST.getIdentifierAnnotation(schema.ast)
    return Option.isSome(identifier) ? encoded.annotations({ identifier: identifier.value }).ast : encoded.ast
  }
  const schemaOf = (schema: Schema.Schema.Any, mode: "request" | "response"): Json =>
    JSONSchema.fromAST(mode === "request" ? requestSide(schema) : schema.ast, {
      definitions,
      definitionPath: "#/components/schemas/",
      target: "openApi3.1",
      // Clients must tolerate fields added later; requests are strict (unknown fields are refused).
      additionalPropertiesStrategy: mode === "response" ? "allow" : "strict"
    }) as unknown as Json
  const problemRef = schemaOf(Problem, "response")
  const paramSchema = (param: ParamDoc): Json => schemaOf(Schema.typeSchema(param.schema), "response")

  const problemResponse = (description: string, headers: ReadonlyArray<StandardHeader> = []): Json => ({
    description,
    ...(headers.length > 0 ? { headers: Object.fromEntries(headers.map((h) => [h, { $ref: `#/components/headers/${h}` }])) } : {}),
    content: { "application/problem+json": { schema: problemRef } }
  })

  const responseOf = (doc: ResponseDoc): Json => {
    if (doc.problem === true) return problemResponse(doc.description, doc.headers)
    const content =
      doc.schema !== undefined
        ? { "application/json": { schema: schemaOf(doc.schema, "response") } }
        : doc.contentType !== undefined
        ? { [doc.contentType]: { schema: { type: "string" } } }
        : undefined
    return {
      description: doc.description,
      ...(doc.headers !== undefined && doc.headers.length > 0
        ? { headers: Object.fromEntries(doc.headers.map((h) => [h, { $ref: `#/components/headers/${h}` }])) }
        : {}),
      ...(content !== undefined ? { content } : {})
    }
  }

  const paths: Record<string, Record<string, Json>> = {}
  for (const route of routes) {
    const doc = route.doc
    const parameters: Array<Json> = []
    for (const [name, param] of Object.entries(doc.pathParams ?? {})) {
      parameters.push({ name, in: "path", required: true, description: param.description, schema: paramSchema(param) })
    }
    for (const [name, param] of Object.entries(doc.query ?? {})) {
      parameters.push({ name, in: "query", required: param.required === true, description: param.description, schema: paramSchema(param) })
    }
    for (const [name, param] of Object.entries(doc.headers ?? {})) {
      parameters.push({ name, in: "header", required: param.required === true, description: param.description, schema: paramSchema(param) })
    }
    const responses: Record<string, Json> = {}
    for (const [status, response] of Object.entries(doc.responses)) responses[status] = responseOf(response)
    if (route.access.kind === "scope") {
      responses["401"] ??= problemResponse("Missing or invalid bearer key", ["WWW-Authenticate"])
      responses["403"] ??= problemResponse(`The key lacks the '${route.access.scope}' scope`)
    }
    if (doc.rateLimited === true) {
      responses["429"] ??= problemResponse("Over the per-client budget and the answer would need a call to Discord (cached answers are always served)", ["Retry-After"])
    }
    if (route.engine !== false) responses["503"] ??= problemResponse("A store is unavailable or the engine is starting", ["Retry-After"])
    responses["500"] ??= problemResponse("Unexpected error (logged; no details are disclosed)")

    const operation: Json = {
      operationId: doc.operationId,
      summary: doc.summary,
      ...(doc.description !== undefined ? { description: doc.description } : {}),
      ...(doc.tags !== undefined ? { tags: doc.tags } : {}),
      security: route.access.kind === "scope" ? [{ bearer: [] }] : [],
      ...(route.access.kind === "scope" ? { "x-required-scope": route.access.scope } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(doc.requestBody !== undefined
        ? {
            requestBody: {
              required: true,
              ...(doc.requestBody.description !== undefined ? { description: doc.requestBody.description } : {}),
              content: Object.fromEntries(
                (doc.requestBody.contentTypes ?? ["application/json"]).map((type) => [type, { schema: schemaOf(doc.requestBody!.schema, "request") }])
              )
            }
          }
        : {}),
      responses
    }
    const path = openApiPath(route.path)
    paths[path] = { ...(paths[path] ?? {}), [route.method]: operation }
  }

  return {
    openapi: "3.1.0",
    info: {
      title: info.title ?? "GuildPulse API",
      version: info.version ?? "1",
      description:
        info.description ??
        "Live Discord server numbers. Errors are RFC 9457 application/problem+json; upstream trouble is a freshness state of the view, never an error."
    },
    ...(info.serverUrl !== undefined ? { servers: [{ url: info.serverUrl }] } : {}),
    tags: [
      { name: "public", description: "Public, cacheable, rate-limited per client (cached answers are never refused)" },
      { name: "assets", description: "Static assets of the widget" },
      { name: "operations", description: "Health, readiness, this document" },
      { name: "profiles", description: "Profiles (bearer key with scopes)" },
      { name: "events", description: "The event log (bearer key with events:read)" }
    ],
    paths,
    components: {
      schemas: definitions,
      headers: headerDocs,
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "The bootstrap admin key (GUILDPULSE_ADMIN_KEY), or an API key gp_<id>_<secret> with scopes"
        }
      }
    }
  }
}
