/** The one way an operator route runs an effect and answers: success to `onSuccess`, failures as problems. */
import type { Engine } from "@guildpulse/core"
import { type Effect, Exit } from "effect"
import * as Problem from "../Problem.js"
import type { RouteContext } from "../Routes.js"
import { onExit } from "./engine.js"

/** Runs an effect and sends its success with `onSuccess`; failures become problems, defects are logged. */
export const runThen = <A, E>(
  state: { readonly logDefect: (what: string, defect: unknown) => void },
  context: RouteContext,
  where: string,
  effect: Effect.Effect<A, E, Engine.Services>,
  onSuccess: (value: A) => void
): void | Promise<void> =>
  onExit(context.run(effect), (exit) => {
    if (Exit.isSuccess(exit)) return onSuccess(exit.value)
    const { response, defect } = Problem.fromCause(exit.cause)
    if (defect) state.logDefect(`unexpected error while serving ${where}`, exit.cause)
    context.sendProblem(response)
  })
