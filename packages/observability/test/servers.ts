/** Local receiving servers for notifier and OTLP tests (127.0.0.1, ephemeral ports). */
import * as http from "node:http"
import type { AddressInfo } from "node:net"

export interface Received {
  readonly method: string
  readonly url: string
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

export interface Receiver {
  readonly url: string
  readonly port: number
  readonly requests: Array<Received>
  /** Answers of the next requests, in order; then 200 "ok". */
  readonly answers: Array<{ readonly status: number; readonly headers?: Record<string, string>; readonly body?: string }>
  readonly close: () => Promise<void>
}

export const startReceiver = (handler?: (req: Received, res: http.ServerResponse) => boolean): Promise<Receiver> =>
  new Promise((resolve) => {
    const requests: Array<Received> = []
    const answers: Receiver["answers"] = []
    const server = http.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        const received = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") }
        requests.push(received)
        if (handler?.(received, res) === true) return
        const answer = answers.shift() ?? { status: 200, body: "ok" }
        res.writeHead(answer.status, answer.headers ?? {})
        res.end(answer.body ?? "")
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        requests,
        answers,
        close: () => new Promise<void>((done) => {
          server.closeAllConnections()
          server.close(() => done())
        })
      })
    })
  })

export interface OtlpSpan {
  readonly name: string
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly attributes: Record<string, unknown>
  readonly events: ReadonlyArray<{ readonly name: string; readonly attributes: Record<string, unknown> }>
  readonly status?: { readonly code?: number; readonly message?: string }
}

interface OtlpValue {
  readonly stringValue?: string
  readonly intValue?: string | number
  readonly doubleValue?: number
  readonly boolValue?: boolean
  readonly arrayValue?: { readonly values?: ReadonlyArray<OtlpValue> }
}

const value = (v: OtlpValue | undefined): unknown =>
  v === undefined
    ? undefined
    : v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ?? v.boolValue ?? v.arrayValue?.values?.map(value)

const attrs = (list: ReadonlyArray<{ key: string; value?: OtlpValue }> | undefined): Record<string, unknown> =>
  Object.fromEntries((list ?? []).map((a) => [a.key, value(a.value)]))

/** Spans of the OTLP/HTTP JSON export requests a receiver got. */
export const otlpSpans = (requests: ReadonlyArray<Received>): Array<OtlpSpan> =>
  requests
    .filter((r) => r.url === "/v1/traces")
    .flatMap((r) => {
      const body = JSON.parse(r.body) as {
        resourceSpans?: ReadonlyArray<{ scopeSpans?: ReadonlyArray<{ spans?: ReadonlyArray<Record<string, unknown>> }> }>
      }
      return (body.resourceSpans ?? []).flatMap((rs) =>
        (rs.scopeSpans ?? []).flatMap((ss) =>
          (ss.spans ?? []).map((s) => ({
            name: s["name"] as string,
            traceId: s["traceId"] as string,
            spanId: s["spanId"] as string,
            ...(typeof s["parentSpanId"] === "string" && s["parentSpanId"] !== "" ? { parentSpanId: s["parentSpanId"] as string } : {}),
            attributes: attrs(s["attributes"] as never),
            events: ((s["events"] as ReadonlyArray<{ name: string; attributes?: never }> | undefined) ?? []).map((e) => ({ name: e.name, attributes: attrs(e.attributes) })),
            ...(s["status"] !== undefined ? { status: s["status"] as NonNullable<OtlpSpan["status"]> } : {})
          }) as OtlpSpan)
        )
      )
    })
