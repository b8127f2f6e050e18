#!/usr/bin/env node
/**
 * The `guildpulse` binary. SIGTERM/SIGINT interrupt the running command, whose finalizers shut down
 * gracefully (requests in flight finish, the store is flushed, the lock released) before the process exits.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Cause, Effect, Exit } from "effect"
import { run } from "./Cli.js"

let code = 0
NodeRuntime.runMain(
  Effect.map(run(process.argv), (exitCode) => {
    code = exitCode
  }),
  {
    disableErrorReporting: false,
    teardown: (exit, onExit) => onExit(Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause) ? 1 : code)
  }
)
