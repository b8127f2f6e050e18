/**
 * Every Lua script of the package. Each runs atomically on the Redis server; scripts that need "now" read
 * the server's `TIME`, so every instance shares one clock. Callers give times as durations from now
 * (`resetAfterMs`, `forMs`), which the scripts anchor on the server clock.
 *
 * Scripts are sent with EVALSHA and fall back to EVAL once when the server does not know them yet
 * (a fresh or restarted Redis).
 */
import { createHash } from "node:crypto"

export interface LuaScript {
  readonly name: string
  readonly source: string
  readonly sha: string
}

const script = (name: string, source: string): LuaScript => ({
  name,
  source,
  sha: createHash("sha1").update(source).digest("hex")
})

const NOW = `
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`

/** KEYS[1] key · ARGV[1] channel, ARGV[2] message. */
export const delAndPublish = script(
  "delAndPublish",
  `
local n = redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[1], ARGV[2])
return n
`
)

/**
 * A snapshot put. KEYS[1] snapshot key, KEYS[2] its fencing key · ARGV[1] json, ARGV[2] fencing token or ''
 * (unconditional), ARGV[3] attemptedAtMs or '' — given by the write-back of a snapshot kept during an outage:
 * then written only when Redis holds nothing newer —, ARGV[4] channel, ARGV[5] message.
 * A token lower than the highest accepted one is refused. Returns 1 written, 0 not newer, -1 fenced.
 */
export const putSnapshot = script(
  "putSnapshot",
  `
if ARGV[2] ~= '' then
  local last = redis.call('GET', KEYS[2])
  if last and tonumber(ARGV[2]) < tonumber(last) then return -1 end
end
if ARGV[3] ~= '' then
  local current = redis.call('GET', KEYS[1])
  if current then
    local ok, decoded = pcall(cjson.decode, current)
    if ok and type(decoded) == 'table' then
      local at = tonumber(decoded['attemptedAtMs'])
      if at and at >= tonumber(ARGV[3]) then return 0 end
    end
  end
end
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2]) end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
`
)

/**
 * Optimistic put of a profile. KEYS[1] profiles hash, KEYS[2] versions hash ·
 * ARGV[1] key, ARGV[2] expected version (0 = must not exist), ARGV[3] json, ARGV[4] new version,
 * ARGV[5] channel, ARGV[6] message. Returns -1 when written, else the actual version.
 */
export const profilePut = script(
  "profilePut",
  `
local actual = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if actual ~= tonumber(ARGV[2]) then return actual end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
redis.call('PUBLISH', ARGV[5], ARGV[6])
return -1
`
)

/**
 * KEYS[1] profiles hash, KEYS[2] versions hash · ARGV[1] key, ARGV[2] expected version or '' (unconditional),
 * ARGV[3] channel, ARGV[4] message. Returns {0, 0} missing, {1, v} deleted, {2, v} version conflict.
 */
export const profileDelete = script(
  "profileDelete",
  `
local actual = redis.call('HGET', KEYS[2], ARGV[1])
if not actual then return {0, 0} end
actual = tonumber(actual)
if ARGV[2] ~= '' and actual ~= tonumber(ARGV[2]) then return {2, actual} end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return {1, actual}
`
)

/** Re-seeding after data loss: writes the profile only when absent. Same keys; ARGV[1] key, [2] json, [3] version. */
export const profilePutIfAbsent = script(
  "profilePutIfAbsent",
  `
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1
`
)

/**
 * Compare-and-set of a circuit state on its version. KEYS[1] state hash, KEYS[2] index set ·
 * ARGV[1] expected version, ARGV[2] json, ARGV[3] circuit key.
 * Returns {1} when written, else {0, current json or '', current version}.
 */
export const circuitCas = script(
  "circuitCas",
  `
local current = redis.call('HMGET', KEYS[1], 's', 'v')
local v = tonumber(current[2] or '0')
if v ~= tonumber(ARGV[1]) then return {0, current[1] or '', v} end
redis.call('HSET', KEYS[1], 's', ARGV[2], 'v', v + 1)
redis.call('SADD', KEYS[2], ARGV[3])
return {1}
`
)

/**
 * `RateLimitStore.acquire`: the pure `decideAcquire` of core, run atomically on the server clock.
 * KEYS[1] bucket hash, KEYS[2] bucket block, KEYS[3] global block, KEYS[4] global window hash ·
 * ARGV[1] global limit, ARGV[2] global window ms.
 * Returns {'granted', remaining or -1} or {'wait', waitMs, 'bucket' | 'global', 1 if a Retry-After block else 0}.
 */
export const rateAcquire = script(
  "rateAcquire",
  `${NOW}
local now = nowMs()
local globalLimit = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local bucketBlock = tonumber(redis.call('GET', KEYS[2]) or '0')
local globalBlock = tonumber(redis.call('GET', KEYS[3]) or '0')
if globalBlock > now and globalBlock >= bucketBlock then return {'wait', globalBlock - now, 'global', 1} end
if bucketBlock > now then return {'wait', bucketBlock - now, 'bucket', 1} end
local b = redis.call('HMGET', KEYS[1], 'limit', 'remaining', 'resetAtMs')
local hasBucket = b[1] and b[2] and b[3]
local limit, remaining, resetAt
if hasBucket then
  limit = tonumber(b[1]); remaining = tonumber(b[2]); resetAt = tonumber(b[3])
  if remaining <= 0 and resetAt > now then return {'wait', resetAt - now, 'bucket', 0} end
end
local w = redis.call('HMGET', KEYS[4], 'startMs', 'count')
local startMs, count
if w[1] and w[2] then
  startMs = tonumber(w[1]); count = tonumber(w[2])
  if now >= startMs + windowMs then startMs = nil end
end
if startMs and count >= globalLimit then return {'wait', startMs + windowMs - now, 'global', 0} end
local left = -1
if hasBucket then
  if resetAt <= now then remaining = limit end
  remaining = remaining - 1
  redis.call('HSET', KEYS[1], 'remaining', remaining)
  left = remaining
end
if startMs then
  redis.call('HINCRBY', KEYS[4], 'count', 1)
else
  redis.call('HSET', KEYS[4], 'startMs', now, 'count', 1)
  redis.call('PEXPIRE', KEYS[4], windowMs + 1000)
end
return {'granted', left}
`
)

/**
 * `observe`: learn a bucket from response headers; within one reset window keep the lower `remaining`.
 * KEYS[1] bucket hash · ARGV[1] limit, ARGV[2] remaining, ARGV[3] resetAfterMs (from now).
 */
export const rateObserve = script(
  "rateObserve",
  `${NOW}
local now = nowMs()
local resetAt = now + tonumber(ARGV[3])
local remaining = tonumber(ARGV[2])
local current = redis.call('HMGET', KEYS[1], 'remaining', 'resetAtMs')
if current[1] and current[2] and math.abs(tonumber(current[2]) - resetAt) < 1000 then
  remaining = math.min(tonumber(current[1]), remaining)
end
redis.call('HSET', KEYS[1], 'limit', ARGV[1], 'remaining', remaining, 'resetAtMs', resetAt)
redis.call('PEXPIRE', KEYS[1], math.max(0, resetAt - now) + 600000)
return remaining
`
)

/** `blockFor`: KEYS[1] block key · ARGV[1] forMs (from now). Keeps the longer block. */
export const rateBlock = script(
  "rateBlock",
  `${NOW}
local now = nowMs()
local untilMs = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > current and untilMs > now then
  redis.call('SET', KEYS[1], untilMs, 'PX', untilMs - now)
end
return 1
`
)

/** Invalid-request guard: KEYS[1] sorted set · ARGV[1] window ms, ARGV[2] '1' to record one, ARGV[3] unique member. */
export const rateInvalid = script(
  "rateInvalid",
  `${NOW}
local now = nowMs()
local windowMs = tonumber(ARGV[1])
if ARGV[2] == '1' then
  redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[1], windowMs + 1000)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - windowMs)
return redis.call('ZCARD', KEYS[1])
`
)

/**
 * Lease acquisition with a fencing token. KEYS[1] lock, KEYS[2] fencing counter · ARGV[1] token, ARGV[2] ttl ms.
 * The fencing token is max(previous + 1, server time in ms): it keeps increasing even if the counter is lost
 * with the dataset. Returns the fencing token, or false when the lock is held by another token. Asking again
 * with the token that holds it renews the lease and returns its fencing token: an acquisition whose answer
 * was lost (a command timeout) can be retried.
 */
export const lockAcquire = script(
  "lockAcquire",
  `${NOW}
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(redis.call('GET', KEYS[2]))
end
if holder then return false end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local fencing = math.max(tonumber(redis.call('GET', KEYS[2]) or '0') + 1, nowMs())
redis.call('SET', KEYS[2], fencing)
return fencing
`
)

/** KEYS[1] lock · ARGV[1] token. Deletes only the owner's lease. */
export const lockRelease = script(
  "lockRelease",
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`
)

/** KEYS[1] lock · ARGV[1] token, ARGV[2] ttl ms. Extends only the owner's live lease. */
export const lockExtend = script(
  "lockExtend",
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`
)

/**
 * One event into the capped global stream and, when it names a profile, the capped per-profile stream under
 * the same id (a profile's stream expires after ARGV[5] ms without events). KEYS[1] global stream,
 * KEYS[2] profile stream · ARGV[1] json, ARGV[2] cap, ARGV[3] profile cap, ARGV[4] '1' when the event has a
 * profile, ARGV[5] profile stream ttl ms.
 */
export const eventAdd = script(
  "eventAdd",
  `
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'e', ARGV[1])
if ARGV[4] == '1' then
  redis.pcall('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], id, 'e', ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
end
return id
`
)

/** Compare-and-set of one hash field. KEYS[1] hash · ARGV[1] field, ARGV[2] expected value, ARGV[3] new value. */
export const hashReplaceIfEqual = script(
  "hashReplaceIfEqual",
  `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`
)
