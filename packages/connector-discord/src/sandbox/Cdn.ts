/**
 * The sandbox's CDN: the images Discord's CDN would serve for the fixtures, as small generated PNGs, so that
 * pages built against the sandbox show real guild icons instead of broken images (Discord's CDN knows nothing
 * of fixture hashes). Served by the sandbox's own server under `/cdn`, laid out like Discord's CDN:
 *
 *   /cdn/icons/{guild_id}/{icon_hash}.{png|jpg|jpeg|webp|gif}     the guild's icon (square)
 *   /cdn/banners/{guild_id}/{banner_hash}.{ext}                    the guild's banner (16:9)
 *   /cdn/avatars/{user_id}/{avatar_hash}.{ext}                     a sandbox bot's avatar
 *   /cdn/embed/avatars/{0-5}.png                                   Discord's default avatars
 *
 * `?size=` must be a power of two from 16 to 4096 (else 400, like Discord); images are drawn at most 512 px
 * wide (browsers scale them). Every image is PNG bytes, whatever the extension. A hash that is not the
 * fixture's current one answers 404, as Discord's CDN does for a stale icon hash. The CDN ignores scenarios:
 * on Discord it is a separate service that stays up when the API has trouble.
 */
import { deflateSync } from "node:zlib"
import type { FixtureIndex } from "./Fixtures.js"
import { hash32 } from "./internal/hash.js"

/** Path prefix of the CDN on the sandbox's server (`cdnUrl` = `${url}/cdn`). */
export const CDN_PATH = "/cdn"
/** Largest image drawn; a bigger `size` is answered at this size. */
export const CDN_MAX_DRAWN_PX = 512
/** Size when the request has no `?size=`. */
export const CDN_DEFAULT_SIZE = 128

export interface CdnResponse {
  readonly status: number
  readonly contentType: string
  readonly body: Buffer
  readonly headers: Readonly<Record<string, string>>
}

const CRC_TABLE = (() => {
  const table = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c
  }
  return table
})()

const crc32 = (bytes: Uint8Array): number => {
  let c = -1
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8)
  return (c ^ -1) >>> 0
}

const chunk = (type: string, data: Buffer): Buffer => {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, "latin1"), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/** Encodes 8-bit RGB pixels (`width × height × 3` bytes, rows top to bottom) as a PNG. */
export const encodePng = (width: number, height: number, rgb: Uint8Array): Buffer => {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 8 // bit depth
  header[9] = 2 // colour type: RGB
  const raw = Buffer.alloc((width * 3 + 1) * height)
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0 // filter: none
    raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (width * 3 + 1) + 1)
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0))
  ])
}

/** HSL (h in turns, s and l in 0–1) to RGB bytes. */
const hsl = (h: number, s: number, l: number): [number, number, number] => {
  const f = (n: number): number => {
    const k = (n + h * 12) % 12
    return Math.round(255 * (l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1))))
  }
  return [f(0), f(8), f(4)]
}

/**
 * A deterministic identicon: a 5×5 mirrored pattern in a colour taken from `seed`, on a tinted background,
 * `width × height` px, opaque. The same seed always draws the same picture.
 */
export const identicon = (seed: string, width: number, height: number): Buffer => {
  const bits = hash32(seed)
  const hue = (hash32(`${seed}:hue`) % 360) / 360
  const fg = hsl(hue, 0.62, 0.45)
  const bg = hsl(hue, 0.35, 0.9)
  const cell = Math.min(width, height) / 6
  const left = (width - cell * 5) / 2
  const top = (height - cell * 5) / 2
  const rgb = new Uint8Array(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const cx = Math.floor((x - left) / cell)
      const cy = Math.floor((y - top) / cell)
      // Columns 0–2 come from the hash; 3 and 4 mirror 1 and 0.
      const on = cx >= 0 && cx < 5 && cy >= 0 && cy < 5 && ((bits >>> (cy * 3 + Math.min(cx, 4 - cx))) & 1) === 1
      rgb.set(on ? fg : bg, (y * width + x) * 3)
    }
  }
  return encodePng(width, height, rgb)
}

const ROUTE = /^\/cdn\/(icons|banners|avatars)\/(\d{17,20})\/([A-Za-z0-9_]+)\.(png|jpg|jpeg|webp|gif)$/
const DEFAULT_AVATAR = /^\/cdn\/embed\/avatars\/([0-5])\.png$/

const text = (status: number, message: string): CdnResponse => ({
  status,
  contentType: "text/plain; charset=utf-8",
  body: Buffer.from(message),
  headers: {}
})

/** Answers a CDN request (`pathname` starts with `/cdn/`); images are cached per seed and size. */
export const makeCdn = (index: FixtureIndex) => {
  const botsById = new Map([...index.botsByToken.values()].map((bot) => [bot.user.id, bot.user]))
  const cache = new Map<string, Buffer>()

  const image = (seed: string, width: number, height: number): CdnResponse => {
    const key = `${seed}:${width}x${height}`
    let body = cache.get(key)
    if (body === undefined) {
      body = identicon(seed, width, height)
      cache.set(key, body)
    }
    return {
      status: 200,
      contentType: "image/png",
      body,
      headers: { "Cache-Control": "public, max-age=86400", "Access-Control-Allow-Origin": "*" }
    }
  }

  return (method: string, pathname: string, params: URLSearchParams): CdnResponse => {
    if (method !== "GET" && method !== "HEAD") return { ...text(405, "405: Method Not Allowed"), headers: { Allow: "GET, HEAD" } }
    const rawSize = params.get("size")
    const size = rawSize === null ? CDN_DEFAULT_SIZE : Number(rawSize)
    if (!Number.isInteger(size) || size < 16 || size > 4096 || (size & (size - 1)) !== 0) return text(400, "400: Bad Request (size)")
    const drawn = Math.min(size, CDN_MAX_DRAWN_PX)
    const preset = DEFAULT_AVATAR.exec(pathname)
    if (preset !== null) return image(`embed:${preset[1]}`, drawn, drawn)
    const match = ROUTE.exec(pathname)
    if (match === null) return text(404, "404: Not Found")
    const [, kind, id = "", hash = ""] = match
    if (kind === "avatars") return botsById.get(id)?.avatar === hash ? image(`avatar:${id}:${hash}`, drawn, drawn) : text(404, "404: Not Found")
    const guild = index.guilds.get(id)
    if (kind === "icons") return guild?.icon === hash ? image(`icon:${id}:${hash}`, drawn, drawn) : text(404, "404: Not Found")
    return guild?.banner === hash ? image(`banner:${id}:${hash}`, drawn, Math.round((drawn * 9) / 16)) : text(404, "404: Not Found")
  }
}
