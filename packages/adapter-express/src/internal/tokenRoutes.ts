/**
 * Bot tokens (`tokens:write`): `PUT /v1/profiles/{profile}/token` (body `{"token": "…"}`; checked with Discord
 * before it is stored sealed), `DELETE` the same path, `POST …/token/validate` (check the stored token again),
 * and `POST /v1/tokens/reencrypt` (re-seal every token under the active key; a key limited to some profiles may
 * not). Answers carry the token metadata only — never the token, not even in a refusal.
 */
import { type Tokens, TokenMetadata } from "@guildpulse/core"
import { Effect, Redacted, Schema } from "effect"
import { canAccessProfile } from "../Authenticator.js"
import * as Problem from "../Problem.js"
import { requireScope, type RouteContext, type RouteSpec } from "../Routes.js"
import { runThen } from "./runRoute.js"
import { readJsonBody } from "./http.js"
import { invalidProfileKey, isProfileKey, profileParam } from "./publicView.js"

export interface TokenState {
  readonly tokens: Tokens.Tokens["Type"]
  readonly bodyLimitBytes: number
  readonly invalidate: (profile: string) => void
  readonly logDefect: (what: string, defect: unknown) => void
}

const TokenBody = Schema.Struct({ token: Schema.String })
const TokenAnswer = Schema.Struct({ profile: Schema.String, token: TokenMetadata })
const ReencryptAnswer = Schema.Struct({ rewritten: Schema.Number, unchanged: Schema.Number, unreadable: Schema.Array(Schema.String) })


/** The profile in the path, when the caller may change it; else answers the problem and returns undefined. */
const target = (context: RouteContext): string | undefined => {
  const key = context.req.params["profile"]
  if (!isProfileKey(key)) {
    context.sendProblem(invalidProfileKey(String(key)))
    return undefined
  }
  if (context.principal === undefined || !canAccessProfile(context.principal, key)) {
    context.sendProblem(Problem.profileNotFound(key))
    return undefined
  }
  return key
}

const answer = (state: TokenState, context: RouteContext, key: string) => (token: TokenMetadata) => {
  state.invalidate(key)
  context.sendJson(200, { profile: key, token })
}

const common = { 400: { description: "Invalid profile key or body", problem: true }, 404: { description: "No such profile", problem: true } } as const

const putToken = (state: TokenState): RouteSpec => ({
  method: "put",
  path: "/v1/profiles/:profile/token",
  access: requireScope("tokens:write"),
  doc: {
    operationId: "setToken",
    summary: "Set the profile's bot token: checked with Discord (bot user, bot in the guild), then stored encrypted",
    tags: ["tokens"],
    pathParams: { profile: profileParam },
    requestBody: { schema: TokenBody, contentTypes: ["application/json"] },
    responses: {
      200: { description: "Stored; the token's metadata (never the token)", schema: TokenAnswer },
      ...common,
      422: { description: "Discord refused the token: code invalid_token, not_a_bot or bot_not_in_guild", problem: true },
      503: { description: "Discord could not be asked; nothing stored", problem: true }
    }
  },
  handle: async (context) => {
    const key = target(context)
    if (key === undefined) return
    const body = await readJsonBody(context.req, state.bodyLimitBytes)
    if (body._tag === "problem") {
      if (body.closeConnection) context.res.setHeader("Connection", "close")
      return context.sendProblem(body.response)
    }
    const value = body.value
    const text = typeof value === "object" && value !== null && "token" in value ? (value as { token: unknown }).token : undefined
    if (typeof text !== "string") return context.sendProblem(Problem.invalidField("token", "is required: a string, the bot token"))
    return runThen(
      state,
      context,
      "PUT /v1/profiles/:profile/token",
      Effect.tap(state.tokens.set(key, Redacted.make(text)), (token) =>
        context.audit({ action: "token.set", profile: key, after: { present: token.present, status: token.status, rotatedAt: token.rotatedAt } })),
      answer(state, context, key)
    )
  }
})

const deleteToken = (state: TokenState): RouteSpec => ({
  method: "delete",
  path: "/v1/profiles/:profile/token",
  access: requireScope("tokens:write"),
  doc: {
    operationId: "removeToken",
    summary: "Remove the profile's bot token",
    tags: ["tokens"],
    pathParams: { profile: profileParam },
    responses: { 200: { description: "Removed; the metadata now says missing", schema: TokenAnswer }, ...common }
  },
  handle: (context) => {
    const key = target(context)
    if (key === undefined) return
    return runThen(
      state,
      context,
      "DELETE /v1/profiles/:profile/token",
      Effect.tap(state.tokens.remove(key), () => context.audit({ action: "token.removed", profile: key })),
      answer(state, context, key)
    )
  }
})

const validateToken = (state: TokenState): RouteSpec => ({
  method: "post",
  path: "/v1/profiles/:profile/token/validate",
  access: requireScope("tokens:write"),
  doc: {
    operationId: "validateToken",
    summary: "Check the stored bot token with Discord again and record the outcome",
    tags: ["tokens"],
    pathParams: { profile: profileParam },
    responses: {
      200: { description: "The recorded metadata (status valid, invalid with problem, or missing)", schema: TokenAnswer },
      ...common,
      503: { description: "Discord could not be asked; nothing changed", problem: true }
    }
  },
  handle: (context) => {
    const key = target(context)
    if (key === undefined) return
    return runThen(state, context, "POST /v1/profiles/:profile/token/validate", state.tokens.validate(key), answer(state, context, key))
  }
})

const reencrypt = (state: TokenState): RouteSpec => ({
  method: "post",
  path: "/v1/tokens/reencrypt",
  access: requireScope("tokens:write"),
  doc: {
    operationId: "reencryptTokens",
    summary: "Re-seal every stored token under the active key of GUILDPULSE_MASTER_KEYS (after a key rotation)",
    tags: ["tokens"],
    responses: {
      200: { description: "How many were rewritten, already current, or unreadable (key missing)", schema: ReencryptAnswer },
      403: { description: "A key limited to some profiles may not re-encrypt every token", problem: true }
    }
  },
  handle: (context) => {
    if (context.principal?.profiles !== "*") {
      return context.sendProblem(Problem.forbidden("re-encrypting touches every profile's token; use a key not limited to some profiles"))
    }
    return runThen(
      state,
      context,
      "POST /v1/tokens/reencrypt",
      Effect.tap(state.tokens.reencrypt, (report) => context.audit({ action: "tokens.reencrypt", after: { ...report } })),
      (report) => context.sendJson(200, report)
    )
  }
})

export const tokenRoutes = (state: TokenState): ReadonlyArray<RouteSpec> => [putToken(state), deleteToken(state), validateToken(state), reencrypt(state)]
