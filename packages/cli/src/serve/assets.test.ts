import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadAssets } from './assets'

describe('the console assets', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'eventfold-assets-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('serves the files found at start, by path, with / as index.html', () => {
    writeFileSync(join(dir, 'index.html'), '<!doctype html>')
    writeFileSync(join(dir, 'console.js'), 'export {}')
    writeFileSync(join(dir, 'notes.txt'), 'not served')
    mkdirSync(join(dir, 'fonts'))
    writeFileSync(join(dir, 'fonts', 'a.svg'), '<svg/>')
    const assets = loadAssets(dir)
    expect([...assets.keys()].sort()).toEqual(['/', '/console.js', '/fonts/a.svg', '/index.html'])
    expect(assets.get('/')).toMatchObject({ type: 'text/html; charset=utf-8' })
    expect(assets.get('/console.js')).toMatchObject({ type: 'text/javascript; charset=utf-8' })
  })

  it('says the front end is not built, naming the file, when index.html is missing', () => {
    expect(() => loadAssets(dir)).toThrow(
      expect.objectContaining({ type: 'console-assets-missing', path: join(dir, 'index.html'), message: expect.stringContaining('run `npm run build`') }),
    )
  })
})
