/**
 * `guildpulse doctor`: checks a setup before (or while) it runs — config valid, keys present, store
 * reachable and owned, Discord reachable, each bot token valid and in its guild, clock sane. Every failed
 * check prints a fix-it line; the exit code is the number of failed checks.
 */
import { Command } from "@effect/cli"
import { Console, Effect, Layer, Option, Redacted } from "effect"
import { CliError } from "../CliError.js"
import * as Settings from "../Settings.js"
import { configOption, settingsFailure } from "./Serve.js"

/** Largest tolerated difference between this clock and Discord's (rate-limit resets are absolute times). */
export const MAX_CLOCK_SKEW_MS = 5_000
const TIMEOUT_MS = 5_000

interface Check {
  readonly name: string
  readonly ok: boolean
  readonly detail: string
  readonly fix?: string
}

const pass = (name: string, detail: string): Check => ({ name, ok: true, detail })
const fail = (name: string, detail: string, fix: string): Check => ({ name, ok: false, detail, fix })

const errorText = (error: unknown): string => {
  const cause = typeof error === "object" && error !== null ? (error as { cause?: { code?: string; message?: string } }).cause : undefined
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error))
}

const httpGet = (url: string, headers: Record<string, string> = {}) =>
  Effect.tryPromise({ try: (signal) => fetch(url, { headers, signal: AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]) }), catch: errorText })

const keysCheck = (settings: Settings.Settings): ReadonlyArray<Check> => {
  const checks: Array<Check> = []
  checks.push(
    settings.adminKey !== undefined
      ? pass("admin key", "configured")
      : fail("admin key", "no bootstrap admin key: the admin API and the operator commands are refused", "set GUILDPULSE_ADMIN_KEY to a random secret of 16+ characters (e.g. `openssl rand -base64 24`)")
  )
  if (settings.masterKeys !== undefined) {
    const entries = Redacted.value(settings.masterKeys).split(",").map((s) => s.trim()).filter((s) => s !== "")
    const bad = entries.filter((entry) => {
      const [kid, key] = entry.split(":")
      return kid === undefined || key === undefined || kid === "" || Buffer.from(key, "base64").length !== 32
    })
    checks.push(
      bad.length === 0 && entries.length > 0
        ? pass("master keys", `${entries.length} key(s); tokens are sealed with the first`)
        : fail("master keys", "GUILDPULSE_MASTER_KEYS is not a list of kid:base64key (32-byte keys)", "use e.g. GUILDPULSE_MASTER_KEYS=k1:$(openssl rand -base64 32)")
    )
  } else if (settings.redisUrl !== undefined && settings.tokens.size > 0) {
    checks.push(fail("master keys", "Redis is shared but no master keys are set: tokens could not be sealed for other instances", "set GUILDPULSE_MASTER_KEYS=k1:$(openssl rand -base64 32) on every instance"))
  } else {
    checks.push(pass("master keys", settings.redisUrl === undefined ? "not set: the embedded store keeps its own key in the data directory" : "not needed (no tokens)"))
  }
  return checks
}

const storeCheck = (settings: Settings.Settings): Effect.Effect<Check> =>
  settings.redisUrl !== undefined
    ? Effect.gen(function* () {
        const { default: Redis } = yield* Effect.promise(() => import("ioredis"))
        const shown = Settings.redactUrl(Redacted.value(settings.redisUrl as Redacted.Redacted<string>))
        const result = yield* Effect.tryPromise({
          try: async () => {
            const client = new Redis(Redacted.value(settings.redisUrl as Redacted.Redacted<string>), { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: TIMEOUT_MS, retryStrategy: () => null })
            client.on("error", () => undefined)
            try {
              await client.connect()
              return await client.ping()
            } finally {
              client.disconnect()
            }
          },
          catch: errorText
        }).pipe(Effect.either)
        return result._tag === "Right"
          ? pass("store", `redis ${shown} answers PING`)
          : fail("store", `redis ${shown} cannot be reached (${result.left})`, "start Redis or fix REDIS_URL (redis://[user:password@]host:port[/db])")
      })
    : Effect.gen(function* () {
        const { SqliteStores } = yield* Effect.promise(() => import("@guildpulse/store-sqlite"))
        const opened = yield* Effect.either(
          Effect.scoped(Layer.build(SqliteStores.layer({ dataDir: settings.dataDir, ...(settings.masterKeys !== undefined ? { masterKeys: settings.masterKeys } : {}) })))
        )
        return opened._tag === "Right"
          ? pass("store", `embedded store in ${settings.dataDir} opens and is not in use by another process`)
          : fail("store", `embedded store in ${settings.dataDir}: ${(opened.left as { message?: string }).message ?? String(opened.left)}`, "stop the other GuildPulse process using that directory, or set GUILDPULSE_DATA_DIR to a writable directory of its own")
      }).pipe(Effect.catchAllDefect((defect) => Effect.succeed(fail("store", `embedded store: ${errorText(defect)}`, "set GUILDPULSE_DATA_DIR to a writable directory"))))

const discordChecks = (settings: Settings.Settings): Effect.Effect<ReadonlyArray<Check>> =>
  Effect.gen(function* () {
    const base = settings.discord.baseUrl
    const checks: Array<Check> = []
    const probe = yield* Effect.either(httpGet(`${base}/v10/users/@me`))
    if (probe._tag === "Left") {
      checks.push(fail("discord", `${base} cannot be reached (${probe.left})`, "check the network/proxy, or DISCORD_API_BASE_URL"))
      return checks
    }
    checks.push(pass("discord", `${base} answers (HTTP ${probe.right.status})`))
    const date = probe.right.headers.get("date")
    if (date !== null) {
      const skew = Date.now() - Date.parse(date)
      checks.push(
        Math.abs(skew) <= MAX_CLOCK_SKEW_MS + 1_000
          ? pass("clock", `within ${Math.ceil(Math.abs(skew) / 1000)} s of Discord's`)
          : fail("clock", `${Math.round(skew / 1000)} s off Discord's clock (rate-limit resets would be wrong)`, "enable time synchronisation (e.g. `timedatectl set-ntp true`)")
      )
    }
    const { DiscordLive, TokenValidator } = yield* Effect.promise(() => import("@guildpulse/connector-discord"))
    const validator = DiscordLive.layer({ ...settings.discord })
    for (const profile of settings.profiles) {
      const token = settings.tokens.get(profile.key)
      if (token === undefined) continue
      const name = `token ${profile.key}`
      const user = yield* Effect.either(Effect.provide(Effect.flatMap(TokenValidator.TokenValidator, (v) => v.validate(token)), validator))
      if (user._tag === "Left") {
        const reason = (user.left as { reason?: string }).reason ?? "error"
        checks.push(
          reason === "unauthorized"
            ? fail(name, "Discord refuses the token (401)", `reset the bot token in the Discord developer portal and update profiles[].token of '${profile.key}' (env or file)`)
            : fail(name, `could not be checked (${reason})`, "run doctor again; if it persists check Discord's status")
        )
        continue
      }
      const guild = yield* Effect.either(httpGet(`${base}/v10/guilds/${profile.guildId}`, { authorization: `Bot ${Redacted.value(token)}` }))
      if (guild._tag === "Right" && guild.right.status === 200) {
        checks.push(pass(name, `valid (bot ${user.right.username}) and a member of guild ${profile.guildId}`))
      } else {
        checks.push(
          fail(
            name,
            `valid (bot ${user.right.username}) but cannot read guild ${profile.guildId}${guild._tag === "Right" ? ` (HTTP ${guild.right.status})` : ""}`,
            `invite the bot to that server (OAuth2 URL with the 'bot' scope), or fix guildId of '${profile.key}'`
          )
        )
      }
    }
    return checks
  })

export const doctorCommand = Command.make("doctor", { config: configOption }, ({ config }) =>
  Effect.gen(function* () {
    const loaded = yield* Effect.either(Settings.load(Option.getOrUndefined(config)))
    const checks: Array<Check> = []
    if (loaded._tag === "Left") {
      checks.push(fail("config", settingsFailure(loaded.left).message, "fix the values above (guildpulse config validate shows them), then run doctor again"))
    } else {
      const settings = loaded.right
      checks.push(pass("config", `${settings.configFile ?? "no config file (defaults and environment)"}: ${settings.profiles.length} profile(s)`))
      checks.push(...keysCheck(settings))
      checks.push(yield* storeCheck(settings))
      checks.push(...(yield* discordChecks(settings)))
    }
    const lines: Array<string> = []
    for (const check of checks) {
      lines.push(`${check.ok ? "ok  " : "FAIL"}  ${check.name.padEnd(16)} ${check.detail}`)
      if (check.fix !== undefined) lines.push(`      ${"".padEnd(16)} fix: ${check.fix}`)
    }
    const failures = checks.filter((c) => !c.ok).length
    lines.push("", failures === 0 ? `All ${checks.length} checks passed.` : `${failures} of ${checks.length} checks failed.`)
    yield* Console.log(lines.join("\n"))
    if (failures > 0) return yield* new CliError({ message: `doctor: ${failures} check(s) failed`, exitCode: failures })
  })
).pipe(Command.withDescription("Check this setup: config, keys, store, Discord, each bot token and its guild, the clock. Exit code = number of failed checks."))
