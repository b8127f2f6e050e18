/**
 * `guildpulse tokens set|validate|remove|reencrypt` against a running server's API (`tokens:write`).
 *
 * The token is read from a file (`--token-file`) or from stdin — never from an argument, which would land in
 * the shell history and in the process list. It is sent once, in the body of `PUT /v1/profiles/{p}/token`;
 * the server checks it with Discord first and answers the metadata only.
 *
 * `reencrypt` asks the server (`POST /v1/tokens/reencrypt`): the running server holds the keyring and owns the
 * store (the embedded store's data directory has one owner), so re-encryption goes through it rather than
 * opening the store from a second process.
 */
import { readFile } from "node:fs/promises"
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option, Redacted } from "effect"
import * as Api from "../Api.js"
import { CliError, EXIT_USAGE } from "../CliError.js"
import { pairs, show } from "../internal/table.js"
import { connection, format, json, withClient } from "./Operator.js"

interface TokenAnswer {
  readonly profile: string
  readonly token: { readonly present: boolean; readonly status: string; readonly rotatedAt?: string; readonly lastValidatedAt?: string; readonly expiresAt?: string; readonly problem?: string }
}

const MAX_INPUT_BYTES = 4096
const profileArg = Args.text({ name: "profile" }).pipe(Args.withDescription("Profile key, e.g. my-server"))
const tokenFile = Options.file("token-file").pipe(
  Options.withDescription("Read the bot token from this file (else from stdin); never pass a token as an argument"),
  Options.optional
)
const path = (profile: string) => `/v1/profiles/${encodeURIComponent(profile)}/token`

const readStdin: Effect.Effect<string, CliError> = Effect.tryPromise({
  try: async () => {
    if (process.stdin.isTTY === true) throw new Error("tty")
    const chunks: Array<Buffer> = []
    let size = 0
    for await (const chunk of process.stdin) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk))
      size += buffer.length
      if (size > MAX_INPUT_BYTES) throw new Error("too long")
      chunks.push(buffer)
    }
    return Buffer.concat(chunks).toString("utf8")
  },
  catch: (error) =>
    new CliError({
      message: error instanceof Error && error.message === "too long"
        ? `the token on stdin is longer than ${MAX_INPUT_BYTES} bytes`
        : "no token: pipe it on stdin (e.g. `guildpulse tokens set my-server < token.txt`) or pass --token-file",
      exitCode: EXIT_USAGE
    })
})

/** The token from the file or stdin, without the trailing newline; a clear usage error when there is none. */
const readToken = (file: Option.Option<string>): Effect.Effect<Redacted.Redacted<string>, CliError> =>
  Effect.gen(function* () {
    const text = Option.isSome(file)
      ? yield* Effect.tryPromise({
          try: () => readFile(file.value, "utf8"),
          catch: () => new CliError({ message: `cannot read --token-file ${file.value}`, exitCode: EXIT_USAGE })
        })
      : yield* readStdin
    const token = text.replace(/\r?\n$/, "").trim()
    if (token.length === 0) return yield* new CliError({ message: "the token is empty", exitCode: EXIT_USAGE })
    return Redacted.make(token)
  })

const showMetadata = (answer: TokenAnswer) =>
  Console.log(
    pairs([
      ["profile", answer.profile],
      ["present", answer.token.present ? "yes" : "no"],
      ["status", answer.token.status],
      ["rotated", show(answer.token.rotatedAt)],
      ["validated", show(answer.token.lastValidatedAt)],
      ["expires", show(answer.token.expiresAt)],
      ...(answer.token.problem !== undefined ? [["problem", answer.token.problem] as [string, string]] : [])
    ])
  )

const set = Command.make("set", { ...connection, format, profile: profileArg, tokenFile }, ({ format, profile, tokenFile, ...target }) =>
  withClient(
    Effect.gen(function* () {
      const token = yield* readToken(tokenFile)
      const answer = yield* Api.request(target, "PUT", path(profile), { body: { token: Redacted.value(token) } })
      if (format === "json") return yield* json(answer.body)
      yield* showMetadata(answer.body as TokenAnswer)
    })
  )
).pipe(Command.withDescription("Set a profile's bot token (from stdin or --token-file); the server checks it with Discord first."))

const validate = Command.make("validate", { ...connection, format, profile: profileArg }, ({ format, profile, ...target }) =>
  withClient(
    Effect.gen(function* () {
      const answer = yield* Api.request(target, "POST", `${path(profile)}/validate`)
      if (format === "json") return yield* json(answer.body)
      yield* showMetadata(answer.body as TokenAnswer)
    })
  )
).pipe(Command.withDescription("Check a profile's stored bot token with Discord again."))

const remove = Command.make("remove", { ...connection, format, profile: profileArg }, ({ format, profile, ...target }) =>
  withClient(
    Effect.gen(function* () {
      const answer = yield* Api.request(target, "DELETE", path(profile))
      if (format === "json") return yield* json(answer.body)
      yield* showMetadata(answer.body as TokenAnswer)
    })
  )
).pipe(Command.withDescription("Remove a profile's bot token."))

const reencrypt = Command.make("reencrypt", { ...connection, format }, ({ format, ...target }) =>
  withClient(
    Effect.gen(function* () {
      const answer = yield* Api.request(target, "POST", "/v1/tokens/reencrypt")
      const report = answer.body as { rewritten: number; unchanged: number; unreadable: ReadonlyArray<string> }
      if (format === "json") return yield* json(report)
      yield* Console.log(
        pairs([
          ["rewritten", String(report.rewritten)],
          ["unchanged", String(report.unchanged)],
          ["unreadable", report.unreadable.length === 0 ? "-" : report.unreadable.join(", ")]
        ])
      )
    })
  )
).pipe(Command.withDescription("Re-seal every stored token under the active key of GUILDPULSE_MASTER_KEYS (after adding a new first key)."))

export const tokensCommand = Command.make("tokens").pipe(
  Command.withDescription("Bot tokens of the profiles (needs a key with tokens:write)."),
  Command.withSubcommands([set, validate, remove, reencrypt])
)
