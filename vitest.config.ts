import { defineConfig } from "vitest/config"

// One root config; every package is a project. The "@guildpulse/source" condition makes workspace
// packages resolve to their TypeScript sources, so tests never depend on a prior build.
export default defineConfig({
  resolve: { conditions: ["@guildpulse/source"] },
  ssr: { resolve: { conditions: ["@guildpulse/source"] } },
  test: {
    projects: ["packages/*", "apps/*"],
    reporters: process.env.CI ? ["default"] : ["default"]
  }
})
