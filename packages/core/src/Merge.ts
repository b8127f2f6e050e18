/**
 * The merge policy, per field:
 * 1. walking the priority order, the first source that answered in this round — except that a value carried
 *    from a source of higher priority than the answering one, younger than `2 × ttl`, is kept instead
 *    (stickiness: numbers do not jump to a lower-priority source because one round failed);
 * 2. otherwise the previous snapshot's value with its own provenance while it is younger than `maxStaleSeconds`;
 * 3. otherwise absent.
 * Counts from two sources are never added: every merged value is exactly one source's.
 */
import type { FieldPriority } from "./Profile.js"
import type { FieldProvenance, Provenance, SourceStats, StatsField, StatsFields } from "./GuildStats.js"
import { statsFields } from "./GuildStats.js"

export type PrioritySource = "widget" | "bot" | "invite" | "profile"
export type Priority = { readonly [K in StatsField]: ReadonlyArray<PrioritySource> }

/** Default priority (docs/architecture.md §3). `profile` stands for the profile's own settings (its invite code). */
export const defaultPriority: Priority = {
  online: ["widget", "bot", "invite"],
  members: ["bot", "invite"],
  name: ["bot", "widget", "invite"],
  iconUrl: ["bot", "invite"],
  bannerUrl: ["bot", "invite"],
  description: ["bot", "invite"],
  boosts: ["bot", "invite"],
  boostTier: ["bot", "invite"],
  presence: ["widget"],
  instantInvite: ["widget", "profile"]
}

export const resolvePriority = (override: FieldPriority | undefined): Priority => {
  if (override === undefined) return defaultPriority
  const resolved: Record<string, ReadonlyArray<PrioritySource>> = { ...defaultPriority }
  for (const [field, order] of Object.entries(override)) if (order !== undefined) resolved[field] = order
  return resolved as Priority
}

/** The good data of a snapshot: values and where each came from. */
export interface MergedFields {
  readonly fields: StatsFields
  readonly provenance: Provenance
}

export interface MergeInput {
  /** Successful answers of this round (failed sources are simply absent). */
  readonly results: ReadonlyArray<SourceStats>
  readonly previous: MergedFields | undefined
  readonly nowMs: number
  readonly maxStaleSeconds: number
  readonly priority?: Priority
  /** The profile's invite code, used for `instantInvite` when the widget gives none. */
  readonly inviteCode?: string | undefined
  /**
   * The profile's ttl: a carried value from a higher-priority source younger than `2 × ttlSeconds` beats a
   * lower-priority value fetched this round. Without it there is no stickiness.
   */
  readonly ttlSeconds?: number | undefined
  /**
   * Sources found misconfigured in this round (widget disabled, token refused…): their carried values do not
   * stick — they are not coming back within a ttl or two, so the sources still answering take over at once.
   */
  readonly misconfigured?: ReadonlySet<PrioritySource> | undefined
}

/** How long a carried higher-priority value beats a fresh lower-priority one: `2 × ttl`. */
export const stickyWindowMs = (ttlSeconds: number): number => 2 * ttlSeconds * 1000

export const inviteUrl = (code: string): string => `https://discord.gg/${code}`

export const merge = (input: MergeInput): MergedFields => {
  const priority = input.priority ?? defaultPriority
  const bySource = new Map<PrioritySource, SourceStats>()
  for (const result of input.results) if (!bySource.has(result.source)) bySource.set(result.source, result)
  const fields: Record<string, unknown> = {}
  const provenance: Record<string, FieldProvenance> = {}
  const oldestKeptMs = input.nowMs - input.maxStaleSeconds * 1000
  const oldestStickyMs = input.ttlSeconds === undefined ? Number.POSITIVE_INFINITY : input.nowMs - stickyWindowMs(input.ttlSeconds)

  for (const field of statsFields) {
    let found = false
    for (const source of priority[field]) {
      if (source === "profile") {
        if (field === "instantInvite" && input.inviteCode !== undefined) {
          fields[field] = inviteUrl(input.inviteCode)
          provenance[field] = { source: "profile", fetchedAtMs: input.nowMs }
          found = true
          break
        }
        continue
      }
      const result = bySource.get(source)
      const value = result?.fields[field]
      if (result !== undefined && value !== undefined) {
        fields[field] = value
        provenance[field] = { source: result.origin ?? result.source, fetchedAtMs: result.fetchedAtMs }
        found = true
        break
      }
      // This source gave nothing this round: its own recent value still outranks lower-priority answers.
      const carried = input.previous?.provenance[field]
      const carriedValue = input.previous?.fields[field]
      if (
        carried !== undefined && carriedValue !== undefined && carried.source === source && input.misconfigured?.has(source) !== true &&
        carried.fetchedAtMs > oldestStickyMs && carried.fetchedAtMs >= oldestKeptMs
      ) {
        fields[field] = carriedValue
        provenance[field] = carried
        found = true
        break
      }
    }
    if (found || input.previous === undefined) continue
    const carried = input.previous.provenance[field]
    const value = input.previous.fields[field]
    if (carried !== undefined && value !== undefined && carried.fetchedAtMs >= oldestKeptMs) {
      fields[field] = value
      provenance[field] = carried
    }
  }
  return { fields: fields as StatsFields, provenance: provenance as Provenance }
}
