/**
 * Every word the consent manager shows or announces, aria-labels included. A language is one
 * object of this shape; `{}` in `blocked` and `allow` stands for a category's label.
 */
export interface Strings {
  /** Heading of the banner, which also names its landmark. */
  title: string
  text: string
  accept: string
  reject: string
  prefs: string
  /** Heading of the preferences dialog and text of the floating button that reopens it. */
  dialog: string
  intro: string
  save: string
  /** aria-label of the dialog's close button (Escape does the same: closes without deciding). */
  close: string
  policy: string
  necessary: string
  necessaryText: string
  analytics: string
  analyticsText: string
  /** Shown in the dialog when Global Privacy Control or Do Not Track keeps optional categories off. */
  signal: string
  /** Placeholder of content waiting for consent, and its button. */
  blocked: string
  allow: string
}

export const en: Strings = {
  title: 'Cookies on this site',
  text: 'With your consent we use optional cookies for statistics and the purposes in Preferences. You can change your choice at any time.',
  accept: 'Accept all',
  reject: 'Reject all',
  prefs: 'Preferences',
  dialog: 'Privacy preferences',
  intro: 'Choose the optional categories you allow.',
  save: 'Save choices',
  close: 'Close without deciding',
  policy: 'Privacy policy',
  necessary: 'Necessary',
  necessaryText: 'Remember your choice and keep the site working. Always on.',
  analytics: 'Statistics',
  analyticsText: 'Count visits anonymously, in aggregate.',
  signal: 'Your browser sends Global Privacy Control or Do Not Track: optional categories stay off.',
  blocked: 'This content needs your consent for “{}”.',
  allow: 'Allow {}',
}

export const es: Strings = {
  title: 'Cookies en este sitio',
  text: 'Con tu consentimiento usamos cookies opcionales para estadísticas y los fines de Preferencias. Puedes cambiar tu elección en cualquier momento.',
  accept: 'Aceptar todo',
  reject: 'Rechazar todo',
  prefs: 'Preferencias',
  dialog: 'Preferencias de privacidad',
  intro: 'Elige las categorías opcionales que permites.',
  save: 'Guardar selección',
  close: 'Cerrar sin decidir',
  policy: 'Política de privacidad',
  necessary: 'Necesarias',
  necessaryText: 'Recuerdan tu elección y hacen funcionar el sitio. Siempre activas.',
  analytics: 'Estadísticas',
  analyticsText: 'Cuentan visitas de forma anónima y agregada.',
  signal: 'Tu navegador envía Global Privacy Control o Do Not Track: las categorías opcionales quedan desactivadas.',
  blocked: 'Este contenido necesita tu consentimiento para «{}».',
  allow: 'Permitir {}',
}

/**
 * The EU's other official languages: each is a file of its own (languages/CODE.json, built to
 * dist/lang/CODE.json), fetched only for a page that asks for it (ConsentConfig.languageUrl).
 */
export const FETCHED = 'bg cs da de el et fi fr ga hr hu it lt lv mt nl pl pt ro sk sl sv'.split(' ')

/**
 * The language to show: `wanted` when given (it must exist), else the first of `<html lang>` and
 * the browser's languages that exists, else English. Matched on the primary subtag (`es-MX` → `es`).
 * A code of `fetchable` that is not in hand comes with no strings: they are to be fetched.
 */
export function pickLanguage(languages: Readonly<Record<string, Strings>>, wanted?: string, fetchable: readonly string[] = []): [string, Strings?] {
  const known = (code: string) => languages[code] || fetchable.includes(code)
  if (wanted && !known(wanted)) throw new Error(`quietcount: lang "${wanted}" must be one of ${[...Object.keys(languages), ...fetchable].join(', ')} (add it under languages)`)
  for (const tag of [wanted, document.documentElement.lang, ...navigator.languages]) {
    const code = tag?.split('-')[0]?.toLowerCase()
    if (code && known(code)) return [code, languages[code]]
  }
  return ['en', languages.en ?? en]
}

/**
 * A language file's strings, or why not: fetched (the page's `connect-src` must allow the URL, as
 * `default-src 'self'` does for a file beside the script), each string of English present.
 * Gives up after 3 s: the banner then shows in English rather than never.
 */
export async function fetchStrings(url: string): Promise<Strings> {
  const response = await fetch(url, { signal: AbortSignal.timeout(3e3) })
  if (!response.ok) throw `${url} ${response.status}`
  const strings = (await response.json()) as Strings
  for (const key in en) if (typeof strings[key as keyof Strings] !== 'string') throw `${url} has no ${key}`
  return strings
}
