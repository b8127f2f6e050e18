/** The control API under `/__sandbox/`: scenarios (GET/PUT/DELETE), stats, reset, fixtures. */
import type { IncomingMessage, ServerResponse } from "node:http"
import { summarizeFixtures } from "../Fixtures.js"
import { parseScenario } from "../Scenario.js"
import { METHOD_NOT_ALLOWED, NOT_FOUND } from "./bodies.js"
import { json, MAX_CONTROL_BODY_BYTES, readBody, write } from "./http.js"
import type { SandboxState } from "./state.js"

export const CONTROL_PREFIX = "/__sandbox/"

const badRequest = (res: ServerResponse, field: string, message: string): void => write(res, 400, json({ message, field }))

const putScenario = async (state: SandboxState, req: IncomingMessage, res: ServerResponse): Promise<void> => {
  const text = await readBody(req)
  if (text === undefined) return badRequest(res, "body", `body: larger than ${MAX_CONTROL_BODY_BYTES} bytes`)
  let input: unknown
  try {
    input = JSON.parse(text)
  } catch {
    return badRequest(res, "body", "body: not valid JSON")
  }
  const parsed = parseScenario(input)
  if (!parsed.ok) return badRequest(res, parsed.field, parsed.message)
  state.applyScenario(parsed.scenario)
  write(res, 200, json({ ok: true, scenarios: state.scenarios.list() }))
}

type ControlHandler = (state: SandboxState, req: IncomingMessage, res: ServerResponse) => void | Promise<void>

/** Path → method → handler. */
const routes: Readonly<Record<string, Readonly<Record<string, ControlHandler>>>> = {
  "/__sandbox/scenario": {
    GET: (state, _, res) => write(res, 200, json({ scenarios: state.scenarios.list() })),
    PUT: putScenario,
    DELETE: (state, _, res) => {
      state.clearScenarios()
      write(res, 200, json({ ok: true, scenarios: [] }))
    }
  },
  "/__sandbox/stats": { GET: (state, _, res) => write(res, 200, json(state.stats.snapshot())) },
  "/__sandbox/reset": {
    POST: (state, _, res) => {
      state.reset()
      write(res, 200, json({ ok: true }))
    }
  },
  "/__sandbox/fixtures": {
    GET: (state, _, res) => write(res, 200, json({ ...summarizeFixtures(state.fixtures), limits: state.limits, now: state.clock() }))
  }
}

export const handleControl = async (state: SandboxState, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
  const methods = Object.hasOwn(routes, path) ? routes[path] : undefined
  if (methods === undefined) return write(res, 404, json(NOT_FOUND))
  const method = req.method ?? "GET"
  const handler = Object.hasOwn(methods, method) ? methods[method] : undefined
  if (handler === undefined) return write(res, 405, json(METHOD_NOT_ALLOWED), { Allow: Object.keys(methods).join(", ") })
  await handler(state, req, res)
}
