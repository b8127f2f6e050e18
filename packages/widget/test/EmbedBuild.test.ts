import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { embedScript } from "../src/index.js"

const packageDir = fileURLToPath(new URL("..", import.meta.url))

const sourceFiles = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : []
  )

describe("embed.js is a build product", () => {
  it("is served byte for byte from dist/embed.min.js (made by the build, here by the test setup)", () => {
    expect(embedScript()).toBe(readFileSync(join(packageDir, "dist/embed.min.js"), "utf8"))
  })

  it("is never bundled at run time: nothing under src/ loads esbuild", () => {
    const loaders = sourceFiles(join(packageDir, "src")).filter((file) => /["']esbuild["']/.test(readFileSync(file, "utf8")))
    expect(loaders).toEqual([])
  })
})
