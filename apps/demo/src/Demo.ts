/**
 * The demo: `guildpulse serve --sandbox` (adapter-cli's `Sandboxed.start`, the production composition against
 * FakeDiscord in this process) configured with the demo's sample profiles, one movable clock for the sandbox
 * and the engine, and the demo's pages and sandbox controls served ahead of the API. Not a second server: the
 * stores, API keys, audit log, observability routes and HTTP server are the composition's.
 */
import { randomBytes } from "node:crypto"
import type { Server } from "node:http"
import { ConfigFile, Sandboxed, Settings } from "@guildpulse/cli"
import type { FakeDiscordServer } from "@guildpulse/connector-discord/sandbox"
import type { Profile } from "@guildpulse/core"
import { ConfigProvider, Effect, Redacted } from "effect"
import * as DemoClock from "./DemoClock.js"
import * as Pages from "./Pages.js"
import { sampleProfileInputs, sampleTokens } from "./SampleProfiles.js"

export interface DemoOptions {
  /**
   * The `serve` settings to start from (`npm start`: the environment's — PORT, HOST, GUILDPULSE_ADMIN_KEY,
   * GUILDPULSE_PUBLIC_URL, LOG_LEVEL, LOG_FORMAT, OTEL_EXPORTER_OTLP_ENDPOINT). Default: `serve`'s defaults.
   * The demo's profiles, tokens and in-memory store replace whatever they say about those.
   */
  readonly settings?: Settings.Settings
  readonly port?: number
  readonly host?: string
  /** The bootstrap admin key; generated when neither this nor the settings have one. */
  readonly adminKey?: string
  /** Port of the sandbox's own HTTP server (default: a free port). */
  readonly sandboxPort?: number
  /** Shared clock of sandbox and engine (tests move it forward). */
  readonly clock?: DemoClock.DemoClock
  /** Run the background scheduler (default true). */
  readonly scheduler?: boolean
  /** Log records as the settings say (default true). Tests turn it off to keep their output quiet. */
  readonly telemetryFromEnv?: boolean
  /** Absolute URL the API is reachable at (GUILDPULSE_PUBLIC_URL); default: links relative to the page. */
  readonly publicUrl?: string
}

export interface RunningDemo {
  readonly url: string
  readonly adminKey: string
  readonly adminKeyGenerated: boolean
  readonly sandbox: FakeDiscordServer
  readonly server: Server
  readonly clock: DemoClock.DemoClock
  readonly profiles: ReadonlyArray<Profile>
  /** The composition's startup summary (the lines `guildpulse serve --sandbox` prints). */
  readonly summary: string
  readonly close: () => Promise<void>
}

export const generateAdminKey = (): string => `gp_admin_${randomBytes(18).toString("base64url")}`

/** `serve`'s settings with no config file and an empty environment. */
export const defaultSettings: Effect.Effect<Settings.Settings, Settings.SettingsError> = Settings.resolveSettings({ file: undefined, config: ConfigFile.empty }).pipe(
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))
)

/** The demo's configuration of `serve --sandbox`: its sample profiles and tokens, everything in memory. */
export const configure = (base: Settings.Settings, options: DemoOptions & { readonly adminKey: string }): Settings.Settings => ({
  ...base,
  configFile: undefined,
  // Nothing of the demo is worth keeping, and it must start without any server of its own: no Redis.
  redisUrl: undefined,
  port: options.port ?? base.port,
  host: options.host ?? base.host,
  publicUrl: options.publicUrl ?? base.publicUrl,
  adminKey: Redacted.make(options.adminKey),
  profiles: sampleProfileInputs,
  tokens: new Map(Object.entries(sampleTokens).map(([key, token]) => [key, Redacted.make(token)]))
})

export const start = async (options: DemoOptions = {}): Promise<RunningDemo> => {
  const clock = options.clock ?? DemoClock.make()
  const base = options.settings ?? (await Effect.runPromise(defaultSettings))
  const given = options.adminKey ?? (base.adminKey !== undefined ? Redacted.value(base.adminKey) : undefined)
  const adminKey = given ?? generateAdminKey()
  const settings = configure(base, { ...options, adminKey })
  const running = await Sandboxed.start({
    settings,
    role: "all",
    memory: true,
    clock: clock.effectClock,
    ...(options.sandboxPort !== undefined ? { sandboxPort: options.sandboxPort } : {}),
    ...(options.scheduler === false ? { scheduler: false } : {}),
    ...(options.telemetryFromEnv === false ? { logging: false } : {}),
    pages: ({ runtime, sandbox }) => [Pages.router({ runtime, sandbox, adminKey, publicUrl: settings.publicUrl })]
  })
  const listening = running.listening
  if (listening === undefined) throw new Error("the demo runs with role all: it always listens")
  return {
    url: listening.url,
    adminKey,
    adminKeyGenerated: given === undefined,
    sandbox: running.sandbox,
    server: listening.server,
    clock,
    profiles: running.profiles,
    summary: running.summary,
    close: running.close
  }
}
