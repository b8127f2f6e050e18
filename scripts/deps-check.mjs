#!/usr/bin/env node
/**
 * Every package imported by a workspace must be declared by it: a bare import (static, dynamic, `require`,
 * `export … from`) in a workspace's sources must name one of its `dependencies`, `peerDependencies` or
 * `optionalDependencies`; its tests, benches and scripts may also use its `devDependencies` and the root's
 * (the shared dev tools: vitest, tsx, typescript…). Node built-ins and the workspace's own name pass.
 * Imports are read with TypeScript's pre-processor, so comments and strings are not mistaken for imports;
 * `require.resolve(…)` and `import.meta.resolve(…)` of a package path count too (files read from a package, such as
 * axe-core's script). `OPTIONAL` lists the few dev-only fallbacks a shipped file loads inside a try/catch.
 *
 *   node scripts/deps-check.mjs [repo]   # exits 1 and lists each undeclared import (file:line → package)
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { builtinModules } from "node:module"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

// The repository to check: the one this script is in, or the directory given as the first argument.
const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..")
const builtins = new Set(builtinModules)
const SOURCE = /\.(?:[cm]?[jt]s|tsx)$/
/** Folders of a workspace that ship (runtime dependencies only) and those that do not (dev too). */
const SHIPPED = ["src", "bin"]
const DEV_ONLY = ["test", "tests", "bench", "scripts", "examples"]

/** Shipped file → devDependencies it may load as an optional fallback (each must be a devDependency). */
const OPTIONAL = {
  // Runs the sandbox from TypeScript sources when dist/ is missing (a repository checkout); users get dist/.
  "packages/connector-discord/bin/guildpulse-sandbox.mjs": ["tsx"]
}

const readJson = (path) => JSON.parse(readFileSync(path, "utf8"))
const names = (pkg, fields) => new Set(fields.flatMap((field) => Object.keys(pkg[field] ?? {})))
const RUNTIME = ["dependencies", "peerDependencies", "optionalDependencies"]

const files = (dir) => {
  let entries
  try {
    entries = readdirSync(dir)
  } catch {
    return []
  }
  return entries.flatMap((name) => {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) return []
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : SOURCE.test(name) && !name.endsWith(".d.ts") ? [path] : []
  })
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`; relative, absolute, `node:` and `#` → undefined. */
export const packageOf = (specifier) => {
  if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("#") || specifier.includes(":")) return undefined
  const parts = specifier.split("/")
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]
  return builtins.has(name) ? undefined : name
}

const lineOf = (text, pos) => text.slice(0, pos).split("\n").length

const RESOLVE = /\b(?:require|import\.meta|createRequire\([^)]*\))\.resolve\(\s*["'`]([^"'`]+)["'`]/g

/** Every module specifier of a file, with its position. */
const specifiers = (text) => [
  ...ts.preProcessFile(text, true, true).importedFiles.map((ref) => ({ specifier: ref.fileName, pos: ref.pos })),
  ...[...text.matchAll(RESOLVE)].map((m) => ({ specifier: m[1], pos: m.index }))
]

const rootPkg = readJson(join(root, "package.json"))
const rootDev = names(rootPkg, ["dependencies", "devDependencies"])
const workspaces = (rootPkg.workspaces ?? []).flatMap((pattern) => {
  const base = pattern.replace(/\/\*$/, "")
  return readdirSync(join(root, base)).map((name) => join(root, base, name)).filter((dir) => {
    try {
      return statSync(join(dir, "package.json")).isFile()
    } catch {
      return false
    }
  })
})

const problems = []
const check = (dir, folders, allowed, where, dev) => {
  for (const folder of folders) {
    for (const file of files(join(dir, folder))) {
      const text = readFileSync(file, "utf8")
      const optional = OPTIONAL[relative(root, file).split("\\").join("/")] ?? []
      for (const ref of specifiers(text)) {
        const name = packageOf(ref.specifier)
        if (name === undefined || allowed.has(name)) continue
        if (optional.includes(name) && dev?.has(name)) continue
        problems.push(`${relative(root, file)}:${lineOf(text, ref.pos)} imports "${name}", not declared ${where}`)
      }
    }
  }
}

for (const dir of workspaces) {
  const pkg = readJson(join(dir, "package.json"))
  const runtime = new Set([pkg.name, ...names(pkg, RUNTIME)])
  const dev = new Set([...runtime, ...names(pkg, ["devDependencies"]), ...rootDev])
  const at = relative(root, join(dir, "package.json"))
  check(dir, SHIPPED, runtime, `in ${at} (dependencies or peerDependencies)`, names(pkg, ["devDependencies"]))
  check(dir, DEV_ONLY, dev, `in ${at} or the root package.json`)
}
// The repository's own scripts, benches and config files: the root's declarations and the workspaces
// (linked into the root's node_modules by npm).
const rootAllowed = new Set([...rootDev, ...workspaces.map((dir) => readJson(join(dir, "package.json")).name)])
check(root, ["scripts", "bench"], rootAllowed, "in the root package.json")
for (const name of readdirSync(root)) {
  if (!SOURCE.test(name)) continue
  const text = readFileSync(join(root, name), "utf8")
  for (const ref of specifiers(text)) {
    const pkg = packageOf(ref.specifier)
    if (pkg !== undefined && !rootAllowed.has(pkg)) problems.push(`${name}:${lineOf(text, ref.pos)} imports "${pkg}", not declared in the root package.json`)
  }
}

if (problems.length > 0) {
  console.error(`deps-check: ${problems.length} undeclared import(s):\n  ${problems.join("\n  ")}`)
  process.exit(1)
}
console.log(`deps-check: every bare import of ${workspaces.length} workspaces and the root is declared`)
