/**
 * The key layout, in one place. Every key starts with the deployment's prefix (default `gp:`), so several
 * deployments can share one Redis. See the README's "Key layout" table.
 */

export interface Keys {
  readonly prefix: string
  /** `<prefix>epoch`: a random id set once per Redis dataset; a change means the data was lost. */
  readonly epoch: string
  /** Pub/sub channel carrying cache invalidations between instances. */
  readonly invalidations: string
  readonly snapshot: (profile: string) => string
  /** The highest fencing token a snapshot put of the profile was accepted with. */
  readonly snapshotFence: (profile: string) => string
  readonly profiles: string
  readonly profileVersions: string
  readonly circuit: (key: string) => string
  readonly circuitIndex: string
  readonly rateBucket: (bucketKey: string) => string
  readonly rateBlock: (key: string) => string
  readonly rateWindow: (globalKey: string) => string
  readonly rateInvalid: string
  readonly lock: (key: string) => string
  readonly fence: (key: string) => string
  readonly events: string
  readonly profileEvents: (profile: string) => string
  readonly secrets: string
  /** API keys: `apikeys` (id → key JSON), `apikeys:uses` (id → count), `apikeys:last-used`, `apikeys:revoked` (id → ms). */
  readonly apiKeys: string
  readonly apiKeyUses: string
  readonly apiKeyLastUsed: string
  readonly apiKeyRevoked: string
  /** Audit log: `audit` (id → entry JSON), `audit:seq` (counter), `audit:ids` and `audit:times` (sorted sets). */
  readonly audit: string
  readonly auditSeq: string
  readonly auditIds: string
  readonly auditTimes: string
  readonly unscheduled: string
  /** Analytics: `analytics:series:<profile>` (sorted set of samples, score `atMs`) and `analytics:profiles` (the set of profiles with one). */
  readonly analytics: (profile: string) => string
  readonly analyticsProfiles: string
  /** BullMQ's own prefix (BullMQ appends `:<queue>:…`). */
  readonly bullPrefix: string
}

export const DEFAULT_PREFIX = "gp:"

export const makeKeys = (prefix: string): Keys => ({
  prefix,
  epoch: `${prefix}epoch`,
  invalidations: `${prefix}invalidate`,
  snapshot: (profile) => `${prefix}snapshot:${profile}`,
  snapshotFence: (profile) => `${prefix}snapfence:${profile}`,
  profiles: `${prefix}profiles`,
  profileVersions: `${prefix}profiles:version`,
  circuit: (key) => `${prefix}circuit:${key}`,
  circuitIndex: `${prefix}circuits`,
  rateBucket: (bucketKey) => `${prefix}rl:bucket:${bucketKey}`,
  rateBlock: (key) => `${prefix}rl:block:${key}`,
  rateWindow: (globalKey) => `${prefix}rl:window:${globalKey}`,
  rateInvalid: `${prefix}rl:invalid`,
  lock: (key) => `${prefix}lock:${key}`,
  fence: (key) => `${prefix}fence:${key}`,
  events: `${prefix}events`,
  profileEvents: (profile) => `${prefix}events:profile:${profile}`,
  secrets: `${prefix}secrets`,
  apiKeys: `${prefix}apikeys`,
  apiKeyUses: `${prefix}apikeys:uses`,
  apiKeyLastUsed: `${prefix}apikeys:last-used`,
  apiKeyRevoked: `${prefix}apikeys:revoked`,
  audit: `${prefix}audit`,
  auditSeq: `${prefix}audit:seq`,
  auditIds: `${prefix}audit:ids`,
  auditTimes: `${prefix}audit:times`,
  unscheduled: `${prefix}scheduler:unscheduled`,
  analytics: (profile) => `${prefix}analytics:series:${profile}`,
  analyticsProfiles: `${prefix}analytics:profiles`,
  bullPrefix: prefix.endsWith(":") ? `${prefix}bull` : `${prefix}:bull`
})
