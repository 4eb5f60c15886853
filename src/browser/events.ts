import { eventProblem } from '../shared/personal-data.js'
import type { EventRecord } from '../shared/protocol.js'

export type Props = Record<string, string | number | boolean>
export type Track = (name: string, props?: Props) => boolean

/**
 * `track(name, props)` for custom events. The collector's rules (eventProblem) are checked here
 * too, so that what is refused here is what it would refuse: an event that breaks one is not
 * sent, and the console says why. Props are sorted, so that the same props merge.
 */
export function createTrack(add: (record: EventRecord) => void, allowed: () => boolean | undefined, path: () => string): Track {
  return (name, props = {}) => {
    const checked: Record<string, string> = {}
    for (const [key, value] of Object.entries(props).sort()) checked[key] = String(value)
    const why = eventProblem(name, checked)
    if (why) console.warn(`quietcount: event "${name}" not sent: ${why}`)
    else if (allowed()) add({ name, path: path(), count: 1, ...(Object.keys(checked)[0] && { props: checked }) })
    return !why && !!allowed()
  }
}
