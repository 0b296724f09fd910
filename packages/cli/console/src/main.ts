import { token } from './api'
import { h } from './dom'
import { PAGES } from './pages'

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T

const notice = (message: string, error = false): void => {
  const p = $('notice')
  p.textContent = message
  p.className = error ? 'error' : ''
}

let leave: (() => void)[] = []
let rendering = 0

/** Renders the page the location's hash names (`#/<route>/<args…>?<query>`). */
const render = async (keepNotice = false): Promise<void> => {
  for (const fn of leave) fn()
  leave = []
  if (!keepNotice) notice('')
  const [path = '', search = ''] = location.hash.replace(/^#\/?/, '').split('?')
  const [route = 'streams', ...args] = path.split('/').filter(Boolean).map(decodeURIComponent)
  const page = PAGES.find((p) => p.route === route) ?? PAGES[0]!
  for (const a of $('nav').querySelectorAll('a')) a.classList.toggle('current', a.dataset.route === page.route)
  const mine = ++rendering
  try {
    const node = await page.render({
      args,
      query: new URLSearchParams(search),
      notify: notice,
      onLeave: (fn) => leave.push(fn),
      refresh: () => void render(true),
    })
    if (mine === rendering) $('page').replaceChildren(node)
  } catch (error) {
    if (mine !== rendering) return
    $('page').replaceChildren()
    notice((error as Error).message, true)
  }
}

const start = (): void => {
  // The URL eventfold serve prints carries the token in the fragment, which no request sends; keep it for this tab and drop it from the address bar.
  const fromUrl = /^#token=([^&]+)/.exec(location.hash)
  if (fromUrl) {
    token.set(decodeURIComponent(fromUrl[1]!))
    history.replaceState(null, '', `${location.pathname}#/streams`)
  }
  const input = $<HTMLInputElement>('token')
  input.value = token.get()
  input.addEventListener('change', () => token.set(input.value.trim()))
  $('nav').replaceChildren(...PAGES.filter((p) => p.title).map((p) => h('a', { href: `#/${p.route}`, 'data-route': p.route }, p.title!)))
  window.addEventListener('hashchange', () => void render())
  void render()
}

start()
