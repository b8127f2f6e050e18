/**
 * The settings `serve` and `doctor` run with: the config file (`GUILDPULSE_CONFIG`, default
 * `./guildpulse.config.json`), then the environment on top (read with Effect `Config`, secrets as
 * `Config.redacted`), then every secret reference resolved. Every problem is reported with where it comes
 * from (`profiles[1].token.env`, `PORT`) before anything listens.
 */
import { readFileSync } from "node:fs"
import { dirname, isAbsolute, resolve } from "node:path"
import type { ProfileInput, WidgetOptions } from "@guildpulse/core"
import { Config, ConfigError, Data, Effect, Either, Option, Redacted, Schema } from "effect"
import * as ConfigFile from "./ConfigFile.js"

export const DEFAULT_PORT = 8787
export const DEFAULT_HOST = "127.0.0.1"
export const DEFAULT_DATA_DIR = "./.guildpulse"
export const DISCORD_BASE_URL = "https://discord.com/api"
export const MIN_ADMIN_KEY_LENGTH = 16
/** How long audit entries are kept (`GUILDPULSE_AUDIT_RETENTION_DAYS`). */
export const DEFAULT_AUDIT_RETENTION_DAYS = 365

export type LogLevelName = typeof ConfigFile.LogLevelName.Type
export type LogFormatName = typeof ConfigFile.LogFormatName.Type

export type ResolvedChannel =
  | { readonly kind: "webhook"; readonly url: Redacted.Redacted<string>; readonly secret: Redacted.Redacted<string> }
  | { readonly kind: "slack" | "discord"; readonly url: Redacted.Redacted<string> }
  | { readonly kind: "email"; readonly smtpUrl: Redacted.Redacted<string>; readonly to: ReadonlyArray<string>; readonly from?: string | undefined }

export interface Settings {
  /** The config file read, or undefined when there was none (and none was asked for). */
  readonly configFile: string | undefined
  readonly port: number
  readonly host: string
  readonly publicUrl: string | undefined
  readonly trustProxy: boolean | number | string | undefined
  readonly timeouts: { readonly headersMs?: number; readonly requestMs?: number; readonly keepAliveMs?: number }
  readonly cors: false | { readonly origins: ReadonlyArray<string> | "*"; readonly adminOrigins?: ReadonlyArray<string>; readonly maxAgeSeconds?: number } | undefined
  readonly publicRateLimit: { readonly perMinute: number; readonly burst: number } | false | undefined
  readonly discord: {
    readonly baseUrl: string
    readonly globalRequestsPerSecond?: number
    readonly unauthenticatedRequestsPerSecond?: number
  }
  readonly redisUrl: Redacted.Redacted<string> | undefined
  readonly dataDir: string
  readonly masterKeys: Redacted.Redacted<string> | undefined
  readonly adminKey: Redacted.Redacted<string> | undefined
  /** Days audit entries are kept (default 365). */
  readonly auditRetentionDays?: number | undefined
  readonly logLevel: LogLevelName
  readonly logFormat: LogFormatName
  readonly profiles: ReadonlyArray<typeof ProfileInput.Encoded>
  readonly display: WidgetOptions | undefined
  /** Bot tokens per profile key. */
  readonly tokens: ReadonlyMap<string, Redacted.Redacted<string>>
  readonly channels: ReadonlyArray<ResolvedChannel>
  /** OTLP/HTTP collector base URL (traces), or undefined for no export. */
  readonly otlpEndpoint: string | undefined
  /** The operator console at /console: undefined when off. */
  readonly console?: { readonly idleTimeoutMs: number } | undefined
}

export const DEFAULT_CONSOLE_IDLE_MINUTES = 30

export class SettingsError extends Data.TaggedError("SettingsError")<{
  readonly reason: "config_file" | "environment" | "secret"
  readonly file?: string | undefined
  readonly issues: ReadonlyArray<ConfigFile.ConfigIssue>
}> {
  override get message(): string {
    return this.issues.map((i) => (i.path === "" ? i.message : `${i.path}: ${i.message}`)).join("\n")
  }
}

// The decoded profile carries branded, normalised values; the engine takes the input form again.
const encodeProfile = Schema.encodeSync(ConfigFile.ConfigProfile)

const readText = (file: string) =>
  Effect.try({
    try: () => readFileSync(file, "utf8"),
    catch: (error) => {
      const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined
      return code === "ENOENT"
        ? { reason: "missing" as const, message: "file not found" }
        : { reason: "unreadable" as const, message: `cannot be read (${String(code ?? error)})` }
    }
  })

/** The config file path: `GUILDPULSE_CONFIG` or the default; `explicit` says whether it was asked for. */
export const configPath = Effect.map(Config.option(Config.string("GUILDPULSE_CONFIG")), (o) =>
  Option.match(o, { onNone: () => ({ file: ConfigFile.DEFAULT_CONFIG_PATH, explicit: false }), onSome: (file) => ({ file, explicit: true }) })
)

/**
 * Reads and validates the config file. A missing default file is fine (no profiles; profiles can be added
 * through the API); a missing file that was named (flag or GUILDPULSE_CONFIG) is an error.
 */
export const loadFile = (override?: string) =>
  Effect.gen(function* () {
    const { file, explicit } = override !== undefined ? { file: override, explicit: true } : yield* Effect.orDie(configPath)
    const result = yield* Effect.either(ConfigFile.load(file, readText))
    if (Either.isRight(result)) return { file, config: result.right }
    if (result.left.reason === "missing" && !explicit) return { file: undefined, config: ConfigFile.empty }
    return yield* new SettingsError({ reason: "config_file", file, issues: result.left.issues })
  })

const env = {
  port: Config.option(Config.integer("PORT").pipe(Config.validate({ message: "must be a port number (0-65535)", validation: (n) => n >= 0 && n <= 65535 }))),
  host: Config.option(Config.nonEmptyString("HOST")),
  publicUrl: Config.option(Config.nonEmptyString("GUILDPULSE_PUBLIC_URL")),
  discordBaseUrl: Config.option(Config.nonEmptyString("DISCORD_API_BASE_URL")),
  redisUrl: Config.option(Config.redacted("REDIS_URL")),
  masterKeys: Config.option(Config.redacted("GUILDPULSE_MASTER_KEYS")),
  adminKey: Config.option(Config.redacted("GUILDPULSE_ADMIN_KEY")),
  dataDir: Config.option(Config.nonEmptyString("GUILDPULSE_DATA_DIR")),
  auditRetentionDays: Config.option(
    Config.integer("GUILDPULSE_AUDIT_RETENTION_DAYS").pipe(Config.validate({ message: "must be a number of days (1-36500)", validation: (n) => n >= 1 && n <= 36_500 }))
  ),
  logLevel: Config.option(Config.literal("all", "trace", "debug", "info", "warning", "error", "fatal", "none")("LOG_LEVEL")),
  logFormat: Config.option(Config.literal("json", "pretty")("LOG_FORMAT")),
  otlpEndpoint: Config.option(Config.string("OTEL_EXPORTER_OTLP_ENDPOINT")),
  smtpUrl: Config.option(Config.redacted("SMTP_URL"))
}

const configIssues = (error: ConfigError.ConfigError): ReadonlyArray<ConfigFile.ConfigIssue> =>
  ConfigError.reduceWithContext(error, undefined, {
    andCase: (_, l: ReadonlyArray<ConfigFile.ConfigIssue>, r: ReadonlyArray<ConfigFile.ConfigIssue>) => [...l, ...r],
    orCase: (_, l: ReadonlyArray<ConfigFile.ConfigIssue>, r: ReadonlyArray<ConfigFile.ConfigIssue>) => [...l, ...r],
    invalidDataCase: (_, path, message) => [{ path: `environment ${path.join("_")}`, message }],
    missingDataCase: (_, path, message) => [{ path: `environment ${path.join("_")}`, message }],
    sourceUnavailableCase: (_, path, message) => [{ path: `environment ${path.join("_")}`, message }],
    unsupportedCase: (_, path, message) => [{ path: `environment ${path.join("_")}`, message }]
  })

const isHttpUrl = (value: string): boolean => {
  try {
    const url = new URL(value)
    return (url.protocol === "http:" || url.protocol === "https:") && url.username === "" && url.password === ""
  } catch {
    return false
  }
}

/** Resolves one secret reference; `at` is its path in the file (for messages). */
const resolveSecret = (
  ref: ConfigFile.SecretRef,
  at: string,
  baseDir: string,
  issues: Array<ConfigFile.ConfigIssue>
): Effect.Effect<Redacted.Redacted<string> | undefined> =>
  Effect.gen(function* () {
    if ("value" in ref) return Redacted.make(ref.value)
    if ("env" in ref) {
      const value = yield* Effect.option(Config.string(ref.env))
      if (Option.isNone(value) || value.value.trim() === "") {
        issues.push({ path: `${at}.env`, message: `environment variable ${ref.env} is not set` })
        return undefined
      }
      return Redacted.make(value.value.trim())
    }
    const file = isAbsolute(ref.file) ? ref.file : resolve(baseDir, ref.file)
    const text = yield* Effect.either(readText(file))
    if (Either.isLeft(text)) {
      issues.push({ path: `${at}.file`, message: `${ref.file}: ${text.left.message}` })
      return undefined
    }
    const secret = text.right.trim()
    if (secret === "") {
      issues.push({ path: `${at}.file`, message: `${ref.file} is empty` })
      return undefined
    }
    return Redacted.make(secret)
  })

const isSmtpUrl = (value: string): boolean => {
  try {
    const url = new URL(value)
    return (url.protocol === "smtp:" || url.protocol === "smtps:") && url.hostname !== ""
  } catch {
    return false
  }
}

/**
 * The effective settings: the file's values, the environment's on top, secrets resolved. Fails with every
 * problem found (not only the first).
 */
export const resolveSettings = (loaded: { readonly file: string | undefined; readonly config: ConfigFile.GuildPulseConfig }) =>
  Effect.gen(function* () {
    const { config, file } = loaded
    const fromEnv = yield* Effect.mapError(Config.all(env), (error) => new SettingsError({ reason: "environment", issues: configIssues(error) }))
    const issues: Array<ConfigFile.ConfigIssue> = []
    const baseDir = file === undefined ? process.cwd() : dirname(resolve(file))

    const publicUrl = Option.getOrUndefined(fromEnv.publicUrl) ?? config.server?.publicUrl
    if (Option.isSome(fromEnv.publicUrl) && !isHttpUrl(fromEnv.publicUrl.value)) {
      issues.push({ path: "environment GUILDPULSE_PUBLIC_URL", message: "must be an absolute http(s) URL without credentials" })
    }
    const discordBaseUrl = Option.getOrUndefined(fromEnv.discordBaseUrl) ?? config.discord?.apiBaseUrl ?? DISCORD_BASE_URL
    if (!isHttpUrl(discordBaseUrl)) issues.push({ path: "environment DISCORD_API_BASE_URL", message: "must be an absolute http(s) URL" })

    const secret = (envValue: Option.Option<Redacted.Redacted<string>>, ref: ConfigFile.SecretRef | undefined, at: string) =>
      Option.isSome(envValue) ? Effect.succeed<Redacted.Redacted<string> | undefined>(envValue.value) : ref === undefined ? Effect.void.pipe(Effect.as(undefined)) : resolveSecret(ref, at, baseDir, issues)

    const adminKey = yield* secret(fromEnv.adminKey, config.adminKey, "adminKey")
    if (adminKey !== undefined && Redacted.value(adminKey).length < MIN_ADMIN_KEY_LENGTH) {
      issues.push({ path: Option.isSome(fromEnv.adminKey) ? "environment GUILDPULSE_ADMIN_KEY" : "adminKey", message: `must be at least ${MIN_ADMIN_KEY_LENGTH} characters` })
    }
    const masterKeys = yield* secret(fromEnv.masterKeys, config.masterKeys, "masterKeys")
    const redisUrl = yield* secret(fromEnv.redisUrl, config.store?.redisUrl, "store.redisUrl")

    const tokens = new Map<string, Redacted.Redacted<string>>()
    for (const [index, profile] of config.profiles.entries()) {
      if (profile.token === undefined) continue
      const token = yield* resolveSecret(profile.token, `profiles[${index}].token`, baseDir, issues)
      if (token !== undefined) tokens.set(profile.key, token)
    }

    const otlpFromEnv = Option.getOrUndefined(fromEnv.otlpEndpoint)?.trim()
    if (otlpFromEnv !== undefined && otlpFromEnv !== "" && !isHttpUrl(otlpFromEnv)) {
      issues.push({ path: "environment OTEL_EXPORTER_OTLP_ENDPOINT", message: "must be an absolute http(s) URL without credentials, such as http://127.0.0.1:4318" })
    }
    const otlpEndpoint = otlpFromEnv !== undefined && otlpFromEnv !== "" ? otlpFromEnv : config.telemetry?.otlpEndpoint

    // The SMTP server of the e-mail channels that name none: SMTP_URL, else alerts.smtpUrl.
    const smtpFromEnv = Option.filter(fromEnv.smtpUrl, (url) => Redacted.value(url).trim() !== "")
    const defaultSmtp = yield* secret(smtpFromEnv, config.alerts?.smtpUrl, "alerts.smtpUrl")
    const smtpAt = Option.isSome(smtpFromEnv) ? "environment SMTP_URL" : "alerts.smtpUrl"
    if (defaultSmtp !== undefined && !isSmtpUrl(Redacted.value(defaultSmtp))) {
      issues.push({ path: smtpAt, message: "must be an smtp:// or smtps:// URL, such as smtps://user:password@mail.example.com:465" })
    }

    const channels: Array<ResolvedChannel> = []
    for (const [index, channel] of (config.alerts?.channels ?? []).entries()) {
      const at = `alerts.channels[${index}]`
      if (channel.kind === "webhook") {
        const url = yield* resolveSecret(channel.url, `${at}.url`, baseDir, issues)
        const signing = yield* resolveSecret(channel.secret, `${at}.secret`, baseDir, issues)
        if (url !== undefined && signing !== undefined) channels.push({ kind: "webhook", url, secret: signing })
      } else if (channel.kind === "email") {
        const own = channel.smtpUrl === undefined ? undefined : yield* resolveSecret(channel.smtpUrl, `${at}.smtpUrl`, baseDir, issues)
        if (own !== undefined && !isSmtpUrl(Redacted.value(own))) {
          issues.push({ path: `${at}.smtpUrl`, message: "must be an smtp:// or smtps:// URL, such as smtps://user:password@mail.example.com:465" })
        }
        if (channel.smtpUrl === undefined && defaultSmtp === undefined) {
          issues.push({ path: `${at}.smtpUrl`, message: "no SMTP server: set it here, in alerts.smtpUrl, or in the environment (SMTP_URL)" })
        }
        const smtpUrl = own ?? (channel.smtpUrl === undefined ? defaultSmtp : undefined)
        if (smtpUrl !== undefined) channels.push({ kind: "email", smtpUrl, to: channel.to, from: channel.from })
      } else {
        const url = yield* resolveSecret(channel.url, `${at}.url`, baseDir, issues)
        if (url !== undefined) channels.push({ kind: channel.kind, url })
      }
    }
    if (issues.length > 0) return yield* new SettingsError({ reason: "secret", file, issues })

    const budgets = config.budgets
    const settings: Settings = {
      configFile: file,
      port: Option.getOrUndefined(fromEnv.port) ?? config.server?.port ?? DEFAULT_PORT,
      host: Option.getOrUndefined(fromEnv.host) ?? config.server?.host ?? DEFAULT_HOST,
      publicUrl,
      trustProxy: config.server?.trustProxy,
      timeouts: defined(config.server?.timeouts ?? {}),
      cors: config.cors === undefined || config.cors === false ? config.cors : defined(config.cors),
      publicRateLimit: budgets?.publicRateLimit === false
        ? false
        : budgets?.publicPerMinute !== undefined || budgets?.publicBurst !== undefined
        ? { perMinute: budgets.publicPerMinute ?? 120, burst: budgets.publicBurst ?? 60 }
        : undefined,
      discord: {
        baseUrl: discordBaseUrl.replace(/\/+$/, ""),
        ...(budgets?.discordRequestsPerSecond !== undefined ? { globalRequestsPerSecond: budgets.discordRequestsPerSecond } : {}),
        ...(budgets?.discordUnauthenticatedRequestsPerSecond !== undefined
          ? { unauthenticatedRequestsPerSecond: budgets.discordUnauthenticatedRequestsPerSecond }
          : {})
      },
      redisUrl,
      dataDir: Option.getOrUndefined(fromEnv.dataDir) ?? config.store?.dataDir ?? DEFAULT_DATA_DIR,
      masterKeys,
      adminKey,
      auditRetentionDays: Option.getOrUndefined(fromEnv.auditRetentionDays) ?? DEFAULT_AUDIT_RETENTION_DAYS,
      logLevel: Option.getOrUndefined(fromEnv.logLevel) ?? config.log?.level ?? "info",
      logFormat: Option.getOrUndefined(fromEnv.logFormat) ?? config.log?.format ?? "pretty",
      profiles: config.profiles.map((profile) => {
        const { token: _token, ...input } = encodeProfile(profile)
        return config.display !== undefined && input.display === undefined ? { ...input, display: config.display } : input
      }),
      display: config.display,
      tokens,
      channels,
      otlpEndpoint,
      console: config.console?.enabled === true ? { idleTimeoutMs: (config.console.idleMinutes ?? DEFAULT_CONSOLE_IDLE_MINUTES) * 60_000 } : undefined
    }
    return settings
  })


/** The object without its undefined properties (decoded optional fields may hold undefined). */
const defined = <A extends object>(value: A): { [K in keyof A]: Exclude<A[K], undefined> } =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof A]: Exclude<A[K], undefined> }

/** File, environment and secrets, in one step. */
export const load = (override?: string) => Effect.flatMap(loadFile(override), resolveSettings)

/** Every secret in the settings, for masking in any output. */
export const secretsOf = (settings: Settings): ReadonlyArray<Redacted.Redacted<string>> => [
  ...settings.tokens.values(),
  ...settings.channels.flatMap((c) => (c.kind === "email" ? [c.smtpUrl] : c.kind === "webhook" ? [c.url, c.secret] : [c.url])),
  ...[settings.adminKey, settings.masterKeys, settings.redisUrl].filter((s): s is Redacted.Redacted<string> => s !== undefined)
]

/** What kind of store the settings select, in words for the startup summary (no secrets). */
export const describeStore = (settings: Settings): string => {
  if (settings.redisUrl !== undefined) return `redis ${redactUrl(Redacted.value(settings.redisUrl))} (BullMQ scheduler)`
  return `embedded (libSQL file in ${settings.dataDir})`
}

/** A URL without its password or user name. */
export const redactUrl = (text: string): string => {
  try {
    const url = new URL(text)
    if (url.password !== "") url.password = "***"
    if (url.username !== "") url.username = "***"
    return url.toString().replace(/\/$/, "")
  } catch {
    return "(unparseable URL)"
  }
}

