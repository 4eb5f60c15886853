/**
 * The log line of a failed commit. Every beacon of a failed commit gets the same error, and one
 * line per beacon would flood the log in an outage: a failure is logged once, and the same
 * message again at most every `everyMs`.
 *
 * @example
 * const commitFailed = commitFailureLog()
 * commits.add(counted)?.catch(commitFailed)
 */
export function commitFailureLog(everyMs = 10_000): (failure: unknown) => void {
  // The last failure logged, and when.
  let last = { failure: undefined as unknown, message: '', at: 0 }
  return (failure) => {
    const message = failure instanceof Error ? failure.message : String(failure)
    if (failure === last.failure || (message === last.message && Date.now() - last.at <= everyMs)) return
    console.error(`quietcount: a commit failed: ${message}`)
    last = { failure, message, at: Date.now() }
  }
}
