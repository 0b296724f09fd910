import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A fresh directory under the OS temp dir; `remove()` deletes it with everything in it. */
export interface TempDir {
  readonly path: string
  /** A path inside the directory. */
  file(name: string): string
  remove(): void
}

export const tempDir = (): TempDir => {
  const path = mkdtempSync(join(tmpdir(), 'eventfold-sqlite-'))
  return {
    path,
    file: (name) => join(path, name),
    remove: () => rmSync(path, { recursive: true, force: true }),
  }
}
