/**
 * IP address classification for the SSRF guard, on top of `ipaddr.js` (the maintained parser and range table
 * Express itself relies on). Addresses that carry an IPv4 address — IPv4-mapped (`::ffff:a.b.c.d`),
 * IPv4-translated (`::ffff:0:a.b.c.d`, RFC 6145), IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::/96`,
 * `64:ff9b:1::/48`) and 6to4 (`2002::/16`) — are judged by the IPv4 address inside.
 */
import { isIP } from "node:net"
import ipaddr from "ipaddr.js"

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

type Address = ipaddr.IPv4 | ipaddr.IPv6

/** Parses an address literal (brackets and an IPv6 zone allowed); only the canonical forms `node:net` accepts. */
export const parse = (input: string): Address | undefined => {
  let text = input.startsWith("[") && input.endsWith("]") ? input.slice(1, -1) : input
  const zone = text.indexOf("%")
  if (zone >= 0) text = text.slice(0, zone)
  // ipaddr.js also reads the legacy IPv4 forms (`0x7f.1`, `2130706433`); the URL parser has already turned
  // those into dotted quads, so anything else here is not an address.
  if (isIP(text) === 0) return undefined
  try {
    return ipaddr.parse(text)
  } catch {
    return undefined
  }
}

/** IPv4 documentation ranges (RFC 5737); ipaddr.js files them under `reserved`. */
const documentationV4: ReadonlyArray<[ipaddr.IPv4, number]> = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"].map((cidr) =>
  ipaddr.IPv4.parseCIDR(cidr)
)

const v4Classes: Readonly<Record<string, AddressClass>> = {
  unicast: "public",
  unspecified: "unspecified",
  broadcast: "broadcast",
  multicast: "multicast",
  linkLocal: "link_local",
  loopback: "loopback",
  carrierGradeNat: "cgnat",
  private: "private"
}

const v6Classes: Readonly<Record<string, AddressClass>> = {
  unicast: "public",
  unspecified: "unspecified",
  linkLocal: "link_local",
  multicast: "multicast",
  loopback: "loopback",
  uniqueLocal: "unique_local",
  deprecatedSiteLocal: "private",
  reserved: "documentation"
}

const classifyV4 = (address: ipaddr.IPv4): AddressClass => {
  if (documentationV4.some((range) => address.match(range))) return "documentation"
  // Anything ipaddr.js does not call plain unicast and we have no finer name for is reserved.
  return v4Classes[address.range()] ?? "reserved"
}

const v4Of = (parts: ReadonlyArray<number>): ipaddr.IPv4 => new ipaddr.IPv4([parts[0]! >> 8, parts[0]! & 0xff, parts[1]! >> 8, parts[1]! & 0xff])

/** The IPv4 address an IPv6 address stands for, if it embeds one. */
export const embeddedV4 = (address: ipaddr.IPv6): ipaddr.IPv4 | undefined => {
  const p = address.parts
  switch (address.range()) {
    case "ipv4Mapped":
    case "rfc6145":
    case "rfc6052":
      return v4Of(p.slice(6))
    case "6to4":
      return v4Of(p.slice(1, 3))
    default:
      // IPv4-compatible (deprecated, ::/96 except :: and ::1): ipaddr.js calls these unicast.
      return p.slice(0, 6).every((part) => part === 0) && (p[6] !== 0 || p[7]! > 1) ? v4Of(p.slice(6)) : undefined
  }
}

const classifyV6 = (address: ipaddr.IPv6): AddressClass => {
  const inner = embeddedV4(address)
  if (inner !== undefined) return classifyV4(inner)
  return v6Classes[address.range()] ?? "reserved"
}

/** The class of an address literal; `undefined` when it is not an IP address. */
export const classify = (text: string): AddressClass | undefined => {
  const address = parse(text)
  if (address === undefined) return undefined
  return address.kind() === "ipv4" ? classifyV4(address as ipaddr.IPv4) : classifyV6(address as ipaddr.IPv6)
}

export type Cidr = readonly [Address, number]

/** Parses `a.b.c.d/n`, `x::/n` or a bare address (a /32 or /128). */
export const parseCidr = (text: string): Cidr | undefined => {
  const [addressText, prefixText, ...rest] = text.split("/")
  if (addressText === undefined || rest.length > 0) return undefined
  const address = parse(addressText)
  if (address === undefined) return undefined
  const max = address.kind() === "ipv4" ? 32 : 128
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN
  if (!(prefix >= 0 && prefix <= max)) return undefined
  return [address, prefix]
}

/** Whether an address lies in a range; an IPv6 address carrying an IPv4 one also matches IPv4 ranges. */
export const inCidr = (text: string, cidr: Cidr): boolean => {
  const address = parse(text)
  if (address === undefined) return false
  const [base, prefix] = cidr
  if (address.kind() === base.kind()) return address.match(base, prefix)
  if (address.kind() === "ipv6" && base.kind() === "ipv4") {
    const inner = embeddedV4(address as ipaddr.IPv6)
    return inner !== undefined && inner.match(base, prefix)
  }
  return false
}
