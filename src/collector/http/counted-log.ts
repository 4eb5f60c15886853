/**
 * A log line for something that may happen many times a second and says nothing new each time
 * (clients abandoning their request bodies): the first is logged at once, the ones that follow
 * are counted and logged as one line at most every `everyMs`, and nothing more once they stop.
 *
 * @example
 * const aborts = countedLog(60_000, 'a client left', (n) => `${n} more clients left`)
 * aborts.add()
 */
export function countedLog(everyMs: number, first: string, more: (count: number) => string, log: (line: string) => void = console.error) {
  let total = 0
  let unsaid = 0
  let timer: NodeJS.Timeout | undefined
  const wait = () => {
    timer = setTimeout(say, everyMs)
    timer.unref()
  }
  const say = () => {
    timer = undefined
    if (!unsaid) return
    log(more(unsaid))
    unsaid = 0
    wait()
  }
  return {
    add() {
      total++
      if (timer) unsaid++
      else {
        log(first)
        wait()
      }
    },
    /** How many were added, logged or not. */
    total: () => total,
    /** Stops the timer; what is counted and not yet logged stays unsaid. */
    stop() {
      clearTimeout(timer)
      timer = undefined
    },
  }
}
