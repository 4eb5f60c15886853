/**
 * Runs work one piece at a time, in the order it was asked for. A piece that fails is logged and
 * the next runs anyway: one failed commit or replay must not stop the ones after it.
 */
export function oneAtATime(log: (message: string) => void) {
  let tail: Promise<void> = Promise.resolve()
  return {
    /** Runs `work` after everything asked for before it; resolves once it has run (or failed and been logged). */
    run: (work: () => Promise<void>) => (tail = tail.then(work).catch((error) => log(`quietcount: ${errorMessage(error)}`))),
    /** Resolves once everything asked for so far has run. */
    idle: () => tail,
  }
}

/** An error's message for a log line (a thrown value may be anything). */
export const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error))
