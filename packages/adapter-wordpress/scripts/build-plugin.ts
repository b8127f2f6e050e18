/**
 * Builds the installable WordPress plugin: dist/plugin/guildpulse/ (the PHP of plugin/guildpulse, the two
 * block.json files generated from the legacy attribute schema, the bundled editor script and its asset file)
 * and dist/guildpulse-wordpress.zip (Plugins → Add New → Upload Plugin).
 *
 *   node --conditions=@guildpulse/source --import tsx scripts/build-plugin.ts
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { deflateRawSync } from "node:zlib"
import { build } from "esbuild"
import { legacyAttributes } from "@guildpulse/widget"
import { BLOCK_NAME, blockJson, LEGACY_BLOCK_NAME } from "../src/Block.js"

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const version = (JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { version: string }).version
const out = join(packageDir, "dist/plugin/guildpulse")
const zipPath = join(packageDir, "dist/guildpulse-wordpress.zip")

export const buildPlugin = async (): Promise<{ dir: string; zip: string }> => {
  rmSync(out, { recursive: true, force: true })
  mkdirSync(dirname(out), { recursive: true })
  cpSync(join(packageDir, "plugin/guildpulse"), out, { recursive: true })
  const json = (path: string, value: unknown) => {
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`)
  }
  json(join(out, "blocks/stats/block.json"), blockJson(BLOCK_NAME, version))
  json(join(out, "blocks/legacy/block.json"), blockJson(LEGACY_BLOCK_NAME, version))
  await build({
    entryPoints: [join(packageDir, "editor/index.ts")],
    outfile: join(out, "blocks/stats/editor.js"),
    bundle: true,
    format: "iife",
    minify: true,
    target: "es2019",
    define: { __GUILDPULSE_ATTRIBUTES__: JSON.stringify(legacyAttributes) },
    logLevel: "error"
  })
  const deps = ["wp-blocks", "wp-element", "wp-block-editor", "wp-components", "wp-server-side-render"]
  writeFileSync(
    join(out, "blocks/stats/editor.asset.php"),
    `<?php return array('dependencies' => array(${deps.map((d) => `'${d}'`).join(", ")}), 'version' => '${version}');\n`
  )
  writeFileSync(zipPath, zip(out, "guildpulse"))
  return { dir: out, zip: zipPath }
}

// ------------------------------------------------------------------------------------------------ zip
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
const crc32 = (data: Buffer): number => {
  let c = 0xffffffff
  for (const byte of data) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

const filesOf = (dir: string): Array<string> =>
  readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name)
      return statSync(path).isDirectory() ? filesOf(path) : [path]
    })

/** A plain zip (deflate, fixed 1980-01-01 timestamps so equal inputs give equal archives). */
export const zip = (dir: string, prefix: string): Buffer => {
  const locals: Array<Buffer> = []
  const centrals: Array<Buffer> = []
  let offset = 0
  for (const file of filesOf(dir)) {
    const name = Buffer.from(`${prefix}/${relative(dir, file).split("\\").join("/")}`)
    const data = readFileSync(file)
    const packed = deflateRawSync(data, { level: 9 })
    const crc = crc32(data)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(0x0800, 6) // UTF-8 names
    local.writeUInt16LE(8, 8)
    local.writeUInt16LE(0, 10)
    local.writeUInt16LE(0x21, 12) // 1980-01-01
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(packed.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(name.length, 26)
    local.writeUInt16LE(0, 28)
    locals.push(local, name, packed)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(0x0800, 8)
    central.writeUInt16LE(8, 10)
    central.writeUInt16LE(0, 12)
    central.writeUInt16LE(0x21, 14)
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(packed.length, 20)
    central.writeUInt32LE(data.length, 24)
    central.writeUInt16LE(name.length, 28)
    central.writeUInt32LE((0o100644 * 0x10000) >>> 0, 38)
    central.writeUInt32LE(offset, 42)
    centrals.push(central, name)
    offset += local.length + name.length + packed.length
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(centrals.length / 2, 8)
  end.writeUInt16LE(centrals.length / 2, 10)
  end.writeUInt32LE(centralSize, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, ...centrals, end])
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { dir, zip: file } = await buildPlugin()
  console.log(`plugin: ${relative(packageDir, dir)}, ${relative(packageDir, file)} (${(statSync(file).size / 1024).toFixed(0)} kB)`)
}
