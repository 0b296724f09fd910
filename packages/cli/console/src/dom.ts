// Every string that reaches the page goes through a text node or an
// attribute, never markup: event data is written by whoever appended it.

type Child = Node | string | number | null | undefined | false
type Props = Record<string, string | number | boolean | ((event: Event) => void) | undefined>

/** An element with attributes (`on…` props become listeners) and children (strings become text). */
export const h = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] => {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value)
    else element.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    element.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child)
  }
  return element
}

/** A link to a console route (`#/…`). */
export const link = (route: string, text: string, props: Props = {}): HTMLAnchorElement => h('a', { href: `#/${route}`, ...props }, text)

/** A table with a header row and one row per item. */
export const table = <T>(items: readonly T[], columns: readonly { header: string; cell: (item: T) => Child; className?: string }[], props: Props = {}): HTMLTableElement =>
  h(
    'table',
    props,
    h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', {}, c.header)))),
    h('tbody', {}, ...items.map((item) => h('tr', {}, ...columns.map((c) => h('td', c.className ? { class: c.className } : {}, c.cell(item)))))),
  )

/** Pretty JSON in a `<pre>`, as text. */
export const jsonBlock = (value: unknown, props: Props = {}): HTMLPreElement => h('pre', props, JSON.stringify(value, null, 2) ?? 'undefined')
