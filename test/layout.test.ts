import { describe, expect, it } from '@jest/globals'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, posix, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

/**
 * The layout's rules, read from the import graph of `src/` itself (TypeScript's parser), so that no list of files is
 * kept by hand: imports run one way (api → sign-in → provider → errors; sign-out uses errors only), the main entry
 * never reaches the emulator, the emulator uses nothing of the library but the grant list and types, and `test/`
 * mirrors `src/` folder for folder.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SRC = join(ROOT, 'src')

interface Edge {
  to: string
  typeOnly: boolean
}

function listFiles(dir: string, keep: (path: string) => boolean): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : listFiles(path, keep)
    return keep(path) ? [path] : []
  })
}

/** `src/`-relative module path → its relative imports, each marked type-only or not. */
function importGraph(): Map<string, Edge[]> {
  const graph = new Map<string, Edge[]>()
  for (const path of listFiles(SRC, (p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))) {
    const file = relative(SRC, path).split('\\').join('/')
    const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest)
    const edges: Edge[] = []
    const add = (specifier: ts.Expression | undefined, typeOnly: boolean) => {
      if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) return
      const to = posix.normalize(posix.join(posix.dirname(file), specifier.text)).replace(/\.js$/, '.ts')
      edges.push({ to, typeOnly })
    }
    const visit = (node: ts.Node) => {
      if (ts.isImportDeclaration(node)) {
        const clause = node.importClause
        const bindings = clause?.namedBindings
        const allNamedTypes =
          !!bindings && ts.isNamedImports(bindings) && !clause.name && bindings.elements.every((e) => e.isTypeOnly)
        add(node.moduleSpecifier, !!clause && (clause.isTypeOnly || allNamedTypes))
      } else if (ts.isExportDeclaration(node)) {
        const clause = node.exportClause
        const allNamedTypes = !!clause && ts.isNamedExports(clause) && clause.elements.every((e) => e.isTypeOnly)
        add(node.moduleSpecifier, node.isTypeOnly || allNamedTypes)
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        add(node.arguments[0], false)
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
    graph.set(file, edges)
  }
  return graph
}

/** The room a module lives in: its first folder under `src/`, or the file itself at the root. */
const room = (file: string) => (file.includes('/') ? file.slice(0, file.indexOf('/')) : file)

/** Which rooms each room may import from (besides itself). */
const ALLOWED: Record<string, string[]> = {
  'index.ts': ['api', 'sign-in', 'sign-out', 'provider', 'errors.ts'],
  'errors.ts': [],
  api: ['sign-in', 'sign-out', 'provider', 'errors.ts'],
  'sign-in': ['sign-out', 'provider', 'errors.ts'],
  provider: ['errors.ts'],
  'sign-out': ['errors.ts'],
  emulator: [],
}

const graph = importGraph()

describe('layout of src/', () => {
  it('has only the documented rooms', () => {
    expect([...new Set([...graph.keys()].map(room))].sort()).toEqual(Object.keys(ALLOWED).sort())
  })

  it('every relative import names a file that exists', () => {
    const missing = [...graph].flatMap(([file, edges]) => edges.filter((e) => !graph.has(e.to)).map((e) => `${file} → ${e.to}`))
    expect(missing).toEqual([])
  })

  it('imports run one way: api → sign-in → provider → errors, and sign-out uses errors only', () => {
    const wrong = [...graph]
      .filter(([file]) => room(file) !== 'emulator')
      .flatMap(([file, edges]) =>
        edges
          .filter((e) => room(e.to) !== room(file) && !ALLOWED[room(file)]!.includes(room(e.to)))
          .map((e) => `${file} → ${e.to}`),
      )
    expect(wrong).toEqual([])
  })

  it('the main entry never loads the emulator', () => {
    const reached = new Set<string>()
    const walk = (file: string) => {
      if (reached.has(file)) return
      reached.add(file)
      for (const e of graph.get(file) ?? []) if (!e.typeOnly) walk(e.to)
    }
    walk('index.ts')
    expect(reached.size).toBeGreaterThan(10)
    expect([...reached].filter((f) => room(f) === 'emulator')).toEqual([])
  })

  it('the emulator uses nothing of the library but the grant list and types', () => {
    const used = [...graph]
      .filter(([file]) => room(file) === 'emulator')
      .flatMap(([, edges]) => edges.filter((e) => room(e.to) !== 'emulator' && !e.typeOnly).map((e) => e.to))
    expect([...new Set(used)]).toEqual(['sign-in/grants.ts'])
  })
})

describe('layout of test/', () => {
  const folders = (dir: string) =>
    listFiles(dir, () => true)
      .map((p) => relative(dir, dirname(p)).split('\\').join('/'))
      .filter((d) => d !== '')
  const srcFolders = new Set(folders(SRC))
  const testFolders = new Set(folders(join(ROOT, 'test')))

  /** Beside the mirror: shared helpers, the sample app's tests, and suites that cross every room. */
  const CROSS_CUTTING = /^(helpers|example-app|compat|conformance|package)(\/|$)/

  it('mirrors src/ folder for folder, with helpers, the sample app and cross-cutting suites beside them', () => {
    const extra = [...testFolders].filter((d) => !srcFolders.has(d) && !CROSS_CUTTING.test(d))
    expect(extra).toEqual([])
    expect([...srcFolders].filter((d) => !testFolders.has(d))).toEqual([])
  })
})
