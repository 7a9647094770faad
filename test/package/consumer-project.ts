import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/**
 * A consumer project inside `test-artifacts/` with the package "installed" in its own `node_modules`: `dist/` built
 * from `src/` by the package's build (`scripts/build.mjs`), `package.json` and `README.md` copied, as `npm pack` would ship them. Every other
 * module (express, passport, the `@types` packages) resolves from the repository's `node_modules` above it, so these
 * tests need no network; `.ci/run` installs the packed tarball into projects outside the repository as well.
 */
export async function consumerProject(name: string): Promise<string> {
  const dir = join(ROOT, 'test-artifacts', 'consumers', name)
  const pkg = join(dir, 'node_modules', 'passport-freedom-id')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(pkg, { recursive: true })
  await run(process.execPath, [join(ROOT, 'scripts/build.mjs'), join(pkg, 'dist')])
  for (const file of ['package.json', 'README.md']) cpSync(join(ROOT, file), join(pkg, file))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, private: true, type: 'module' }))
  return dir
}

/** Writes files into the project (paths relative to it). */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
}

/** Runs `tsc -p` on the project with the repository's TypeScript; resolves with its output and exit code. */
export async function typeCheck(dir: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir, '--pretty', 'false'])
    return { code: 0, output: stdout }
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string }
    return { code: e.code ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` }
  }
}

/** A fenced code block: the heading it stands under, its first line's number, and whether it is a fragment. */
export interface CodeBlock {
  heading: string
  line: number
  code: string
  /** Preceded by `<!-- fragment: … -->`: an excerpt of a larger file that is tested where the comment says. */
  fragment: boolean
}

/** The fenced code blocks of a Markdown file with the given info string. */
export function codeBlocks(markdown: string, lang: string): CodeBlock[] {
  const blocks: CodeBlock[] = []
  const lines = markdown.split('\n')
  let heading = ''
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '').replace(/`/g, '')
    if (line.trim() !== '```' + lang) continue
    const start = i + 1
    let end = start
    while (end < lines.length && lines[end]!.trim() !== '```') end++
    const fragment = /^<!-- fragment\b/.test(lines[i - 1] ?? '')
    blocks.push({ heading, line: start + 1, code: lines.slice(start, end).join('\n') + '\n', fragment })
    i = end
  }
  return blocks
}

export const README = (): string => readFileSync(join(ROOT, 'README.md'), 'utf8')
