import { eventProblem } from '../shared/personal-data.js'
import type { EventRecord } from '../shared/protocol.js'
import { LIMITS } from '../shared/protocol.js'

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
    const [part, rule, key] = eventProblem(name, checked) ?? []
    // The collector words a problem for a field of the body; here it names what was passed.
    const why = part && (part === 'props' ? `over ${LIMITS.props} props` : part === 'name' ? `name ${rule}` : `prop "${key}" ${rule}`)
    if (why) console.warn(`quietcount: event "${name}" not sent: ${why}`)
    else if (allowed()) add({ name, path: path(), count: 1, ...(Object.keys(checked)[0] && { props: checked }) })
    return !why && !!allowed()
  }
}
