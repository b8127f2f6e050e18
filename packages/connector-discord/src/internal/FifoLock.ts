/**
 * A strictly first-in-first-out mutex, and a map of them by key that forgets idle keys.
 *
 * Why not `Effect.Semaphore`: on release it wakes every waiter and lets them race for the permit, which
 * is O(waiters) per release (thousands of requests queued on one global budget make that quadratic) and
 * does not keep arrival order. Here a release hands the lock to exactly the oldest waiter.
 */
import { Effect } from "effect"

interface Waiter {
  granted: boolean
  readonly wake: () => void
}

export interface FifoLock {
  readonly withLock: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Fibers waiting for the lock (not counting the holder). */
  readonly waiting: () => number
  readonly locked: () => boolean
}

export const unsafeMake = (): FifoLock => {
  let locked = false
  // A queue with a moving head: O(1) dequeue without Array#shift on long queues.
  let queue: Array<Waiter | undefined> = []
  let head = 0
  let size = 0

  const release = (): void => {
    while (head < queue.length) {
      const next = queue[head]
      queue[head] = undefined
      head += 1
      if (next !== undefined) {
        size -= 1
        if (head > 1024 && head * 2 > queue.length) {
          queue = queue.slice(head)
          head = 0
        }
        next.granted = true
        next.wake()
        return
      }
    }
    queue = []
    head = 0
    locked = false
  }

  const acquire = Effect.async<void>((resume) => {
    if (!locked) {
      locked = true
      resume(Effect.void)
      return
    }
    const waiter: Waiter = { granted: false, wake: () => resume(Effect.void) }
    const index = queue.length
    queue.push(waiter)
    size += 1
    return Effect.sync(() => {
      if (waiter.granted) {
        // Interrupted after being handed the lock: pass it on.
        release()
      } else if (queue[index] === waiter) {
        queue[index] = undefined
        size -= 1
      } else {
        const at = queue.indexOf(waiter, head)
        if (at >= 0) {
          queue[at] = undefined
          size -= 1
        }
      }
    })
  })

  return {
    withLock: (self) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.zipRight(restore(acquire), Effect.ensuring(restore(self), Effect.sync(release)))
      ),
    waiting: () => size,
    locked: () => locked
  }
}

/** FIFO locks by key; a key's lock is dropped once nobody holds or waits for it. */
export const unsafeMakeKeyed = () => {
  const locks = new Map<string, { readonly lock: FifoLock; users: number }>()
  const withLock =
    (key: string) =>
    <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          let entry = locks.get(key)
          if (entry === undefined) {
            entry = { lock: unsafeMake(), users: 0 }
            locks.set(key, entry)
          }
          const current = entry
          current.users += 1
          return restore(current.lock.withLock(self)).pipe(
            Effect.ensuring(
              Effect.sync(() => {
                current.users -= 1
                if (current.users === 0 && locks.get(key) === current) locks.delete(key)
              })
            )
          )
        })
      )
  return { withLock, size: () => locks.size }
}
