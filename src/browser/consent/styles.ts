/**
 * The consent manager's CSS, for its shadow roots only. Themable through custom properties set
 * anywhere above it (they inherit into shadow trees): `--qc-bg`, `--qc-fg`, `--qc-accent`,
 * `--qc-line`, their `-dark` twins for `prefers-color-scheme: dark`, `--qc-font` and `--qc-radius`.
 * The defaults meet WCAG 2.2 AA contrast: text 4.5:1 or more, controls and focus 3:1 or more.
 * Sizes are in rem, so the text follows the visitor's zoom, and everything wraps down to 320 px.
 */
const CSS = `:host{all:initial;--g:var(--qc-bg,#fff);--f:var(--qc-fg,#17171c);--a:var(--qc-accent,#1d4ed8);--l:var(--qc-line,#6b6b76)}
@media(prefers-color-scheme:dark){:host{--g:var(--qc-bg-dark,#1c1c21);--f:var(--qc-fg-dark,#f2f2f5);--a:var(--qc-accent-dark,#93b8ff);--l:var(--qc-line-dark,#9a9aa6)}}
*{box-sizing:border-box}
[hidden]{display:none!important}
.b,dialog,.r,.p{font:var(--qc-font,1rem/1.5 system-ui,sans-serif);color:var(--f);background:var(--g);border:1px solid var(--l);border-radius:var(--qc-radius,.5rem)}
.b{position:fixed;z-index:2147483646;left:.5rem;right:.5rem;bottom:.5rem;max-width:42rem;max-height:calc(100vh - 1rem);overflow:auto;margin:auto;padding:1rem;animation:u .3s ease-out}
@keyframes u{from{transform:translateY(1rem);opacity:0}}
dialog{width:calc(100% - 1rem);max-width:36rem;max-height:calc(100% - 1rem);padding:1rem}
dialog::backdrop{background:#000a}
h2{font-size:1.2rem;margin:0 0 .5rem}
p{margin:0 0 .75rem}
a{color:var(--a)}
.k{display:flex;flex-wrap:wrap;gap:.5rem}
button{font:inherit;font-weight:600;min-height:2.75rem;padding:.4rem 1rem;border:2px solid var(--a);border-radius:var(--qc-radius,.5rem);background:var(--a);color:var(--g);cursor:pointer}
.k button{flex:1 1 10rem}
.x{float:right;margin:-.5rem -.5rem 0 .5rem;min-width:2.75rem;padding:0;border-color:transparent;background:none;color:var(--f);font-size:1.5rem;line-height:1}
.r{position:fixed;z-index:2147483645;left:.5rem;bottom:.5rem;color:var(--a);background:var(--g);border:2px solid var(--a)}
.c{border-top:1px solid var(--l);padding:.75rem 0 0}
label{display:flex;gap:.6rem;align-items:center;font-weight:600}
input{width:1.25rem;height:1.25rem;margin:0;accent-color:var(--a)}
.p{display:block;padding:1rem;text-align:center}
:focus-visible{outline:3px solid var(--f);outline-offset:2px}
@media(prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important}}`

let sheet: CSSStyleSheet | undefined

/**
 * Styles a shadow root with a constructed stylesheet, which a `style-src 'self'` policy allows
 * (no `<style>` element, no `style=""`). Browsers without constructable stylesheets (Safari
 * before 16.4) get a `<style>` element, which works where the policy allows inline styles.
 */
export function adoptStyles(root: ShadowRoot): void {
  try {
    if (!sheet) {
      sheet = new CSSStyleSheet()
      sheet.replaceSync(CSS)
    }
    root.adoptedStyleSheets = [sheet]
  } catch {
    const style = document.createElement('style')
    style.textContent = CSS
    root.append(style)
  }
}
