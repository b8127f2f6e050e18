#!/usr/bin/env node
// Installs the packages the way a user does and runs their READMEs' examples.
//
// 1. `npm pack` every publishable package (prepack builds it first; a cached turbo build is instant).
// 2. For each package README: a fresh temporary project, `npm install` with exactly the README's install line,
//    where `@guildpulse/*` names are replaced by the tarballs (plus the tarballs of the @guildpulse packages they
//    depend on, which are not on a registry yet). Nothing else is installed.
// 3. Every example file the README shows (`<!-- example: … -->` blocks, see scripts/readme-examples.mjs) is
//    transpiled (types stripped, nothing bundled) into the project and run with plain `node`; servers are started,
//    awaited through their "listening on <url>" line, and probed over HTTP.
//
// Needs the npm registry (for effect, express, …) and nothing else. Prints how long each step took.
// Usage: node scripts/pack-check.mjs [--keep] [--only core,widget]
/* global AbortSignal */
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { basename, dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { transformSync } from "esbuild"
import { blocks } from "./readme-examples.mjs"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const args = process.argv.slice(2)
const keep = args.includes("--keep")
const onlyArg = args.find((arg) => arg.startsWith("--only="))?.slice("--only=".length) ?? (args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined)
const only = onlyArg === undefined ? undefined : new Set(onlyArg.split(","))

const env = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: "1",
  DO_NOT_TRACK: "1",
  npm_config_audit: "false",
  npm_config_fund: "false",
  npm_config_update_notifier: "false",
  npm_config_loglevel: "error"
}
// The examples run as a user's program would: no workspace conditions, no test settings.
delete env.NODE_OPTIONS
delete env.VITEST

const started = Date.now()
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`
const log = (message) => console.log(`[pack-check ${seconds(Date.now() - started).padStart(7)}] ${message}`)
const failures = []
const fail = (where, message) => {
  failures.push(`${where}: ${message}`)
  console.error(`  ✗ ${where}: ${message}`)
}
const ok = (where, message) => console.log(`  ✓ ${where}: ${message}`)

const run = (command, commandArgs, options) => {
  const result = spawnSync(command, commandArgs, { encoding: "utf8", env, maxBuffer: 64 * 1024 * 1024, ...options })
  if (result.error !== undefined) throw result.error
  return result
}

// --- 1. pack -------------------------------------------------------------------------------------
const work = mkdtempSync(join(tmpdir(), "guildpulse-pack-check-"))
const tarballDir = join(work, "tarballs")
mkdirSync(tarballDir)

const packages = readdirSync(join(root, "packages"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(root, "packages", entry.name, "package.json")))
  .map((entry) => {
    const dir = join(root, "packages", entry.name)
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))
    return { short: entry.name, dir, manifest, name: manifest.name }
  })
  .filter((pkg) => pkg.manifest.private !== true)

log(`npm pack ${packages.length} packages into ${tarballDir}`)
const packStart = Date.now()
const pack = run("npm", ["pack", "--json", "--pack-destination", tarballDir, ...packages.flatMap((pkg) => ["--workspace", pkg.name])], { cwd: root })
if (pack.status !== 0) {
  console.error(pack.stdout, pack.stderr)
  throw new Error("npm pack failed")
}
const packed = JSON.parse(pack.stdout)
const tarballOf = new Map(packed.map((entry) => [entry.name, join(tarballDir, entry.filename)]))
/** Every file a package's manifest points at (exports except the workspace-only source condition, main, bin…). */
const declaredFiles = (manifest) => {
  const found = new Set(["package.json", "LICENSE"])
  const walk = (value, key) => {
    if (typeof value === "string") {
      if (key !== "@guildpulse/source" && value.startsWith("./") && !value.includes("*")) found.add(value.slice(2))
    } else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, k)
  }
  walk(manifest.exports)
  for (const field of ["main", "module", "types"]) if (typeof manifest[field] === "string") found.add(manifest[field].replace(/^\.\//, ""))
  walk(typeof manifest.bin === "string" ? { bin: manifest.bin } : manifest.bin)
  return [...found].map((file) => file.replace(/^\.\//, ""))
}
for (const entry of packed) {
  const pkg = packages.find((candidate) => candidate.name === entry.name)
  const files = new Set(entry.files.map((file) => file.path))
  const expected = [...declaredFiles(pkg.manifest), ...(existsSync(join(pkg.dir, "README.md")) ? ["README.md"] : [])]
  const missing = expected.filter((file) => !files.has(file))
  if (missing.length > 0) fail(entry.name, `tarball lacks ${missing.join(", ")}`)
  else ok(entry.name, `${entry.filename}: ${entry.entryCount} files, ${(entry.size / 1024).toFixed(0)} kB`)
}
log(`packed in ${seconds(Date.now() - packStart)}`)

// --- helpers ------------------------------------------------------------------------------------
/** The `npm install …` line of a README's first sh block (a trailing `# comment` removed). */
const installLine = (readme) => {
  const text = readFileSync(readme, "utf8")
  const match = /```sh\n([\s\S]*?)```/.exec(text)
  const line = match?.[1].split("\n").find((l) => l.startsWith("npm install "))
  if (line === undefined) throw new Error(`${relative(root, readme)}: no \`npm install\` line in its first sh block`)
  return line.replace(/\s+#.*$/, "").trim()
}

/** The @guildpulse packages a package needs at run time (dependencies, transitively). */
const workspaceClosure = (name, seen = new Set()) => {
  if (seen.has(name)) return seen
  seen.add(name)
  const pkg = packages.find((candidate) => candidate.name === name)
  for (const dep of Object.keys(pkg?.manifest.dependencies ?? {})) if (dep.startsWith("@guildpulse/")) workspaceClosure(dep, seen)
  return seen
}

const freePort = () =>
  new Promise((resolvePort, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => resolvePort(port))
    })
  })

/** Starts `node file` in `cwd`, resolves with the first `listening on <url>` it prints. */
const startServer = (cwd, file, extraEnv, timeoutMs = 60_000) =>
  new Promise((resolveStart, reject) => {
    const child = spawn(process.execPath, [file], { cwd, env: { ...env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    let listening = false
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`no "listening on" line within ${timeoutMs / 1000} s; output:\n${output}`))
    }, timeoutMs)
    // Keep draining both pipes for the server's whole life, so that a chatty server never blocks on a full pipe.
    child.stdout.on("data", (chunk) => {
      output += chunk
      const match = listening ? null : /listening on (http:\/\/\S+)/.exec(output)
      if (match !== null) {
        listening = true
        clearTimeout(timer)
        resolveStart({ child, url: match[1], output: () => output })
      }
    })
    child.stderr.on("data", (chunk) => (output += chunk))
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`exited with ${code} before listening; output:\n${output}`))
    })
  })

const stopServer = (child) =>
  new Promise((resolveStop) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolveStop()
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000)
    child.once("exit", () => {
      clearTimeout(timer)
      resolveStop()
    })
    child.kill("SIGTERM")
  })

const expectHttp = async (where, url, check) => {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(30_000) })
    const body = await response.text()
    const problem = response.status !== 200 ? `status ${response.status}: ${body.slice(0, 300)}` : check?.(response, body)
    if (problem) fail(where, `GET ${url} → ${problem}`)
    else ok(where, `GET ${new URL(url).pathname}${new URL(url).search} → 200 ${response.headers.get("content-type") ?? ""}`)
  } catch (error) {
    fail(where, `GET ${url} → ${error.message}`)
  }
}

const runToEnd = (where, cwd, file, extraEnv, expectOutput) => {
  const result = run(process.execPath, [file], { cwd, env: { ...env, ...extraEnv }, timeout: 120_000 })
  const output = `${result.stdout}${result.stderr}`
  if (result.status !== 0) return fail(where, `exit ${result.status ?? result.signal}:\n${output}`)
  const missing = expectOutput.filter((pattern) => !pattern.test(result.stdout))
  if (missing.length > 0) return fail(where, `output lacks ${missing.join(", ")}:\n${output}`)
  ok(where, `exit 0: ${result.stdout.trim().split("\n").slice(0, 2).join(" | ").slice(0, 160)}`)
}

/** Starts a throw-away redis-server on a free port (the store-redis example needs one). */
const startRedis = async () => {
  const which = run("sh", ["-c", "command -v redis-server"], {})
  if (which.status !== 0) return undefined
  const port = await freePort()
  const child = spawn(which.stdout.trim(), ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "pipe"] })
  await new Promise((resolveReady, reject) => {
    let output = ""
    const timer = setTimeout(() => reject(new Error(`redis-server not ready:\n${output}`)), 30_000)
    child.stdout.on("data", (chunk) => {
      output += chunk
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer)
        resolveReady()
      }
    })
    child.once("exit", (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)))
  })
  return { child, url: `redis://127.0.0.1:${port}` }
}

// --- 2. and 3. each README in its own project ---------------------------------------------------
/** How each example is run and what proves it worked. Examples not listed are typechecked only. */
const scenarios = {
  "core/examples/stats.ts": { kind: "run", expect: [/demo/] },
  "connector-discord/examples/sandbox.ts": { kind: "run", expect: [/Pulse City/, /fresh/] },
  "connector-discord/examples/discord.ts": { kind: "skip", why: "talks to the real Discord (the sandbox example covers the same code)" },
  "adapter-express/examples/mount.ts": {
    kind: "server",
    probe: async (where, url) => {
      const base = url.replace(/\/v1\/profiles\/main\/stats$/, "")
      if (!base.endsWith("/discord")) fail(where, `expected the router under /discord, got ${url}`)
      await expectHttp(where, url, (_response, body) => (JSON.parse(body).profile === "main" ? undefined : `unexpected body ${body.slice(0, 200)}`))
      await expectHttp(where, `${base}/embed.js`, (response, body) =>
        /javascript/.test(response.headers.get("content-type") ?? "") && body.includes("guildpulse-stats") ? undefined : "not the element's script"
      )
      await expectHttp(where, `${base}/widget.css`)
      await expectHttp(where, `${base}/v1/profiles/main/widget?standalone=1`, (_response, body) => (body.includes("<guildpulse-stats") ? undefined : "no card"))
      await expectHttp(where, `${base}/v1/profiles/main/badge.svg`)
    }
  },
  "adapter-express/examples/standalone.ts": {
    kind: "server",
    env: async () => ({ PORT: String(await freePort()), HOST: "127.0.0.1" }),
    probe: async (where, url) => {
      const base = url.replace(/\/$/, "")
      await expectHttp(where, `${base}/healthz`)
      await expectHttp(where, `${base}/embed.js`, (_response, body) => (body.includes("guildpulse-stats") ? undefined : "not the element's script"))
    }
  },
  "widget/examples/server.ts": {
    kind: "server",
    probe: async (where, url) => {
      const base = url.replace(/\/$/, "")
      await expectHttp(where, `${base}/`, (_response, body) => (body.includes("<guildpulse-stats") ? undefined : "no card"))
      await expectHttp(where, `${base}/embed.js`, (_response, body) => (body.includes("guildpulse-stats") ? undefined : "not the element's script"))
      await expectHttp(where, `${base}/widget.css`)
      await expectHttp(where, `${base}/stats`)
    }
  },
  "observability/examples/metrics.ts": { kind: "run", expect: [/^200 /m, /guildpulse_/] },
  "store-redis/examples/redis.ts": { kind: "run", needsRedis: true, expect: [/demo|fresh/] },
  "store-sqlite/examples/sqlite.ts": { kind: "run", expect: [/demo|fresh/] }
}

const results = []
for (const pkg of packages) {
  if (only !== undefined && !only.has(pkg.short)) continue
  const readme = join(pkg.dir, "README.md")
  if (!existsSync(readme)) {
    // Packed and its files checked above; with no README there is no install line or example to follow yet.
    console.log(`  ! ${pkg.name}: no README.md yet: packed, nothing to install or run`)
    continue
  }
  const examples = blocks(readme)
  const project = join(work, pkg.short)
  mkdirSync(project)
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: `pack-check-${pkg.short}`, version: "0.0.0", private: true, type: "module" }, null, 2))

  const line = installLine(readme)
  const words = line.split(/\s+/).slice(2)
  const named = words.filter((word) => word.startsWith("@guildpulse/")).map((word) => word.replace(/^(@guildpulse\/[^@]+).*$/, "$1"))
  const needed = new Set(named.flatMap((name) => [...workspaceClosure(name)]))
  // A global install line (`npm install -g …`, the CLI) is checked as a project install: the same package tree,
  // without touching the machine's global prefix; its binary is then run from node_modules/.bin.
  const global = words.some((word) => word === "-g" || word === "--global")
  const installArgs = [
    ...words.filter((word) => !word.startsWith("@guildpulse/") && word !== "-g" && word !== "--global"),
    ...[...needed].map((name) => {
      const tarball = tarballOf.get(name)
      if (tarball === undefined) throw new Error(`${pkg.name}: no tarball for ${name}`)
      return tarball
    })
  ]
  log(`${pkg.name}: ${line}`)
  console.log(`  (in ${project}: npm install ${installArgs.map((arg) => (arg.startsWith(tarballDir) ? basename(arg) : arg)).join(" ")})`)
  const installStart = Date.now()
  const install = run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", ...installArgs], { cwd: project, timeout: 600_000 })
  const installMs = Date.now() - installStart
  if (install.status !== 0) {
    fail(pkg.name, `npm install failed (${seconds(installMs)}):\n${install.stdout}${install.stderr}`)
    results.push({ pkg: pkg.name, installMs })
    continue
  }
  ok(pkg.name, `installed in ${seconds(installMs)}`)

  // One effect, of the 3 line: a second copy (or effect 4) is what broke the first users.
  const effects = run("sh", ["-c", "find node_modules -path '*/effect/package.json' -not -path '*/effect/*/*/package.json'"], { cwd: project })
    .stdout.split("\n")
    .filter((file) => /(^|\/)node_modules\/effect\/package\.json$/.test(file))
    .map((file) => `${file.replace(/\/package\.json$/, "")}@${JSON.parse(readFileSync(join(project, file), "utf8")).version}`)
  if (effects.length !== 1 || !/@3\./.test(effects[0] ?? "")) fail(pkg.name, `expected exactly one effect 3.x, found ${effects.join(", ") || "none"}`)
  else ok(pkg.name, `one effect: ${effects[0]}`)

  if (global) {
    // Every binary the package declares answers --help.
    for (const bin of Object.keys(pkg.manifest.bin ?? {})) {
      const help = run(join(project, "node_modules", ".bin", bin), ["--help"], { cwd: project, timeout: 120_000 })
      if (help.status !== 0) fail(pkg.name, `${bin} --help exited ${help.status}:\n${help.stdout}${help.stderr}`)
      else ok(pkg.name, `${bin} --help answers`)
    }
  }

  for (const example of examples) {
    const key = `${pkg.short}/${example.path}`
    const where = `${pkg.short} ${example.path}`
    const scenario = scenarios[key]
    if (scenario === undefined || scenario.kind === "skip") {
      console.log(`  - ${where}: not run (${scenario?.why ?? "no scenario"}); typechecked by npm run typecheck`)
      continue
    }
    const file = join(project, example.path.replace(/\.ts$/, ".mjs"))
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, transformSync(readFileSync(example.file, "utf8"), { loader: "ts", format: "esm", target: "node20" }).code)
    const exampleStart = Date.now()
    let redis
    try {
      if (scenario.needsRedis) {
        redis = await startRedis()
        if (redis === undefined) {
          fail(where, "needs redis-server (apt-get install redis-server)")
          continue
        }
      }
      const extraEnv = { ...(scenario.env ? await scenario.env() : { PORT: "0" }), ...(redis ? { REDIS_URL: redis.url } : {}) }
      if (scenario.kind === "run") {
        runToEnd(where, project, file, extraEnv, scenario.expect)
      } else {
        let server
        try {
          server = await startServer(project, file, extraEnv)
          ok(where, `printed "listening on ${server.url}"`)
          await scenario.probe(where, server.url)
        } catch (error) {
          fail(where, error.message)
        } finally {
          if (server !== undefined) await stopServer(server.child)
        }
      }
    } finally {
      if (redis !== undefined) await stopServer(redis.child)
    }
    results.push({ pkg: pkg.name, example: example.path, ms: Date.now() - exampleStart })
  }
  results.push({ pkg: pkg.name, installMs })
}

if (keep) log(`kept ${work}`)
else {
  log(`removing ${work}`)
  rmSync(work, { recursive: true, force: true })
}

const total = Date.now() - started
if (failures.length > 0) {
  console.error(`\npack-check: ${failures.length} failure(s) in ${seconds(total)}:\n${failures.map((f) => `  - ${f.split("\n")[0]}`).join("\n")}`)
  process.exit(1)
}
console.log(`\npack-check: every package installs from its tarball with its README's line and every example runs (${seconds(total)})`)
