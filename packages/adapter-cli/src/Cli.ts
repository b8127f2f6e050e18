/**
 * The `guildpulse` command line: every command, and `run(argv)` which maps failures to exit codes
 * (see `CliError`).
 */
import { Command, ValidationError } from "@effect/cli"
import { NodeContext } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { CliError, EXIT_USAGE } from "./CliError.js"
import { analyticsCommand } from "./commands/Analytics.js"
import { doctorCommand } from "./commands/Doctor.js"
import { importWpCommand } from "./commands/ImportWp.js"
import { auditCommand, keysCommand } from "./commands/Keys.js"
import { eventsCommand, healthCommand, profilesCommand, refreshCommand, statsCommand } from "./commands/Operator.js"
import { configCommand, sandboxCommand, serveCommand } from "./commands/Serve.js"
import { tokensCommand } from "./commands/Tokens.js"

export const VERSION = "0.1.0"

export const root = Command.make("guildpulse").pipe(
  Command.withDescription("GuildPulse: live Discord server numbers for the web. Run it, check it, operate it."),
  Command.withSubcommands([
    serveCommand,
    sandboxCommand,
    configCommand,
    doctorCommand,
    profilesCommand,
    refreshCommand,
    statsCommand,
    healthCommand,
    eventsCommand,
    keysCommand,
    auditCommand,
    analyticsCommand,
    tokensCommand,
    importWpCommand
  ])
)

const cli = Command.run(root, { name: "guildpulse", version: VERSION })

/** Runs the CLI on `argv` (process.argv layout); resolves to the exit code. */
export const run = (argv: ReadonlyArray<string>): Effect.Effect<number> =>
  cli(argv).pipe(
    Effect.as(0),
    Effect.catchAll((error) => {
      if (error instanceof CliError) return Effect.as(Console.error(`guildpulse: ${error.message}`), error.exitCode)
      // @effect/cli has already printed what was wrong with the arguments (and the usage).
      if (ValidationError.isValidationError(error)) return Effect.succeed(EXIT_USAGE)
      return Effect.as(Console.error(`guildpulse: ${String(error)}`), 1)
    }),
    Effect.provide(NodeContext.layer)
  )
