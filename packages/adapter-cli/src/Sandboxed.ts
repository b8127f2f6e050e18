/**
 * `guildpulse serve --sandbox`: the production composition against the FakeDiscord sandbox, started in this
 * process (API and CDN on a port of its own), with the sandbox's sample profiles when the settings have none,
 * a month of analytics history from the sandbox's curve (labelled demo), the operator console on, and
 * everything in memory unless asked otherwise. The demo (`npm start`) is this composition with its own
 * profiles, a shared movable clock and its pages.
 */
import { FakeDiscord, type FakeDiscordServer } from "@guildpulse/connector-discord/sandbox"
import type { RequestHandler } from "express"
import * as Composition from "./Composition.js"
import * as SandboxHistory from "./SandboxHistory.js"
import { sandboxProfiles, sandboxTokens } from "./SandboxProfiles.js"
import { DEFAULT_CONSOLE_IDLE_MINUTES, type Settings } from "./Settings.js"

export interface SandboxedOptions extends Omit<Composition.ServeOptions, "discordBaseUrl" | "discordCdnUrl" | "memory" | "pages"> {
  /** Keep everything in memory (default true: the sandbox's numbers are not worth keeping). */
  readonly memory?: boolean
  /** Port of the sandbox's own HTTP server (default: a free port). */
  readonly sandboxPort?: number
  /** Express handlers served ahead of the API, given the engine and the sandbox (the demo's pages and controls). */
  readonly pages?: (context: SandboxedPagesContext) => ReadonlyArray<RequestHandler>
}

export interface SandboxedPagesContext extends Composition.PagesContext {
  readonly sandbox: FakeDiscordServer
  /** The settings it runs with (sample profiles filled in). */
  readonly settings: Settings
}

export interface RunningSandboxed extends Composition.Running {
  readonly sandbox: FakeDiscordServer
  /** The settings it runs with (sample profiles filled in). */
  readonly settings: Settings
  /** The Discord line of the startup summary. */
  readonly discord: string
  /** The startup summary (`Composition.summary`). */
  readonly summary: string
}

/** Starts the sandbox, then the composition against it; `close` stops both (the engine first). */
export const start = async (options: SandboxedOptions): Promise<RunningSandboxed> => {
  const clock = options.clock
  const sandbox = await FakeDiscord.start({ port: options.sandboxPort ?? 0, ...(clock !== undefined ? { now: () => clock.unsafeCurrentTimeMillis() } : {}) })
  const given = options.settings.profiles.length === 0 ? { ...options.settings, profiles: sandboxProfiles, tokens: sandboxTokens() } : options.settings
  // The sandbox is for trying things: its operator console is on.
  const settings = given.console === undefined ? { ...given, console: { idleTimeoutMs: DEFAULT_CONSOLE_IDLE_MINUTES * 60_000 } } : given
  const memory = options.memory ?? true
  const { pages, sandboxPort: _sandboxPort, ...serve } = options
  let running: Composition.Running
  try {
    running = await Composition.start({
      ...serve,
      settings,
      memory,
      discordBaseUrl: sandbox.apiUrl,
      discordCdnUrl: sandbox.cdnUrl,
      // A month of history from the sandbox's curve, labelled demo (see SandboxHistory).
      afterSeed: options.afterSeed ?? ((profiles) => SandboxHistory.fill(sandbox.fixtures, profiles)),
      ...(pages !== undefined ? { pages: (context: Composition.PagesContext) => pages({ ...context, sandbox, settings }) } : {})
    })
  } catch (error) {
    await sandbox.stop()
    throw error
  }
  const discord = `${sandbox.apiUrl} (sandbox in this process; controls at ${sandbox.url}/__sandbox/stats)`
  return {
    ...running,
    sandbox,
    settings,
    discord,
    summary: Composition.summary(settings, running, { role: options.role, discord, memory }),
    close: async () => {
      await running.close()
      await sandbox.stop()
    }
  }
}
