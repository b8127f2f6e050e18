/**
 * IP address parsing and classification for the SSRF guard: IPv4 as 32-bit numbers, IPv6 as 128-bit bigints,
 * with IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible, NAT64 (`64:ff9b::/96`) and 6to4 (`2002::/16`)
 * addresses judged by the IPv4 address they carry.
 */
import { isIP } from "node:net"

export type AddressClass =
  | "public"
  | "unspecified"
  | "loopback"
  | "private"
  | "link_local"
  | "unique_local"
  | "cgnat"
  | "multicast"
  | "broadcast"
  | "reserved"
  | "documentation"

export type Parsed = { readonly family: 4; readonly value: number } | { readonly family: 6; readonly value: bigint }

export const parseIPv4 = (text: string): number | undefined => {
  const parts = text.split(".")
  if (parts.length !== 4) return undefined
  let value = 0
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined
    const n = Number(part)
    if (n > 255) return undefined
    value = value * 256 + n
  }
  return value
}

export const parseIPv6 = (input: string): bigint | undefined => {
  let text = input.startsWith("[") && input.endsWith("]") ? input.slice(1, -1) : input
  const zone = text.indexOf("%")
  if (zone >= 0) text = text.slice(0, zone)
  if (isIP(text) !== 6) return undefined
  // An embedded dotted quad becomes two hextets.
  const lastColon = text.lastIndexOf(":")
  const tail = text.slice(lastColon + 1)
  if (tail.includes(".")) {
    const v4 = parseIPv4(tail)
    if (v4 === undefined) return undefined
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`
  }
  const halves = text.split("::")
  if (halves.length > 2) return undefined
  const head = halves[0] === "" ? [] : halves[0]!.split(":")
  const rest = halves.length === 2 ? (halves[1] === "" ? [] : halves[1]!.split(":")) : []
  const missing = 8 - head.length - rest.length
  if (halves.length === 1 && head.length !== 8) return undefined
  const groups = halves.length === 2 ? [...head, ...Array<string>(missing).fill("0"), ...rest] : head
  if (groups.length !== 8) return undefined
  let value = 0n
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined
    value = (value << 16n) | BigInt(parseInt(group, 16))
  }
  return value
}

export const parse = (text: string): Parsed | undefined => {
  const v4 = parseIPv4(text)
  if (v4 !== undefined) return { family: 4, value: v4 }
  const v6 = parseIPv6(text)
  return v6 === undefined ? undefined : { family: 6, value: v6 }
}

const v4 = (a: number, b: number, c: number, d: number) => ((a * 256 + b) * 256 + c) * 256 + d

const inV4 = (value: number, base: number, prefix: number): boolean => {
  if (prefix === 0) return true
  const size = 2 ** (32 - prefix)
  return Math.floor(value / size) === Math.floor(base / size)
}

const inV6 = (value: bigint, base: bigint, prefix: number): boolean => {
  const shift = BigInt(128 - prefix)
  return value >> shift === base >> shift
}

const v4Ranges: ReadonlyArray<readonly [number, number, AddressClass]> = [
  [v4(0, 0, 0, 0), 8, "unspecified"],
  [v4(10, 0, 0, 0), 8, "private"],
  [v4(100, 64, 0, 0), 10, "cgnat"],
  [v4(127, 0, 0, 0), 8, "loopback"],
  [v4(169, 254, 0, 0), 16, "link_local"],
  [v4(172, 16, 0, 0), 12, "private"],
  [v4(192, 0, 0, 0), 24, "reserved"],
  [v4(192, 0, 2, 0), 24, "documentation"],
  [v4(192, 88, 99, 0), 24, "reserved"],
  [v4(192, 168, 0, 0), 16, "private"],
  [v4(198, 18, 0, 0), 15, "reserved"],
  [v4(198, 51, 100, 0), 24, "documentation"],
  [v4(203, 0, 113, 0), 24, "documentation"],
  [v4(224, 0, 0, 0), 4, "multicast"],
  [v4(255, 255, 255, 255), 32, "broadcast"],
  [v4(240, 0, 0, 0), 4, "reserved"]
]

export const classifyV4 = (value: number): AddressClass => {
  for (const [base, prefix, kind] of v4Ranges) if (inV4(value, base, prefix)) return kind
  return "public"
}

const h = (text: string): bigint => parseIPv6(text)!

const v6Ranges: ReadonlyArray<readonly [bigint, number, AddressClass]> = [
  [h("::"), 128, "unspecified"],
  [h("::1"), 128, "loopback"],
  [h("100::"), 64, "reserved"],
  [h("2001:db8::"), 32, "documentation"],
  [h("2001::"), 23, "reserved"],
  [h("fc00::"), 7, "unique_local"],
  [h("fe80::"), 10, "link_local"],
  [h("fec0::"), 10, "private"],
  [h("ff00::"), 8, "multicast"]
]

/** The IPv4 address an IPv6 address stands for, if it embeds one. */
export const embeddedV4 = (value: bigint): number | undefined => {
  const low32 = Number(value & 0xffffffffn)
  if (inV6(value, h("::ffff:0:0"), 96)) return low32 // IPv4-mapped
  if (inV6(value, h("::"), 96) && value > 1n) return low32 // IPv4-compatible (deprecated)
  if (inV6(value, h("64:ff9b::"), 96)) return low32 // NAT64
  if (inV6(value, h("64:ff9b:1::"), 48)) return low32 // local-use NAT64
  if (inV6(value, h("2002::"), 16)) return Number((value >> 80n) & 0xffffffffn) // 6to4
  return undefined
}

export const classifyV6 = (value: bigint): AddressClass => {
  const mapped = embeddedV4(value)
  if (mapped !== undefined) return classifyV4(mapped)
  for (const [base, prefix, kind] of v6Ranges) if (inV6(value, base, prefix)) return kind
  return "public"
}

/** The class of an address literal; `undefined` when it is not an IP address. */
export const classify = (address: string): AddressClass | undefined => {
  const parsed = parse(address)
  if (parsed === undefined) return undefined
  return parsed.family === 4 ? classifyV4(parsed.value) : classifyV6(parsed.value)
}

export interface Cidr {
  readonly family: 4 | 6
  readonly base: number | bigint
  readonly prefix: number
}

/** Parses `a.b.c.d/n`, `x::/n` or a bare address (a /32 or /128). */
export const parseCidr = (text: string): Cidr | undefined => {
  const [address, prefixText] = text.split("/")
  const parsed = address === undefined ? undefined : parse(address)
  if (parsed === undefined) return undefined
  const max = parsed.family === 4 ? 32 : 128
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN
  if (!(prefix >= 0 && prefix <= max)) return undefined
  return { family: parsed.family, base: parsed.value, prefix }
}

export const inCidr = (address: string, cidr: Cidr): boolean => {
  const parsed = parse(address)
  if (parsed === undefined) return false
  if (parsed.family === 4 && cidr.family === 4) return inV4(parsed.value, cidr.base as number, cidr.prefix)
  if (parsed.family === 6 && cidr.family === 6) return inV6(parsed.value, cidr.base as bigint, cidr.prefix)
  if (parsed.family === 6 && cidr.family === 4) {
    const mapped = embeddedV4(parsed.value)
    return mapped !== undefined && inV4(mapped, cidr.base as number, cidr.prefix)
  }
  return false
}
