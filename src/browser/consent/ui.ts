import type { Strings } from './i18n.js'
import type { Choice } from './state.js'
import { adoptStyles } from './styles.js'

/** An optional category as the visitor sees it. */
export interface UiCategory {
  id: string
  label: string
  text: string
}

export interface UiOptions {
  lang: string
  strings: Strings
  categories: readonly UiCategory[]
  /** Privacy policy address, linked from banner and dialog. */
  policy?: string
  /** An opt-out signal keeps optional categories off: the dialog says so and disables them. */
  signal: boolean
  /** The choice the dialog opens with (all off before any decision: nothing is pre-ticked). */
  current(): Choice
  /** `true` accepts all, `false` rejects all, a choice is custom. */
  decide(choice: boolean | Choice): void
}

export interface Ui {
  banner(shown: boolean): void
  /** Opens the dialog showing the current choice; focus returns where it was when it closes. */
  preferences(): void
  /** Shows or hides the floating button that reopens the dialog. */
  reopen(shown: boolean): void
  /** A placeholder for content that waits for `labels`' categories, offering to grant them. */
  placeholder(labels: string, allow: () => void): HTMLElement
}

type Child = Node | string

const h = (tag: string, attributes: Record<string, string> = {}, ...children: Child[]) => {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value)
  element.append(...children)
  return element
}

const button = (text: string, onClick: () => void, attributes?: Record<string, string>) => {
  const element = h('button', { type: 'button', ...attributes }, text)
  element.onclick = onClick
  return element
}

/** A host element with its own shadow root, styled; the page's CSS cannot reach inside. */
const shadowHost = (attributes: Record<string, string>, ...children: Child[]) => {
  const host = h('div', attributes)
  const root = host.attachShadow({ mode: 'open' })
  adoptStyles(root)
  root.append(...children)
  return host
}

/**
 * The banner, the preferences dialog and the reopen button, in one shadow root placed first in
 * `<body>`, so that the banner's buttons come first in the tab order. "Accept all", "Reject all"
 * and "Preferences" (and in the dialog "Save choices") are the same element with the same style:
 * rejecting is exactly as easy as accepting. The dialog is a native modal `<dialog>`: the page
 * behind it is inert, so focus stays inside; Escape closes it without deciding.
 */
export function createUi(options: UiOptions): Ui {
  const { strings: t, categories, signal, decide } = options
  const policy = () => (options.policy ? [' ', h('a', { href: options.policy }, t.policy)] : [])
  const choices = (...more: Child[]) =>
    h(
      'div',
      { class: 'k' },
      button(t.accept, () => decide(true)),
      button(t.reject, () => decide(false)),
      ...more,
    )

  const boxes = categories.map(({ id }) => h('input', { type: 'checkbox', id: `c-${id}`, 'aria-describedby': `d-${id}`, ...(signal && { disabled: '' }) }) as HTMLInputElement)
  const row = (id: string, label: string, text: string, box: HTMLInputElement) => h('div', { class: 'c' }, h('label', {}, box, label), h('p', { id: `d-${id}` }, text))
  const necessary = h('input', { type: 'checkbox', id: 'c-necessary', checked: '', disabled: '', 'aria-describedby': 'd-necessary' }) as HTMLInputElement

  const dialog = h(
    'dialog',
    { 'aria-labelledby': 'qd' },
    button('×', () => dialog.close(), { class: 'x', 'aria-label': t.close }),
    h('h2', { id: 'qd' }, t.dialog),
    h('p', {}, t.intro, ...policy()),
    ...(signal ? [h('p', { class: 'n' }, h('strong', {}, t.signal))] : []),
    row('necessary', t.necessary, t.necessaryText, necessary),
    ...categories.map(({ id, label, text }, i) => row(id, label, text, boxes[i]!)),
    choices(button(t.save, () => decide(Object.fromEntries(categories.map(({ id }, i) => [id, boxes[i]!.checked]))))),
  ) as HTMLDialogElement

  let back: Element | null = null
  const preferences = () => {
    const current = options.current()
    boxes.forEach((box, i) => {
      box.checked = !signal && !!current[categories[i]!.id]
    })
    back = document.activeElement
    while (back?.shadowRoot?.activeElement) back = back.shadowRoot.activeElement
    if (!dialog.open) dialog.showModal()
  }
  dialog.onclose = () => (back as HTMLElement | null)?.focus?.()
  // A modal makes the page inert, but Tab past the last control would still leave for the
  // browser's own interface: wrap around instead, both ways.
  dialog.onkeydown = (event) => {
    const controls = [...dialog.querySelectorAll<HTMLElement>('a,button,input:enabled')]
    const [first, last] = event.shiftKey ? [controls.at(-1), controls[0]] : [controls[0], controls.at(-1)]
    if (event.key === 'Tab' && (dialog.getRootNode() as ShadowRoot).activeElement === last) {
      event.preventDefault()
      first?.focus()
    }
  }
  const banner = h(
    'section',
    { class: 'b', 'aria-labelledby': 'qt', hidden: '' },
    h('h2', { id: 'qt' }, t.title),
    h('p', {}, t.text, ...policy()),
    choices(button(t.prefs, preferences)),
  )
  const reopen = button(t.dialog, preferences, { class: 'r', hidden: '' })
  const host = shadowHost({ lang: options.lang, id: 'quietcount-consent' }, banner, dialog, reopen)
  document.body.prepend(host)

  const ui: Ui = {
    banner: (shown) => {
      banner.hidden = !shown
      if (!shown && dialog.open) dialog.close()
    },
    preferences,
    reopen: (shown) => (reopen.hidden = !shown),
    placeholder: (labels, allow) =>
      shadowHost(
        { lang: options.lang, 'data-quietcount-placeholder': '' },
        h('div', { class: 'p' }, h('p', {}, t.blocked.replace('{}', labels)), button(t.allow.replace('{}', labels), allow)),
      ),
  }
  return ui
}
