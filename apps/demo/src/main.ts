/**
 * `npm start`: the GuildPulse demo — `guildpulse serve --sandbox` with the demo's sample profiles and pages.
 * Reads the environment as `serve` does (PORT 8787, HOST 127.0.0.1, GUILDPULSE_ADMIN_KEY — generated and
 * printed when unset —, GUILDPULSE_PUBLIC_URL, LOG_LEVEL, LOG_FORMAT, OTEL_EXPORTER_OTLP_ENDPOINT), starts
 * everything, prints the composition's summary and the demo's URLs, and stops cleanly on Ctrl-C.
 */
import { ConfigFile, Settings } from "@guildpulse/cli"
import { Effect, Either } from "effect"
import * as Demo from "./Demo.js"

const main = async () => {
  // The environment only: the demo is its own configuration (no config file is read).
  const loaded = await Effect.runPromise(Effect.either(Settings.resolveSettings({ file: undefined, config: ConfigFile.empty })))
  if (Either.isLeft(loaded)) {
    console.error(`Invalid environment for the demo:\n${loaded.left.issues.map((i) => `  ${i.path}: ${i.message}`).join("\n")}\nExample: PORT=8787 npm start`)
    process.exit(2)
  }
  const settings = loaded.right
  const demo = await Demo.start({ settings }).catch((error: unknown) => {
    const code = typeof error === "object" && error !== null && "code" in error ? (error as { code?: unknown }).code : undefined
    if (code === "EADDRINUSE") console.error(`Port ${settings.port} is already in use. Stop the other program or choose another: PORT=8788 npm start`)
    else console.error("The demo could not start:", error instanceof Error ? error.message : error)
    process.exit(1)
  })
  const lines = [
    demo.summary,
    "",
    "GuildPulse demo is running",
    "",
    `  Demo page        ${demo.url}/`,
    ...["small", "large", "no-widget"].map((key) => `  Themes (${key})${" ".repeat(Math.max(1, 10 - key.length))}${demo.url}/demo/themes/${key}`),
    `  Stats JSON       ${demo.url}/v1/profiles/small/stats`,
    `  Badge            ${demo.url}/v1/profiles/large/badge.svg`,
    `  OpenAPI          ${demo.url}/openapi.json`,
    `  Console          ${demo.url}/console/  (sign in with the admin key)`,
    `  FakeDiscord      ${demo.sandbox.apiUrl}/v10  (controls: ${demo.sandbox.url}/__sandbox/stats, icons: ${demo.sandbox.cdnUrl})`,
    "",
    demo.adminKeyGenerated
      ? `  Admin key (generated for this run; set GUILDPULSE_ADMIN_KEY to choose one):\n    ${demo.adminKey}`
      : "  Admin key: from GUILDPULSE_ADMIN_KEY",
    `  Try: curl -H "Authorization: Bearer <admin key>" ${demo.url}/v1/profiles`,
    "",
    "Press Ctrl-C to stop."
  ]
  console.log(lines.join("\n"))
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    console.log(`\n${signal}: stopping…`)
    await demo.close()
    process.exit(0)
  }
  process.on("SIGINT", () => void stop("SIGINT"))
  process.on("SIGTERM", () => void stop("SIGTERM"))
}

void main()
