/**
 * `guildpulse serve`, `guildpulse sandbox`, `guildpulse config validate|schema`: the commands that run or
 * check this machine's GuildPulse.
 */
import { Command, Options } from "@effect/cli"
import { fromInput, ProfileInput } from "@guildpulse/core"
import { Console, Effect, Option, Schema } from "effect"
import { CliError, failed, usage } from "../CliError.js"
import * as ConfigFile from "../ConfigFile.js"
import * as Settings from "../Settings.js"

export const configOption = Options.file("config").pipe(
  Options.withAlias("c"),
  Options.withDescription("Config file (default: GUILDPULSE_CONFIG, else ./guildpulse.config.json)"),
  Options.optional
)

/** Settings errors as a message naming the file and every bad value. */
export const settingsFailure = (error: Settings.SettingsError): CliError => {
  const where = error.reason === "environment" ? "environment" : error.file ?? "configuration"
  return usage(`Invalid configuration (${where}):\n${error.issues.map((i) => `  ${i.path === "" ? "(file)" : i.path}: ${i.message}`).join("\n")}`)
}

export const loadSettings = (config: Option.Option<string>) =>
  Effect.mapError(Settings.load(Option.getOrUndefined(config)), settingsFailure)

const errorCode = (error: unknown): unknown => (typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined)

// The engine, the HTTP stack and the sandbox load only for the commands that run them: `config`, `--help`
// and the operator commands start fast.
const loadComposition = Effect.promise(() => import("../Composition.js"))
const loadSandbox = Effect.promise(() => import("@guildpulse/connector-discord/sandbox"))
const loadSandboxed = Effect.promise(() => import("../Sandboxed.js"))

// ---------------------------------------------------------------------------------------------- config

const validate = Command.make("validate", { config: configOption }, ({ config }) =>
  Effect.gen(function* () {
    const settings = yield* loadSettings(config)
    const file = settings.configFile ?? "(no config file: defaults and environment)"
    yield* Console.log(`${file}: valid — ${settings.profiles.length} profile(s), ${settings.tokens.size} token(s) resolved, store ${Settings.describeStore(settings)}`)
  })
).pipe(Command.withDescription("Check the config file and the environment; every bad value is reported with its path (exit 2)."))

const schema = Command.make("schema", {}, () => Console.log(JSON.stringify(ConfigFile.jsonSchema(), null, 2))).pipe(
  Command.withDescription("Print the JSON Schema of guildpulse.config.json (point \"$schema\" at it for editor completion).")
)

export const configCommand = Command.make("config").pipe(
  Command.withDescription("Check the configuration or print its JSON Schema."),
  Command.withSubcommands([validate, schema])
)

// ---------------------------------------------------------------------------------------------- serve

const roleOption = Options.choice("role", ["all", "web", "worker"]).pipe(
  Options.withDefault("all" as const),
  Options.withDescription("all: serve HTTP and refresh · web: serve HTTP and enqueue refreshes · worker: refresh only (web/worker need REDIS_URL)")
)
const sandboxOption = Options.boolean("sandbox").pipe(
  Options.withDescription("Start the FakeDiscord sandbox in this process and use it instead of Discord (with sample profiles if the config has none)")
)

const memoryOption = Options.boolean("memory").pipe(
  Options.withDescription("Keep everything in memory instead of the embedded store in GUILDPULSE_DATA_DIR (nothing survives a restart; the default with --sandbox)")
)

export const serveCommand = Command.make(
  "serve",
  { config: configOption, role: roleOption, sandbox: sandboxOption, memory: memoryOption },
  ({ config, role, sandbox, memory: memoryFlag }) =>
    Effect.scoped(
      Effect.gen(function* () {
        const loaded = yield* loadSettings(config)
        if (role !== "all" && loaded.redisUrl === undefined) {
          return yield* usage(`--role ${role} needs a shared store: set REDIS_URL (or store.redisUrl in the config file), or use --role all.`)
        }
        const Composition = yield* loadComposition
        const memory = memoryFlag || sandbox
        // Built once here so that a bad profile surfaces as a usage error, not a crash inside the engine.
        for (const profile of loaded.profiles) fromInput(Schema.decodeUnknownSync(ProfileInput)(profile), new Date(0).toISOString())
        const startFailed = (error: unknown) =>
          errorCode(error) === "EADDRINUSE"
            ? failed(`Port ${loaded.port} on ${loaded.host} is already in use. Stop the other program or choose another: PORT=8788 guildpulse serve`)
            : failed(`GuildPulse could not start: ${error instanceof Error ? error.message : String(error)}`)
        // --sandbox: the same composition against FakeDiscord in this process (`Sandboxed.start`, also the demo's).
        const running = yield* Effect.acquireRelease(
          sandbox
            ? Effect.flatMap(loadSandboxed, (Sandboxed) => Effect.tryPromise({ try: () => Sandboxed.start({ settings: loaded, role, memory }), catch: startFailed }))
            : Effect.tryPromise({
                try: async () => {
                  const started = await Composition.start({ settings: loaded, role, memory })
                  const discord = `${loaded.discord.baseUrl} (Discord)`
                  return { ...started, summary: Composition.summary(loaded, started, { role, discord, memory }) }
                },
                catch: startFailed
              }),
          (r) =>
            Effect.gen(function* () {
              yield* Console.log("Stopping: finishing requests in flight, flushing the store…")
              yield* Effect.promise(() => r.close())
              yield* Console.log("GuildPulse stopped.")
            })
        )
        yield* Console.log(running.summary)
        return yield* Effect.never
      })
    )
).pipe(
  Command.withDescription(
    "Run GuildPulse: the HTTP API, widget and badge for the profiles of the config file, refreshed from Discord (--sandbox: from the FakeDiscord). Stops gracefully on SIGTERM/SIGINT."
  )
)

// ---------------------------------------------------------------------------------------------- sandbox

const portOption = Options.integer("port").pipe(Options.withDefault(8788), Options.withDescription("Port to listen on (0 = any free port)"))
const hostOption = Options.text("host").pipe(Options.withDefault("127.0.0.1"), Options.withDescription("Interface to bind"))
const showTokens = Options.boolean("show-tokens").pipe(Options.withDescription("Also print the sandbox's bot tokens (sandbox-only, not Discord tokens)"))

export const sandboxCommand = Command.make("sandbox", { port: portOption, host: hostOption, showTokens }, ({ port, host, showTokens }) =>
  Effect.scoped(
    Effect.gen(function* () {
      if (port < 0 || port > 65535) return yield* usage(`--port must be 0-65535, got ${port}`)
      const { FakeDiscord } = yield* loadSandbox
      const server = yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: () => FakeDiscord.start({ port, host }),
          catch: (e) =>
            errorCode(e) === "EADDRINUSE" ? failed(`Port ${port} is already in use: choose another with --port`) : failed(`The sandbox could not start: ${String(e)}`)
        }),
        (s) => Effect.promise(() => s.stop())
      )
      const lines = [
        `FakeDiscord sandbox listening on ${server.url}`,
        `  API base   ${server.url}/api   (DISCORD_API_BASE_URL=${server.url}/api guildpulse serve)`,
        `  controls   PUT ${server.url}/__sandbox/scenario · GET ${server.url}/__sandbox/stats · POST ${server.url}/__sandbox/reset`,
        "",
        "Guilds:"
      ]
      for (const guild of server.fixtures.guilds) {
        const invites = server.fixtures.invites.filter((i) => i.guildId === guild.id).map((i) => i.code)
        lines.push(`  ${guild.id.padEnd(20)} ${guild.name.padEnd(26)} widget ${guild.widgetEnabled ? "on " : "off"}  invites ${invites.join(", ") || "-"}`)
      }
      lines.push("")
      if (showTokens) {
        lines.push("Bot tokens (sandbox-only):")
        for (const bot of server.fixtures.bots) lines.push(`  ${bot.user.username.padEnd(22)} ${bot.token}`)
      } else {
        lines.push("Bot tokens are not printed (--show-tokens prints them).")
      }
      yield* Console.log(lines.join("\n"))
      return yield* Effect.never
    })
  )
).pipe(Command.withDescription("Run the FakeDiscord sandbox (a fake of the Discord API endpoints GuildPulse uses) on its own port."))

