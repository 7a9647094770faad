import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'

const root = new URL('../../', import.meta.url)
const read = (path: string) => readFileSync(new URL(path, root), 'utf8')

/** The suite's files whose `// #region README name` … `// #endregion` blocks the README shows. */
const SOURCES = ['test/compat/apps/express-app.ts', 'test/compat/apps/fastify-app.ts', 'test/compat/nest/nest-app.ts']

function dedent(lines: string[]): string {
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length))
  return lines.map((l) => l.slice(indent)).join('\n').trim()
}

function regions(): Map<string, string> {
  const found = new Map<string, string>()
  for (const file of SOURCES) {
    const lines = read(file).split('\n')
    for (let i = 0; i < lines.length; i++) {
      const name = /\/\/ #region README (.+)$/.exec(lines[i]!)?.[1]
      if (name === undefined) continue
      const end = lines.findIndex((l, j) => j > i && l.trim() === '// #endregion')
      found.set(name.trim(), dedent(lines.slice(i + 1, end)))
    }
  }
  return found
}

/**
 * README code blocks preceded by `<!-- fragment: compat a, b -->` (fragments of apps tested here, which the README's
 * own type-check skips): the regions they must equal, joined by a blank line.
 */
function readmeBlocks(): Array<{ names: string[]; code: string }> {
  const blocks: Array<{ names: string[]; code: string }> = []
  for (const m of read('README.md').matchAll(/<!-- fragment: compat ([^>]+) -->\n```ts\n([\s\S]*?)\n```/g)) {
    blocks.push({ names: m[1]!.split(',').map((n) => n.trim()), code: m[2]!.trim() })
  }
  return blocks
}

describe('the README\'s framework sections', () => {
  const all = regions()
  const blocks = readmeBlocks()

  it('show every snippet the compatibility suite runs', () => {
    expect([...new Set(blocks.flatMap((b) => b.names))].sort()).toEqual([...all.keys()].sort())
  })

  it.each(blocks.map((b) => [b.names.join(' + '), b] as const))('%s is the code the suite runs, verbatim', (_name, block) => {
    expect(block.code).toBe(block.names.map((n) => all.get(n)).join('\n\n'))
  })
})
