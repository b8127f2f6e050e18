/**
 * The connector's HTTP client for Discord's API: `@effect/platform`'s `HttpClient` with the API base and
 * version, Discord's `User-Agent`, `Authorization: Bot <token>` built from a `Redacted` at send time, a
 * per-attempt timeout, the `RateLimiter` around every send, schema decoding and failure classification.
 *
 * One call is one attempt: retry, the circuit breaker and the overall attempt budget belong to core's
 * `Refresher`. Each call runs in a `discord.request` span (the platform's `http.client` span inside it
 * redacts the Authorization header) and emits an `upstream.attempt` event with the bucket state.
 */
import { HttpClient, HttpClientRequest, Headers } from "@effect/platform"
import type { HttpClientError } from "@effect/platform"
import { Clock, Context, Effect, Either, Exit, Fiber, FiberId, FiberRef, Layer, Redacted } from "effect"
import type { Schema } from "effect"
import { UpstreamError } from "@guildpulse/core"
import type { SourceName } from "@guildpulse/core"
import { API_VERSION, DiscordConfig, type DiscordOptions } from "./DiscordConfig.js"
import { classifyStatus, decodeBody } from "./internal/classify.js"
import { type Emit, makeEmitter } from "./internal/events.js"
import { tokenFingerprint } from "./internal/fingerprint.js"
import { type Identity, type LimitedResponse, type RawResponse, RateLimiter, type RouteCall } from "./RateLimiter.js"

export interface DiscordRequest<A, I> {
  /** The source the answer feeds (labels errors, events and metrics). */
  readonly source: SourceName
  /** Route template with the major parameter as a placeholder, e.g. `/guilds/{guild.id}`. */
  readonly template: string
  /** The major parameter's value (guild id, invite code) or "". */
  readonly major: string
  /** Path below `/api/v10`, already encoded, e.g. `/guilds/123…`. */
  readonly path: string
  readonly query?: Readonly<Record<string, string>>
  /** Sent as `Authorization: Bot <token>`; without it the call spends the unauthenticated budget. */
  readonly token?: Redacted.Redacted<string> | undefined
  /** Essential calls pass the invalid-request guard (token validation); sources are not essential. */
  readonly essential?: boolean
  /** Profile key, for events. */
  readonly profile?: string | undefined
  readonly schema: Schema.Schema<A, I>
}

export class DiscordClient extends Context.Tag("@guildpulse/connector-discord/DiscordClient")<
  DiscordClient,
  {
    readonly options: DiscordOptions
    /** One rate-limited GET, decoded with `request.schema`, every failure classified. */
    readonly get: <A, I>(request: DiscordRequest<A, I>) => Effect.Effect<A, UpstreamError>
  }
>() {}

const causeMessage = (error: HttpClientError.HttpClientError): string => {
  const cause: unknown = error.cause
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code
    const nested = (cause as { cause?: unknown }).cause
    const inner = nested instanceof Error ? `: ${nested.message}` : ""
    return `${cause.message}${inner}${typeof code === "string" ? ` (${code})` : ""}`
  }
  return error.description ?? error.reason
}

const isAuthorization = (name: string | RegExp): boolean =>
  typeof name === "string" ? name.toLowerCase() === "authorization" : name.test("authorization")

/** The platform redacts `authorization` by default; this keeps it so if a caller narrowed the list. */
const withAuthorizationRedacted = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(FiberRef.get(Headers.currentRedactedNames), (names) =>
    names.some(isAuthorization) ? self : Effect.locally(self, Headers.currentRedactedNames, [...names, "authorization"])
  )

/**
 * `Effect.timeoutFail` for one attempt, at a quarter of its cost (one fork and a plain timer instead of two
 * forks and an Effect sleep; it runs once per request): the attempt runs in a child fiber that a timer
 * interrupts — which aborts the HTTP request — and the interruption is reported as `onTimeout()`.
 */
const withTimeout =
  (ms: number, onTimeout: () => UpstreamError) =>
  <A>(self: Effect.Effect<A, UpstreamError>): Effect.Effect<A, UpstreamError> =>
    Effect.flatMap(Effect.fork(self), (fiber) =>
      Effect.suspend(() => {
        let timedOut = false
        const timer = setTimeout(() => {
          timedOut = true
          fiber.unsafeInterruptAsFork(FiberId.none)
        }, ms)
        return Effect.flatMap(
          Effect.ensuring(Fiber.await(fiber), Effect.sync(() => clearTimeout(timer))),
          (exit): Effect.Effect<A, UpstreamError> =>
            Exit.isSuccess(exit)
              ? Effect.succeed(exit.value)
              : timedOut && Exit.isInterrupted(exit)
                ? Effect.fail(onTimeout())
                : Effect.failCause(exit.cause)
        )
      })
    )

export const make = Effect.gen(function* () {
  const options = yield* DiscordConfig
  const limiter = yield* RateLimiter
  const emit: Emit = yield* makeEmitter
  // No trace headers to Discord; the platform's own span only when asked for (see `httpClientSpans`).
  const base = (yield* HttpClient.HttpClient).pipe(HttpClient.withTracerPropagation(false))
  const http = options.httpClientSpans ? base : base.pipe(HttpClient.withTracerDisabledWhen(() => true))
  const serverAddress = new URL(options.baseUrl).origin
  const apiBase = `${options.baseUrl}/v${API_VERSION}`
  const apiPath = new URL(apiBase).pathname

  const send = <A, I>(request: DiscordRequest<A, I>): Effect.Effect<RawResponse, UpstreamError> =>
    Effect.suspend(() => {
      const headers: Record<string, string> = { "user-agent": options.userAgent, accept: "application/json" }
      // The token leaves its Redacted wrapper here only, as late as possible.
      if (request.token !== undefined) headers["authorization"] = `Bot ${Redacted.value(request.token)}`
      const httpRequest = HttpClientRequest.get(`${apiBase}${request.path}`, {
        headers,
        ...(request.query !== undefined ? { urlParams: request.query } : {})
      })
      return http.execute(httpRequest).pipe(
        Effect.flatMap((response) =>
          Effect.flatMap(Clock.currentTimeMillis, (receivedAtMs) =>
            Effect.map(response.text, (body): RawResponse => ({ status: response.status, headers: response.headers, body, receivedAtMs }))
          )
        ),
        Effect.mapError(
          (error) =>
            new UpstreamError({
              source: request.source,
              reason: "transport",
              message: `${error._tag === "RequestError" ? "request failed" : "reading the answer failed"}: ${causeMessage(error)} (GET ${request.template})`
            })
        ),
        withTimeout(
          options.requestTimeoutMs,
          () =>
            new UpstreamError({
              source: request.source,
              reason: "timeout",
              message: `no answer to GET ${request.template} within ${options.requestTimeoutMs} ms`
            })
        )
      )
    })

  const report = (
    request: Pick<DiscordRequest<unknown, unknown>, "source" | "template" | "profile">,
    response: LimitedResponse | undefined,
    error: UpstreamError | undefined,
    durationMs: number
  ) =>
    Effect.gen(function* () {
      const rl = response?.rateLimit
      const outcome = error === undefined ? "ok" : error.reason
      yield* Effect.annotateCurrentSpan({
        "discord.outcome": outcome,
        ...(response !== undefined
          ? {
              "http.response.status_code": response.status,
              "discord.ratelimit.bucket": response.bucket,
              "discord.ratelimit.wait_ms": response.waitedMs
            }
          : {}),
        ...(rl?.limit !== undefined ? { "discord.ratelimit.limit": rl.limit } : {}),
        ...(rl?.remaining !== undefined ? { "discord.ratelimit.remaining": rl.remaining } : {}),
        ...(error?.retryAfterMs !== undefined ? { "discord.retry_after_ms": error.retryAfterMs } : {})
      })
      yield* emit({
        level: error === undefined ? "debug" : "warn",
        type: "upstream.attempt",
        source: request.source,
        ...(request.profile !== undefined ? { profile: request.profile } : {}),
        outcome,
        durationMs,
        ...(response !== undefined ? { status: response.status } : error?.status !== undefined ? { status: error.status } : {}),
        ...(error?.discordCode !== undefined ? { discordCode: error.discordCode } : {}),
        ...(error?.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
        ...(response !== undefined
          ? {
              rateLimit: {
                ...(rl?.limit !== undefined ? { limit: rl.limit } : {}),
                ...(rl?.remaining !== undefined ? { remaining: rl.remaining } : {}),
                ...(rl?.resetAfterMs !== undefined ? { resetAfterMs: rl.resetAfterMs } : {}),
                bucket: response.bucket,
                ...(response.verdict !== undefined ? { scope: response.verdict.scope } : {})
              }
            }
          : {}),
        message:
          error === undefined
            ? `GET ${request.template} → ${response?.status ?? "?"} in ${durationMs} ms`
            : `GET ${request.template} failed: ${error.reason}: ${error.message}`
      })
    })

  const get = <A, I>(request: DiscordRequest<A, I>): Effect.Effect<A, UpstreamError> => {
    const identity: Identity = request.token !== undefined ? { kind: "bot", id: tokenFingerprint(request.token) } : { kind: "unauthenticated" }
    const call: RouteCall = {
      method: "GET",
      template: request.template,
      major: request.major,
      identity,
      essential: request.essential ?? false,
      source: request.source,
      profile: request.profile
    }
    return Effect.gen(function* () {
      const startedAt = yield* Clock.currentTimeMillis
      const answer = yield* Effect.either(limiter.run(call, send(request)))
      const durationMs = (yield* Clock.currentTimeMillis) - startedAt
      if (Either.isLeft(answer)) {
        yield* report(request, undefined, answer.left, durationMs)
        return yield* Effect.fail(answer.left)
      }
      const response = answer.right
      const result =
        response.status >= 200 && response.status < 300
          ? decodeBody(request.source, response.status, response.headers["content-type"], response.body, request.schema)
          : Either.left(classifyStatus(request.source, response.status, response.body, response.verdict))
      yield* report(request, response, Either.isLeft(result) ? result.left : undefined, durationMs)
      return yield* result
    }).pipe(
      withAuthorizationRedacted,
      Effect.withSpan("discord.request", {
        kind: "client",
        captureStackTrace: false,
        attributes: {
          "http.request.method": "GET",
          "server.address": serverAddress,
          "url.path": `${apiPath}${request.path}`,
          "discord.source": request.source,
          "discord.route": `GET ${request.template}`,
          "discord.major": request.major,
          "discord.authenticated": request.token !== undefined,
          ...(request.profile !== undefined ? { "guildpulse.profile": request.profile } : {})
        }
      })
    )
  }

  return DiscordClient.of({ options, get })
})

export const layer: Layer.Layer<DiscordClient, never, HttpClient.HttpClient | RateLimiter | DiscordConfig> = Layer.effect(DiscordClient, make)
