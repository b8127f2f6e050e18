/**
 * `guildpulse.config.json`: the schema of the file `guildpulse serve` reads (published as JSON Schema by
 * `guildpulse config schema`), and its loading with every bad value reported under its path.
 *
 * Secrets (bot tokens, the admin key, master keys, alert URLs) are never written in the file by default: a
 * `SecretRef` names an environment variable (`{ "env": "DISCORD_TOKEN" }`) or a file holding the secret
 * (`{ "file": "./secrets/token" }`, relative to the config file). An inline `{ "value": "…" }` is refused
 * unless the file sets `"allowInlineSecrets": true`.
 */
import { ProfileInput, WidgetOptions } from "@guildpulse/core"
import { Data, Effect, Either, JSONSchema, ParseResult, Schema } from "effect"

export const DEFAULT_CONFIG_PATH = "./guildpulse.config.json"

const EnvName = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: () => "must be an environment variable name such as DISCORD_TOKEN" }),
  Schema.annotations({ description: "Name of an environment variable holding the secret." })
)

export const SecretRef = Schema.Union(
  Schema.Struct({ env: EnvName }).annotations({ title: "From an environment variable" }),
  Schema.Struct({
    file: Schema.String.pipe(Schema.minLength(1)).annotations({
      description: "Path of a file holding the secret (relative to the config file); surrounding whitespace is trimmed."
    })
  }).annotations({ title: "From a file" }),
  Schema.Struct({
    value: Schema.String.pipe(Schema.minLength(1)).annotations({
      description: "The secret itself. Refused unless allowInlineSecrets is true: prefer env or file."
    })
  }).annotations({ title: "Inline (needs allowInlineSecrets)" })
).annotations({ identifier: "SecretRef", description: "Where a secret comes from: { env } or { file } (inline { value } only with allowInlineSecrets)." })
export type SecretRef = typeof SecretRef.Type

export const ConfigProfile = Schema.extend(
  ProfileInput,
  Schema.Struct({
    token: Schema.optional(SecretRef).annotations({
      description: "The profile's bot token (bot source). Stored encrypted by the embedded and Redis stores."
    })
  })
).annotations({ identifier: "Profile", description: "One Discord server shown by GuildPulse." })
export type ConfigProfile = typeof ConfigProfile.Type

const Port = Schema.Int.pipe(Schema.between(0, 65535, { message: () => "must be a port number (0-65535)" }))
const PositiveMs = Schema.Int.pipe(
  Schema.positive({ message: () => "must be a positive number of milliseconds" }),
  Schema.annotations({ description: "Milliseconds (a positive integer)." })
)
const HttpUrl = Schema.String.pipe(
  Schema.filter((s) => {
    try {
      const url = new URL(s)
      return url.protocol === "http:" || url.protocol === "https:"
    } catch {
      return false
    }
  }, { message: () => "must be an absolute http(s) URL", jsonSchema: { format: "uri" } })
)
const Origin = Schema.String.pipe(
  Schema.pattern(/^https?:\/\/[^/\s]+$/, { message: () => "must be an origin such as https://example.com (scheme and host, no path)" })
)

export const AlertChannel = Schema.Union(
  Schema.Struct({ kind: Schema.Literal("webhook"), url: SecretRef, secret: SecretRef }).annotations({
    title: "Signed webhook",
    description: "POSTs signed JSON to url; secret signs it (HMAC)."
  }),
  Schema.Struct({ kind: Schema.Literal("slack"), url: SecretRef }).annotations({ title: "Slack incoming webhook" }),
  Schema.Struct({ kind: Schema.Literal("discord"), url: SecretRef }).annotations({ title: "Discord webhook" }),
  Schema.Struct({
    kind: Schema.Literal("email"),
    smtpUrl: Schema.optional(SecretRef).annotations({
      description: "SMTP server, smtp(s)://user:password@host:port (default: alerts.smtpUrl, env SMTP_URL wins over that)."
    }),
    to: Schema.NonEmptyArray(Schema.String.pipe(Schema.pattern(/^[^@\s]+@[^@\s]+$/, { message: () => "must be an e-mail address" }))),
    from: Schema.optional(Schema.String)
  }).annotations({ title: "E-mail over SMTP" })
).annotations({ identifier: "AlertChannel" })
export type AlertChannel = typeof AlertChannel.Type

export const LogLevelName = Schema.Literal("all", "trace", "debug", "info", "warning", "error", "fatal", "none")
export const LogFormatName = Schema.Literal("json", "pretty")

const uniqueKeys = (profiles: ReadonlyArray<{ readonly key: string }>): ReadonlyArray<ParseResult.ParseIssue> | undefined => {
  const seen = new Set<string>()
  const issues: Array<ParseResult.ParseIssue> = []
  profiles.forEach((profile, index) => {
    if (seen.has(profile.key)) {
      issues.push(new ParseResult.Pointer([index, "key"], profiles, new ParseResult.Type(Schema.String.ast, profile.key, `duplicate profile key '${profile.key}'`)))
    }
    seen.add(profile.key)
  })
  return issues.length === 0 ? undefined : issues
}

export const GuildPulseConfig = Schema.Struct({
  $schema: Schema.optional(Schema.String).annotations({ description: "Path or URL of this file's JSON Schema (for editors)." }),
  server: Schema.optional(
    Schema.Struct({
      port: Schema.optional(Port).annotations({ description: "Port to listen on (env PORT wins). Default 8787." }),
      host: Schema.optional(Schema.String.pipe(Schema.minLength(1))).annotations({
        description: "Interface to bind (env HOST wins). Default 127.0.0.1."
      }),
      publicUrl: Schema.optional(HttpUrl).annotations({
        description: "Absolute URL where the server is reachable, for links in widgets (env GUILDPULSE_PUBLIC_URL wins)."
      }),
      trustProxy: Schema.optional(Schema.Union(Schema.Boolean, Schema.Int, Schema.String)).annotations({
        description: "Express 'trust proxy' (e.g. 1 behind one reverse proxy). Default false."
      }),
      timeouts: Schema.optional(
        Schema.Struct({
          headersMs: Schema.optional(PositiveMs),
          requestMs: Schema.optional(PositiveMs),
          keepAliveMs: Schema.optional(PositiveMs)
        })
      ).annotations({ description: "Client timeouts (defaults 10 s headers, 30 s request, 5 s keep-alive)." })
    })
  ).annotations({ description: "The HTTP server." }),
  cors: Schema.optional(
    Schema.Union(
      Schema.Literal(false),
      Schema.Struct({
        origins: Schema.Union(Schema.Literal("*"), Schema.Array(Origin)).annotations({
          description: "Origins allowed to read the public routes: \"*\" (default) or a list."
        }),
        adminOrigins: Schema.optional(Schema.Array(Origin)).annotations({ description: "Origins allowed to call the admin API." }),
        maxAgeSeconds: Schema.optional(Schema.Int.pipe(Schema.between(0, 86_400)))
      })
    )
  ).annotations({ description: "CORS of the public routes (default any origin), and of the admin API (none); false disables CORS." }),
  budgets: Schema.optional(
    Schema.Struct({
      publicPerMinute: Schema.optional(Schema.Int.pipe(Schema.positive())).annotations({
        description: "Sustained public requests per minute per client (default 120). Cached answers are never refused."
      }),
      publicBurst: Schema.optional(Schema.Int.pipe(Schema.positive())).annotations({ description: "Public burst per client (default 60)." }),
      publicRateLimit: Schema.optional(Schema.Boolean).annotations({ description: "false disables the public rate limit." }),
      discordRequestsPerSecond: Schema.optional(Schema.Int.pipe(Schema.between(1, 50))).annotations({
        description: "Requests per second per bot token sent to Discord (default 50, Discord's global limit)."
      }),
      discordUnauthenticatedRequestsPerSecond: Schema.optional(Schema.Int.pipe(Schema.between(1, 50))).annotations({
        description: "Requests per second without a token (widget, invite) (default 50)."
      })
    })
  ).annotations({ description: "Request budgets: what visitors may ask of this server, and what it may ask of Discord." }),
  display: Schema.optional(WidgetOptions).annotations({
    description: "Display defaults of the card for profiles that set no display of their own."
  }),
  alerts: Schema.optional(
    Schema.Struct({
      channels: Schema.Array(AlertChannel).annotations({ description: "Signed webhooks, Slack, Discord webhooks, e-mail; URLs are secret references." }),
      smtpUrl: Schema.optional(SecretRef).annotations({
        description: "SMTP server of the e-mail channels that name none, smtp(s)://user:password@host:port (env SMTP_URL wins)."
      })
    })
  ).annotations({ description: "Where alerts and weekly digests go." }),
  discord: Schema.optional(
    Schema.Struct({
      apiBaseUrl: Schema.optional(HttpUrl).annotations({
        description: "Discord API base without the version (env DISCORD_API_BASE_URL wins). Default Discord's own."
      })
    })
  ).annotations({ description: "Where Discord is." }),
  store: Schema.optional(
    Schema.Struct({
      dataDir: Schema.optional(Schema.String.pipe(Schema.minLength(1))).annotations({
        description: "Directory of the embedded store (env GUILDPULSE_DATA_DIR wins). Default ./.guildpulse."
      }),
      redisUrl: Schema.optional(SecretRef).annotations({
        description: "Redis URL: switches stores and the scheduler to Redis/BullMQ (env REDIS_URL wins)."
      })
    })
  ).annotations({ description: "Where data is kept: the embedded store, or Redis." }),
  adminKey: Schema.optional(SecretRef).annotations({
    description: "The bootstrap admin API key, at least 16 characters (env GUILDPULSE_ADMIN_KEY wins)."
  }),
  masterKeys: Schema.optional(SecretRef).annotations({
    description: "Keys sealing stored tokens: kid:base64key,… first is active (env GUILDPULSE_MASTER_KEYS wins)."
  }),
  telemetry: Schema.optional(
    Schema.Struct({
      otlpEndpoint: Schema.optional(HttpUrl).annotations({
        description: "OTLP/HTTP collector base URL; traces go to <endpoint>/v1/traces (env OTEL_EXPORTER_OTLP_ENDPOINT wins). Default: no export."
      })
    })
  ).annotations({ description: "Traces (OpenTelemetry)." }),
  log: Schema.optional(
    Schema.Struct({
      level: Schema.optional(LogLevelName).annotations({ description: "Lowest level logged (env LOG_LEVEL wins). Default info." }),
      format: Schema.optional(LogFormatName).annotations({ description: "json or pretty (env LOG_FORMAT wins). Default pretty." })
    })
  ).annotations({ description: "Logs (stdout)." }),
  console: Schema.optional(
    Schema.Struct({
      enabled: Schema.Boolean.annotations({ description: "Serve the operator console at /console (sign-in with an API key). Default false." }),
      idleMinutes: Schema.optional(Schema.Int.pipe(Schema.between(1, 1440, { message: () => "must be an integer from 1 to 1440" }))).annotations({
        description: "A console session ends after this many minutes without a request. Default 30."
      })
    })
  ).annotations({ description: "The operator console (server-rendered pages; off unless enabled, on with --sandbox)." }),
  allowInlineSecrets: Schema.optional(Schema.Boolean).annotations({
    description: "Accept secrets written in this file ({ \"value\": … }). Default false."
  }),
  profiles: Schema.Array(ConfigProfile)
    .pipe(Schema.filter(uniqueKeys))
    .annotations({ description: "The Discord servers to show; each key appears once." })
}).annotations({
  identifier: "GuildPulseConfig",
  title: "GuildPulse configuration",
  description: "guildpulse.config.json, read by `guildpulse serve` (GUILDPULSE_CONFIG names another file)."
})
export type GuildPulseConfig = typeof GuildPulseConfig.Type

/** One bad value: where (`profiles[1].guildId`) and what is wrong with it. */
export interface ConfigIssue {
  readonly path: string
  readonly message: string
}

export class ConfigFileError extends Data.TaggedError("ConfigFileError")<{
  readonly file: string
  readonly reason: "missing" | "unreadable" | "json" | "invalid"
  readonly issues: ReadonlyArray<ConfigIssue>
}> {
  override get message(): string {
    return `${this.file}: ${this.issues.map((i) => (i.path === "" ? i.message : `${i.path}: ${i.message}`)).join("; ")}`
  }
}

/** `["profiles", 1, "guildId"]` → `profiles[1].guildId`. */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>((out, part) => (typeof part === "number" ? `${out}[${part}]` : out === "" ? String(part) : `${out}.${String(part)}`), "")

const issuesOf = (error: ParseResult.ParseError): ReadonlyArray<ConfigIssue> => {
  const seen = new Set<string>()
  const out: Array<ConfigIssue> = []
  for (const issue of ParseResult.ArrayFormatter.formatErrorSync(error)) {
    const path = formatPath(issue.path)
    const message = issue._tag === "Missing" ? "is required" : issue._tag === "Unexpected" ? "is not a known setting" : issue.message
    // Optional settings add a second branch ("Expected undefined") to every failure beneath them: noise.
    if (message.startsWith("Expected undefined")) continue
    const line = `${path}\u0000${message}`
    if (seen.has(line)) continue
    seen.add(line)
    out.push({ path, message })
  }
  return out
}

const decode = Schema.decodeUnknownEither(GuildPulseConfig, { errors: "all", onExcessProperty: "error" })

/** Where inline secrets are used although `allowInlineSecrets` is not set. */
const inlineSecrets = (config: GuildPulseConfig): ReadonlyArray<ConfigIssue> => {
  if (config.allowInlineSecrets === true) return []
  const refs: Array<[string, SecretRef | undefined]> = [
    ["adminKey", config.adminKey],
    ["masterKeys", config.masterKeys],
    ["store.redisUrl", config.store?.redisUrl],
    ["alerts.smtpUrl", config.alerts?.smtpUrl],
    ...config.profiles.map((p, i): [string, SecretRef | undefined] => [`profiles[${i}].token`, p.token]),
    ...(config.alerts?.channels ?? []).flatMap((c, i): Array<[string, SecretRef | undefined]> => {
      const at = `alerts.channels[${i}]`
      switch (c.kind) {
        case "webhook":
          return [[`${at}.url`, c.url], [`${at}.secret`, c.secret]]
        case "email":
          return [[`${at}.smtpUrl`, c.smtpUrl]]
        default:
          return [[`${at}.url`, c.url]]
      }
    })
  ]
  return refs
    .filter(([, ref]) => ref !== undefined && "value" in ref)
    .map(([path]) => ({
      path: `${path}.value`,
      message: 'secrets are not written in the config file: use { "env": "NAME" } or { "file": "./path" } (or set "allowInlineSecrets": true)'
    }))
}

/** Decodes the text of a config file: JSON syntax, the schema, and the inline-secret rule. */
export const parse = (file: string, text: string): Either.Either<GuildPulseConfig, ConfigFileError> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return Either.left(
      new ConfigFileError({ file, reason: "json", issues: [{ path: "", message: `is not valid JSON (${error instanceof Error ? error.message : String(error)})` }] })
    )
  }
  const decoded = decode(json)
  if (Either.isLeft(decoded)) return Either.left(new ConfigFileError({ file, reason: "invalid", issues: issuesOf(decoded.left) }))
  const inline = inlineSecrets(decoded.right)
  if (inline.length > 0) return Either.left(new ConfigFileError({ file, reason: "invalid", issues: inline }))
  return Either.right(decoded.right)
}

/** The JSON Schema of the config file (draft-07), for editors. */
export const jsonSchema = (): JSONSchema.JsonSchema7Root => JSONSchema.make(GuildPulseConfig)

/** A config file's text with nothing but an empty profile list — what `serve` runs when there is no file. */
export const empty: GuildPulseConfig = { profiles: [] }

/** Reads `path` relative to the working directory. */
export const load = (file: string, readText: (file: string) => Effect.Effect<string, { readonly reason: "missing" | "unreadable"; readonly message: string }>) =>
  Effect.flatMap(
    Effect.mapError(readText(file), (e) => new ConfigFileError({ file, reason: e.reason, issues: [{ path: "", message: e.message }] })),
    (text) => Either.match(parse(file, text), { onLeft: Effect.fail, onRight: Effect.succeed })
  )
