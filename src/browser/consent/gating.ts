/**
 * Content that waits for consent, marked up by the site:
 *
 *   <script type="text/plain" data-consent="marketing" src="https://tags.example/tag.js"></script>
 *   <script type="text/plain" data-consent="marketing">trackSomething()</script>
 *   <iframe data-consent="media" data-src="https://video.example/embed/1" title="…"></iframe>
 *
 * `data-consent` names a category, or several separated by spaces (all must be granted).
 */
const needs = (element: HTMLElement, granted: (category: string) => boolean) => element.dataset.consent!.split(' ').every(granted)

/**
 * Runs the gated scripts whose categories are granted, each once, in document order: a script
 * with `src` is awaited (loaded or failed) before the next one runs, as parser-inserted scripts
 * would be. Calls made while a run is under way queue behind it. A script becomes runnable by
 * replacing it with a copy without `type` (or with its `data-type`, e.g. `module`); the copy keeps
 * the other attributes and the nonce, so a page whose CSP names the nonce or the script's hash
 * runs it without `unsafe-inline`.
 */
export function createScriptGate(granted: (category: string) => boolean): () => Promise<void> {
  let queue = Promise.resolve()
  return () =>
    (queue = queue.then(async () => {
      for (const old of document.querySelectorAll<HTMLScriptElement>('script[type="text/plain"][data-consent]')) {
        if (!old.isConnected || !needs(old, granted)) continue
        const script = document.createElement('script')
        for (const { name, value } of old.attributes) if (name !== 'type') script.setAttribute(name, value)
        if (old.dataset.type) script.type = old.dataset.type
        script.nonce = old.nonce
        script.text = old.text
        if (old.src) {
          // Scripts inserted by script run as soon as they load, whatever their order: wait.
          await new Promise((done) => {
            script.onload = script.onerror = done
            old.replaceWith(script)
          })
        } else old.replaceWith(script)
      }
    }))
}

/**
 * Gives each gated iframe its `data-src` once its categories are granted, and takes it away on
 * withdrawal. While it waits the iframe is hidden and a placeholder made by `placeholder` (which
 * offers to grant) stands before it.
 */
export function gateFrames(granted: (category: string) => boolean, placeholder: (categories: string[]) => HTMLElement): void {
  for (const frame of document.querySelectorAll<HTMLIFrameElement>('iframe[data-consent]')) {
    const ok = needs(frame, granted)
    const before = frame.previousElementSibling
    const waiting = before?.hasAttribute('data-quietcount-placeholder') ? before : undefined
    frame.hidden = !ok
    if (ok) {
      waiting?.remove()
      if (frame.dataset.src && frame.getAttribute('src') !== frame.dataset.src) frame.src = frame.dataset.src
    } else {
      // Removing `src` would leave the embed running; about:blank unloads it.
      if (frame.getAttribute('src') === frame.dataset.src) frame.src = 'about:blank'
      if (!waiting) frame.before(placeholder(frame.dataset.consent!.split(' ')))
    }
  }
}
