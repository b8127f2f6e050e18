/**
 * Core's `downsample` over a range's stored members, done here rather than in Redis: a month is ~11,000
 * members, and decoding them in a Lua script held Redis's one thread for ~50 ms per query (every other
 * client — rate limits, locks — waited meanwhile), where `JSON.parse` in Node is several times faster.
 *
 * Each member but the newest is read straight into its slot's running min/max/sum/count, without building a
 * `Sample`: the same arithmetic in the same order as core's `mergeAggregates` (a bucket adds `avg × count`),
 * so the points equal core's `downsample` of the decoded samples (the contract suite checks it). A member
 * that is not a sample is skipped, as `query` skips it.
 */
import { Option } from "effect"
import { AnalyticsStore } from "@guildpulse/core"
import type { ProfileKey } from "@guildpulse/core"

type Decode = (profile: ProfileKey, member: string) => AnalyticsStore.Sample | undefined

// Per slot: the count, then min, max, sum, n for online, members and boosts.
const STRIDE = 13
const FIELD_OFFSET = [1, 5, 9] as const

/** A finite number, as every numeric field of a stored member must be (shared with `RedisAnalyticsStore.decode`). */
export const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v)

/** `[min, max, avg, count]` with a non-zero count, as the member stores a bucket's aggregate. */
const isAgg = (v: unknown): v is readonly [number, number, number, number] =>
  Array.isArray(v) && v.length === 4 && isNum(v[0]) && isNum(v[1]) && isNum(v[2]) && isNum(v[3]) && v[3] !== 0

export const downsampleMembers = (
  profile: ProfileKey,
  members: ReadonlyArray<string>,
  fromMs: number,
  maxPoints: number,
  decode: Decode
): Option.Option<AnalyticsStore.Downsampled> => {
  const count = members.length
  if (maxPoints < 2 || count <= maxPoints) return Option.none()
  const newest = decode(profile, members[count - 1]!)
  if (newest === undefined) return Option.none()
  const widthMs = AnalyticsStore.slotWidth(newest.atMs, fromMs, maxPoints)
  if (!(widthMs > 0)) return Option.none()
  const lastSlot = maxPoints - 2
  const acc = new Float64Array((lastSlot + 1) * STRIDE)
  const seen = new Uint8Array(lastSlot + 1)
  const order: Array<number> = []
  const add = (at: number, min: number, max: number, sum: number, n: number) => {
    if (acc[at + 3] === 0) {
      acc[at] = min
      acc[at + 1] = max
      acc[at + 2] = sum
      acc[at + 3] = n
      return
    }
    if (min < acc[at]!) acc[at] = min
    if (max > acc[at + 1]!) acc[at + 1] = max
    acc[at + 2] = acc[at + 2]! + sum
    acc[at + 3] = acc[at + 3]! + n
  }
  for (let k = 0; k < count - 1; k++) {
    let v: unknown
    try {
      v = JSON.parse(members[k]!)
    } catch {
      continue
    }
    if (!Array.isArray(v) || v.length !== 7 || !isNum(v[0])) continue
    const bucket: unknown = v[6]
    let slot = Math.floor((v[0] - fromMs) / widthMs)
    if (slot > lastSlot) slot = lastSlot
    if (slot < 0) continue
    const base = slot * STRIDE
    if (bucket === null) {
      for (let f = 0; f < 3; f++) {
        const x: unknown = v[2 + f]
        if (isNum(x)) add(base + FIELD_OFFSET[f]!, x, x, x, 1)
      }
      acc[base] = acc[base]! + 1
    } else if (Array.isArray(bucket) && bucket.length === 6 && isNum(bucket[1])) {
      for (let f = 0; f < 3; f++) {
        const a: unknown = bucket[3 + f]
        if (isAgg(a)) add(base + FIELD_OFFSET[f]!, a[0], a[1], a[2] * a[3], a[3])
      }
      acc[base] = acc[base]! + bucket[1]
    } else continue
    if (seen[slot] === 0) {
      seen[slot] = 1
      order.push(slot)
    }
  }
  const aggregate = (at: number): AnalyticsStore.Aggregate | undefined =>
    acc[at + 3] === 0 ? undefined : { min: acc[at]!, max: acc[at + 1]!, avg: acc[at + 2]! / acc[at + 3]!, count: acc[at + 3]! }
  const slots = order.map((slot): AnalyticsStore.SlotSummary => {
    const base = slot * STRIDE
    const online = aggregate(base + 1)
    const members = aggregate(base + 5)
    const boosts = aggregate(base + 9)
    return {
      slot,
      count: acc[base]!,
      ...(online !== undefined ? { online } : {}),
      ...(members !== undefined ? { members } : {}),
      ...(boosts !== undefined ? { boosts } : {})
    }
  })
  return Option.some({ newest, widthMs, slots })
}
