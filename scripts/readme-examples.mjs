#!/usr/bin/env node
// README code blocks live as files (packages/<pkg>/examples/*.ts) that `npm run typecheck` compiles and
// `scripts/pack-check.mjs` runs against the packed packages. In a README, a block is tied to its file by a
// marker line right before the fence:
//
//   <!-- example: examples/mount.ts -->
//   ```ts
//   …the file, verbatim…
//   ```
//
// `node scripts/readme-examples.mjs` checks that every marked block equals its file (exit 1 and a diff hint
// if not); `--write` copies the files into the READMEs. `--list` prints `<package dir>\t<example file>` pairs.
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const MARKER = /^<!-- example: (\S+) -->$/

/** Every README.md at the root and one level under packages/ and apps/. */
export const readmes = () => [
  join(root, "README.md"),
  ...["packages", "apps"].flatMap((group) =>
    existsSync(join(root, group))
      ? readdirSync(join(root, group), { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => join(root, group, entry.name, "README.md"))
      : []
  )
].filter((file) => existsSync(file))

/** The marked blocks of one README: `{ file, line, fenceStart, fenceEnd, body }` (line numbers are 0-based). */
export const blocks = (readme) => {
  const lines = readFileSync(readme, "utf8").split("\n")
  const found = []
  for (let i = 0; i < lines.length; i++) {
    const match = MARKER.exec(lines[i].trim())
    if (match === null) continue
    const fence = lines[i + 1] ?? ""
    if (!/^```\w*$/.test(fence)) throw new Error(`${relative(root, readme)}:${i + 1}: the example marker must be followed by a code fence`)
    const end = lines.findIndex((line, index) => index > i + 1 && line === "```")
    if (end === -1) throw new Error(`${relative(root, readme)}:${i + 2}: unterminated code fence`)
    found.push({ file: resolve(dirname(readme), match[1]), path: match[1], line: i, fenceStart: i + 1, fenceEnd: end, body: lines.slice(i + 2, end).join("\n") })
  }
  return found
}

const fileBody = (file) => readFileSync(file, "utf8").replace(/\n+$/, "")

const main = () => {
  const mode = process.argv.includes("--write") ? "write" : process.argv.includes("--list") ? "list" : "check"
  let problems = 0
  let count = 0
  for (const readme of readmes()) {
    const found = blocks(readme)
    if (mode === "list") {
      for (const block of found) console.log(`${relative(root, dirname(readme)) || "."}\t${block.path}`)
      continue
    }
    let lines = readFileSync(readme, "utf8").split("\n")
    // Bottom-up, so earlier line numbers stay valid while rewriting.
    for (const block of [...found].reverse()) {
      count++
      if (!existsSync(block.file)) {
        console.error(`${relative(root, readme)}:${block.line + 1}: ${block.path} does not exist`)
        problems++
        continue
      }
      const expected = fileBody(block.file)
      if (expected === block.body) continue
      if (mode === "write") {
        lines = [...lines.slice(0, block.fenceStart + 1), ...expected.split("\n"), ...lines.slice(block.fenceEnd)]
      } else {
        const a = block.body.split("\n")
        const b = expected.split("\n")
        const at = a.findIndex((line, index) => line !== b[index])
        console.error(
          `${relative(root, readme)}:${block.fenceStart + 2 + (at === -1 ? b.length : at)}: differs from ${relative(root, block.file)}` +
            ` (README: ${JSON.stringify(a[at === -1 ? b.length : at] ?? "<end>")}, file: ${JSON.stringify(b[at === -1 ? a.length : at] ?? "<end>")})`
        )
        problems++
      }
    }
    if (mode === "write") writeFileSync(readme, lines.join("\n"))
  }
  if (mode === "list") return
  if (problems > 0) {
    console.error(`${problems} README example(s) out of date: run \`node scripts/readme-examples.mjs --write\``)
    process.exit(1)
  }
  console.log(`README examples: ${count} block(s) ${mode === "write" ? "written" : "match their files"}`)
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main()
