import { afterAll, assert, beforeAll, beforeEach, describe, it } from "@effect/vitest"
import { Clock, ConfigProvider, Effect, Fiber, Layer, Redacted, TestClock } from "effect"
import { EventLog, ProfileKey } from "@guildpulse/core"
import * as DiscordWebhookNotifier from "../src/DiscordWebhookNotifier.js"
import * as Notifier from "../src/Notifier.js"
import * as Observability from "../src/Observability.js"
import type { AlertNotice, DigestReport } from "../src/Notifier.js"
import * as SlackNotifier from "../src/SlackNotifier.js"
import * as WebhookNotifier from "../src/WebhookNotifier.js"
import * as WebhookSignature from "../src/WebhookSignature.js"
import { startReceiver, type Receiver } from "./servers.js"

const firing: AlertNotice = {
  kind: "alert",
  id: "stale_data:main:1764072000000",
  status: "firing",
  rule: "stale_data",
  profile: ProfileKey.make("main"),
  profileLabel: "My <b>server</b> & @everyone",
  severity: "warning",
  title: "Data is stale",
  summary: "The numbers shown are 45 min old (limit 30 min); refreshes are failing.",
  details: [{ label: "Age", value: "45 min" }],
  startedAt: "2025-11-25T12:00:00.000Z",
  dedupKey: "stale_data:main"
}

const resolved: AlertNotice = { ...firing, status: "resolved", resolvedAt: "2025-11-25T13:30:00.000Z", summary: "Resolved after 90 min." }

const digest: DigestReport = {
  kind: "digest",
  id: "digest:main:1764576000000",
  profile: ProfileKey.make("main"),
  profileLabel: "Main",
  period: { from: "2025-11-24T09:00:00.000Z", to: "2025-12-01T09:00:00.000Z" },
  samples: 10080,
  online: { average: 120.5, peak: 300, peakAt: "2025-11-28T20:00:00.000Z" },
  members: { average: 1500, first: 1490, last: 1510, peak: 1512, growth: 20, growthPercent: 1.34 },
  freshUptime: 0.9987,
  incidents: { count: 1, byRule: { stale_data: 1 }, items: [{ rule: "stale_data", severity: "warning", title: "Data is stale", startedAt: "2025-11-25T12:00:00.000Z", resolvedAt: "2025-11-25T13:30:00.000Z", durationMinutes: 90 }] }
}

const secret = Redacted.make("whsec_local_test")
const local = { allow: ["127.0.0.1"], allowHttp: true } as const
const fastRetry = { retry: { baseDelayMs: 5, maxDelayMs: 20 } }

const run = <A, E>(channels: ReadonlyArray<Notifier.Channel>, body: (n: Notifier.Notifier["Type"], events: EventLog.EventLog["Type"]) => Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const notifier = yield* Notifier.Notifier
    const events = yield* EventLog.EventLog
    return yield* body(notifier, events)
  }).pipe(Effect.provide(Notifier.layer(channels, fastRetry).pipe(Layer.provideMerge(EventLog.layerMemory()))))

describe("notifiers against a local receiver", () => {
  let receiver: Receiver
  beforeAll(async () => {
    receiver = await startReceiver()
  })
  afterAll(() => receiver.close())
  beforeEach(() => {
    receiver.requests.length = 0
    receiver.answers.length = 0
  })

  it.live("generic webhook: signed JSON body that verifies, with event and delivery headers", () =>
    run([WebhookNotifier.make({ url: Redacted.make(`${receiver.url}/hook`), secret, policy: local })], (notifier) =>
      Effect.gen(function* () {
        const results = yield* notifier.send(firing)
        assert.deepStrictEqual(results.map((r) => [r.channel, r.ok, r.attempts]), [["webhook", true, 1]])
        const req = receiver.requests[0]!
        assert.strictEqual(req.method, "POST")
        assert.strictEqual(req.url, "/hook")
        assert.strictEqual(req.headers["content-type"], "application/json")
        assert.strictEqual(req.headers["x-guildpulse-event"], "alert.firing")
        assert.strictEqual(req.headers["x-guildpulse-delivery"], firing.id)
        const parsed = JSON.parse(req.body) as WebhookNotifier.WebhookPayload
        assert.deepStrictEqual(Object.keys(parsed), ["type", "id", "sentAt", "data"])
        assert.strictEqual(parsed.type, "alert.firing")
        assert.deepStrictEqual(parsed.data, firing)
        const verified = WebhookSignature.verify({ secret: "whsec_local_test", header: req.headers["x-guildpulse-signature"], body: req.body })
        assert.isTrue(verified.ok)
        assert.isFalse(WebhookSignature.verify({ secret: "whsec_local_test", header: req.headers["x-guildpulse-signature"], body: req.body.replace("stale", "fine") }).ok)
      })))

  it.live("Slack: text fallback plus header/section/fields/context blocks, mrkdwn escaped", () =>
    run([SlackNotifier.make({ url: Redacted.make(`${receiver.url}/services/T000/B000/XXXX`), policy: local })], (notifier) =>
      Effect.gen(function* () {
        yield* notifier.send(firing)
        const body = JSON.parse(receiver.requests[0]!.body) as SlackNotifier.SlackPayload
        assert.deepStrictEqual(body, {
          text: "[FIRING] Data is stale — My &lt;b&gt;server&lt;/b&gt; &amp; @everyone (main)",
          blocks: [
            { type: "header", text: { type: "plain_text", text: ":warning: [FIRING] Data is stale — My <b>server</b> & @everyone (main)", emoji: true } },
            { type: "section", text: { type: "mrkdwn", text: "The numbers shown are 45 min old (limit 30 min); refreshes are failing." } },
            {
              type: "section",
              fields: [
                { type: "mrkdwn", text: "*Profile*\nMy &lt;b&gt;server&lt;/b&gt; &amp; @everyone (main)" },
                { type: "mrkdwn", text: "*Severity*\nwarning" },
                { type: "mrkdwn", text: "*Rule*\nstale_data" },
                { type: "mrkdwn", text: "*Since*\n2025-11-25T12:00:00.000Z" },
                { type: "mrkdwn", text: "*Age*\n45 min" }
              ]
            },
            { type: "context", elements: [{ type: "mrkdwn", text: "GuildPulse · rule stale_data · since 2025-11-25T12:00:00.000Z" }] }
          ]
        })
        // Slack's limits: header ≤ 150, ≤ 10 fields.
        for (const message of [firing, resolved, digest]) {
          const payload = SlackNotifier.payload(message)
          const header = payload.blocks[0] as { text: { text: string } }
          assert.isAtMost(header.text.text.length, 150)
          const section = payload.blocks[2] as { fields: ReadonlyArray<unknown> }
          assert.isAtMost(section.fields.length, 10)
        }
      })))

  it.live("Discord: one embed with title, description, colour, fields, footer and timestamp; no mentions parsed", () =>
    run([DiscordWebhookNotifier.make({ url: Redacted.make(`${receiver.url}/api/webhooks/123/secret-token`), policy: local })], (notifier) =>
      Effect.gen(function* () {
        receiver.answers.push({ status: 204 })
        const [result] = yield* notifier.send(resolved)
        assert.isTrue(result!.ok)
        assert.strictEqual(result!.status, 204)
        const body = JSON.parse(receiver.requests[0]!.body) as DiscordWebhookNotifier.DiscordPayload
        assert.deepStrictEqual(body, {
          username: "GuildPulse",
          allowed_mentions: { parse: [] },
          embeds: [
            {
              title: "[RESOLVED] Data is stale — My <b>server</b> & @everyone (main)",
              description: "Resolved after 90 min.",
              color: 0x2ecc71,
              fields: [
                { name: "Profile", value: "My <b>server</b> & @everyone (main)", inline: true },
                { name: "Severity", value: "warning", inline: true },
                { name: "Rule", value: "stale_data", inline: true },
                { name: "Lasted", value: "1 h 30 min", inline: true },
                { name: "Age", value: "45 min", inline: true }
              ],
              footer: { text: "GuildPulse · stale_data" },
              timestamp: "2025-11-25T13:30:00.000Z"
            }
          ]
        })
        const d = DiscordWebhookNotifier.payload(digest)
        assert.strictEqual(d.embeds[0]!.color, 0x5865f2)
        assert.match(d.embeds[0]!.description, /Incidents:\n• Data is stale/)
      })))

  it.effect("retries transient failures with backoff, honouring Retry-After, then succeeds", () =>
    run([SlackNotifier.make({ url: Redacted.make(`${receiver.url}/s`), policy: local })], (notifier, events) =>
      Effect.gen(function* () {
        receiver.answers.push({ status: 503, body: "busy" }, { status: 429, headers: { "retry-after": "0.05" }, body: "rate_limited" })
        const sending = yield* Effect.fork(notifier.send(firing))
        /**
         * Waits until the receiver has had `n` requests and the notifier sleeps (on the TestClock) before its next
         * attempt; returns that sleep. Real I/O runs meanwhile; the test timeout is the only bound.
         */
        const nextWait = (n: number) =>
          Effect.gen(function* () {
            while (true) {
              yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
              if (receiver.requests.length < n) continue
              const now = yield* Clock.currentTimeMillis
              const [wake] = yield* TestClock.sleeps()
              if (wake !== undefined) return wake - now
            }
          })
        const backoff = yield* nextWait(1)
        assert.isAtMost(backoff, 20, "after the 503: the jittered backoff, capped at maxDelayMs")
        yield* TestClock.adjust(backoff)
        // fastRetry's backoff stays under 20 ms, so the 429's announced 50 ms is the wait, exactly.
        assert.strictEqual(yield* nextWait(2), 50, "after the 429: the announced Retry-After")
        yield* TestClock.adjust(50)
        const [result] = yield* Fiber.join(sending)
        assert.isTrue(result!.ok)
        assert.strictEqual(result!.attempts, 3)
        assert.strictEqual(receiver.requests.length, 3)
        const sent = yield* events.query({ type: "alert.sent" })
        assert.strictEqual(sent.events[0]!.attempt, 3)
        assert.strictEqual(sent.events[0]!.source, "slack")
      })))

  it.live("does not retry a 4xx; logs alert.failed without leaking the hook URL", () =>
    run([DiscordWebhookNotifier.make({ url: Redacted.make(`${receiver.url}/api/webhooks/123/very-secret-token`), policy: local })], (notifier, events) =>
      Effect.gen(function* () {
        receiver.answers.push({ status: 404, body: '{"message": "Unknown Webhook", "code": 10015}' })
        const [result] = yield* notifier.send(firing)
        assert.isFalse(result!.ok)
        assert.strictEqual(result!.attempts, 1)
        assert.strictEqual(result!.status, 404)
        const failed = yield* events.query({ type: "alert.failed" })
        assert.strictEqual(failed.events.length, 1)
        assert.strictEqual(failed.events[0]!.level, "error")
        assert.match(failed.events[0]!.message, /HTTP 404/)
        assert.notInclude(JSON.stringify(failed.events), "very-secret-token")
      })))

  it.live("gives up after the retry budget on persistent 5xx", () =>
    run([WebhookNotifier.make({ url: Redacted.make(`${receiver.url}/hook`), secret, policy: local })], (notifier) =>
      Effect.gen(function* () {
        receiver.answers.push({ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 })
        const [result] = yield* notifier.send(digest)
        assert.isFalse(result!.ok)
        assert.strictEqual(result!.attempts, 4, "first attempt + 3 retries")
        assert.strictEqual(JSON.parse(receiver.requests[0]!.body).type, "digest")
      })))

  it.live("refuses to deliver to the local receiver without the allow-list (SSRF guard), without retrying", () =>
    run(
      [
        WebhookNotifier.make({ url: Redacted.make(`${receiver.url}/hook`), secret }),
        SlackNotifier.make({ url: Redacted.make(`${receiver.url}/hook`), policy: { allowHttp: true } }),
        DiscordWebhookNotifier.make({ name: "discord-https", url: Redacted.make(`https://localhost:${receiver.port}/api/webhooks/1/x`) })
      ],
      (notifier, events) =>
        Effect.gen(function* () {
          const results = yield* notifier.send(firing)
          assert.deepStrictEqual(results.map((r) => [r.ok, r.attempts]), [[false, 1], [false, 1], [false, 1]])
          assert.strictEqual(receiver.requests.length, 0)
          const failed = yield* events.query({ type: "alert.failed" })
          assert.strictEqual(failed.events.length, 3)
          assert.isTrue(failed.events.every((e) => e.message.includes("refused")))
        })
    ))
})

describe("channels from the environment", () => {
  const withEnv = (entries: ReadonlyArray<[string, string]>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(entries)))

  it.effect("builds webhook, Slack, Discord and e-mail channels; URLs and secrets stay redacted", () =>
    Effect.gen(function* () {
      const channels = yield* Observability.channelsConfig.pipe(
        withEnv([
          ["GUILDPULSE_ALERTS_WEBHOOK_URL", "https://hooks.example.com/guildpulse"],
          ["GUILDPULSE_ALERTS_WEBHOOK_SECRET", "new-secret,old-secret"],
          ["GUILDPULSE_ALERTS_SLACK_URL", "https://hooks.slack.com/services/T0/B0/XYZ"],
          ["GUILDPULSE_ALERTS_DISCORD_URL", "https://discord.com/api/webhooks/1/abc"],
          ["SMTP_URL", "smtp://user:pass@127.0.0.1:2525"],
          ["GUILDPULSE_ALERTS_EMAIL_TO", "ops@example.com, oncall@example.com"]
        ])
      )
      assert.deepStrictEqual(channels.map((c) => [c.name, c.kind]), [["webhook", "webhook"], ["slack", "slack"], ["discord", "discord"], ["email", "email"]])
      assert.notInclude(JSON.stringify(channels), "XYZ")
      assert.notInclude(JSON.stringify(channels), "pass@")
    }).pipe(Effect.scoped))

  it.effect("a webhook without a signing secret is a configuration error", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Observability.channelsConfig.pipe(withEnv([["GUILDPULSE_ALERTS_WEBHOOK_URL", "https://hooks.example.com/x"]]), Effect.scoped))
      assert.include(String(error), "GUILDPULSE_ALERTS_WEBHOOK_SECRET")
      const none = yield* Observability.channelsConfig.pipe(withEnv([]), Effect.scoped)
      assert.deepStrictEqual(none, [])
    }))
})
