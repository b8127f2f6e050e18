/**
 * The operator commands' client of a running server's HTTP API (`--url`/`GUILDPULSE_URL`,
 * `--key`/`GUILDPULSE_API_KEY`), over `@effect/platform`'s HttpClient. Every failure becomes a `CliError`
 * with a message saying what to do and an exit code (unreachable 3, not found 4, refused input 2, other 1).
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Effect, Option, Redacted } from "effect"
import { CliError, EXIT_FAILED, EXIT_NOT_FOUND, EXIT_UNREACHABLE, EXIT_USAGE } from "./CliError.js"

export const DEFAULT_URL = "http://127.0.0.1:8787"
export const REQUEST_TIMEOUT_MS = 15_000

export interface Target {
  readonly url: string
  readonly key: Option.Option<Redacted.Redacted<string>>
}

export interface Answer {
  readonly status: number
  readonly body: unknown
  readonly headers: Readonly<Record<string, string>>
}

interface Problem {
  readonly title?: string
  readonly detail?: string
  readonly errors?: ReadonlyArray<{ readonly field?: string; readonly message?: string }>
}

const problemText = (body: unknown): string => {
  if (typeof body !== "object" || body === null) return ""
  const problem = body as Problem
  const lines = [problem.detail ?? problem.title ?? ""]
  for (const e of problem.errors ?? []) lines.push(`  ${e.field ?? "(request)"}: ${e.message ?? ""}`)
  return lines.filter((l) => l !== "").join("\n")
}

/** Checks `--url` before any request: an absolute http(s) URL. */
export const checkUrl = (url: string): Effect.Effect<string, CliError> => {
  try {
    const parsed = new URL(url)
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error("scheme")
    return Effect.succeed(url.replace(/\/+$/, ""))
  } catch {
    return Effect.fail(new CliError({ message: `--url must be an http(s) URL such as ${DEFAULT_URL}, got '${url.slice(0, 200)}'`, exitCode: EXIT_USAGE }))
  }
}

export const request = (
  target: Target,
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
  path: string,
  options: { readonly body?: unknown; readonly headers?: Readonly<Record<string, string>>; readonly expect?: ReadonlyArray<number> } = {}
): Effect.Effect<Answer, CliError, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const base = yield* checkUrl(target.url)
    const client = yield* HttpClient.HttpClient
    let req = HttpClientRequest.make(method)(`${base}${path}`).pipe(HttpClientRequest.setHeaders({ accept: "application/json", ...options.headers }))
    if (Option.isSome(target.key)) req = HttpClientRequest.bearerToken(req, Redacted.value(target.key.value))
    if (options.body !== undefined) req = HttpClientRequest.bodyUnsafeJson(req, options.body)
    const response = yield* client.execute(req).pipe(
      Effect.timeoutFail({
        duration: REQUEST_TIMEOUT_MS,
        onTimeout: () => new CliError({ message: `${base} did not answer within ${REQUEST_TIMEOUT_MS / 1000} s.`, exitCode: EXIT_UNREACHABLE })
      }),
      Effect.catchTag("RequestError", (error) =>
        Effect.fail(
          new CliError({
            message: `Cannot reach the GuildPulse server at ${base} (${error.cause instanceof Error ? ((error.cause as { cause?: { code?: string } }).cause?.code ?? error.cause.message) : error.reason}). Is \`guildpulse serve\` running there? Set --url or GUILDPULSE_URL.`,
            exitCode: EXIT_UNREACHABLE
          })
        )
      ),
      Effect.catchTag("ResponseError", (error) => Effect.fail(new CliError({ message: `Bad answer from ${base}: ${error.message}`, exitCode: EXIT_FAILED })))
    )
    const text = yield* Effect.orElseSucceed(response.text, () => "")
    let body: unknown = text
    try {
      body = text === "" ? undefined : JSON.parse(text)
    } catch {
      // not JSON: keep the text
    }
    const status = response.status
    const expected = options.expect ?? [200]
    if (expected.includes(status)) return { status, body, headers: response.headers }
    return yield* failure(target, method, path, status, body)
  })

/** The `CliError` of an unexpected answer (401, 403, 404, other 4xx, 5xx), with the problem's details. */
export const failure = (target: Target, method: string, path: string, status: number, body: unknown): Effect.Effect<never, CliError> =>
  Effect.gen(function* () {
    const detail = problemText(body)
    if (status === 401) {
      return yield* new CliError({
        message: `${method} ${path}: the server wants an API key (401). Pass --key or set GUILDPULSE_API_KEY.${Option.isSome(target.key) ? " The key given was refused." : ""}`,
        exitCode: EXIT_FAILED
      })
    }
    if (status === 403) return yield* new CliError({ message: `${method} ${path}: this key may not do that (403). ${detail}`, exitCode: EXIT_FAILED })
    if (status === 404) return yield* new CliError({ message: `${method} ${path}: not found (404). ${detail}`, exitCode: EXIT_NOT_FOUND })
    if (status >= 400 && status < 500) return yield* new CliError({ message: `${method} ${path}: refused (${status}).\n${detail}`, exitCode: EXIT_USAGE })
    return yield* new CliError({ message: `${method} ${path}: the server failed (${status}). ${detail}`, exitCode: EXIT_FAILED })
  })
