/**
 * `guildpulse import-wp <file>`: the legacy WordPress plugin's settings (the JSON of
 * `wp option get discord_server_stats_options --format=json`) into profiles of a running server, through the
 * profiles API. Existing profiles are left alone. Tokens cannot be imported (the old site encrypted them with
 * its own salts): the command lists the profiles whose token must be set again.
 */
import { Args, Command, Options } from "@effect/cli"
import { readFile } from "node:fs/promises"
import { planImport, type ImportPlan } from "@guildpulse/adapter-wordpress"
import { Console, Effect, Either } from "effect"
import * as Api from "../Api.js"
import { CliError, EXIT_USAGE } from "../CliError.js"
import { progressBar, table } from "../internal/table.js"
import { connection, format, json, withClient } from "./Operator.js"

const file = Args.text({ name: "file" }).pipe(Args.withDescription("The legacy option JSON (wp option get discord_server_stats_options --format=json > legacy.json), or - for stdin"))
const dryRun = Options.boolean("dry-run").pipe(Options.withDescription("Show what would be created; change nothing"))

export type ImportOutcome = "created" | "exists" | "would create"

const readInput = (path: string) =>
  Effect.gen(function* () {
    if (path === "-") {
      return yield* Effect.promise(async () => {
        const chunks: Array<Buffer> = []
        for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
        return Buffer.concat(chunks).toString("utf8")
      })
    }
    return yield* Effect.tryPromise({
      try: () => readFile(path, "utf8"),
      catch: () => new CliError({ message: `Cannot read ${path}: give the JSON file of the legacy plugin's options.`, exitCode: EXIT_USAGE })
    })
  })

const report = (plan: ImportPlan, outcomes: ReadonlyMap<string, ImportOutcome>): string => {
  const lines: Array<string> = []
  if (plan.profiles.length > 0) {
    lines.push(
      table(
        ["KEY", "LABEL", "GUILD", "FROM", "RESULT", "TOKEN"],
        plan.profiles.map((p) => [p.input.key, p.input.label, p.input.guildId, p.from, outcomes.get(p.input.key) ?? "-", p.needsToken ? "set again" : "none (widget only)"])
      )
    )
  }
  for (const s of plan.skipped) lines.push(`skipped ${s.from}: ${s.reason}`)
  for (const w of plan.warnings) lines.push(`note: ${w}`)
  if (plan.needsToken.length > 0) {
    lines.push(
      `Bot tokens cannot be imported (the old site encrypted them with its own keys). Set them again: ${plan.needsToken
        .map((k) => `guildpulse tokens set ${k}`)
        .join(", ")}`
    )
  }
  return lines.join("\n")
}

export const importWpCommand = Command.make("import-wp", { ...connection, format, file, dryRun }, ({ format, file, dryRun, ...target }) =>
  withClient(
    Effect.gen(function* () {
      const text = yield* readInput(file)
      const planned = planImport(text)
      if (Either.isLeft(planned)) return yield* new CliError({ message: `${file}: ${planned.left.reason}`, exitCode: EXIT_USAGE })
      const plan = planned.right
      const outcomes = new Map<string, ImportOutcome>()
      const total = plan.profiles.length
      for (const [index, profile] of plan.profiles.entries()) {
        if (format === "table") yield* Effect.sync(() => process.stderr.write(`\r${progressBar(index, total)} ${profile.input.key.padEnd(24)}`))
        const path = `/v1/profiles/${encodeURIComponent(profile.input.key)}`
        if (dryRun) {
          const existing = yield* Api.request(target, "GET", path, { expect: [200, 404] })
          outcomes.set(profile.input.key, existing.status === 200 ? "exists" : "would create")
          continue
        }
        const answer = yield* Api.request(target, "PUT", path, { body: profile.input, headers: { "if-none-match": "*" }, expect: [201, 409] })
        outcomes.set(profile.input.key, answer.status === 201 ? "created" : "exists")
      }
      if (format === "table") yield* Effect.sync(() => process.stderr.write(`\r${progressBar(total, total)}${" ".repeat(26)}\n`))
      if (format === "json") {
        return yield* json({
          dryRun,
          profiles: plan.profiles.map((p) => ({ key: p.input.key, from: p.from, result: outcomes.get(p.input.key), needsToken: p.needsToken, profile: p.input })),
          needsToken: plan.needsToken,
          skipped: plan.skipped,
          warnings: plan.warnings
        })
      }
      if (dryRun) yield* Console.log("Dry run: nothing was changed.")
      yield* Console.log(report(plan, outcomes))
    })
  )
).pipe(
  Command.withDescription(
    "Import the legacy WordPress Discord stats plugin's settings (its option JSON) as profiles of a running server; existing profiles are kept. Needs a key with profiles:write."
  )
)
