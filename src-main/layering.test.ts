/**
 * The layering rules of docs/architecture.md, checked on every import instead of remembered:
 * - an engine reaches another engine only through its public index.ts;
 * - engines know nothing of the shells and glue above them (host, handlers, CLI, servers, benches);
 * - only the Electron shell imports 'electron';
 * - the renderer imports the contract's types and nothing else from the main process (plus the few
 *   pure modules named below, which run the same in the window).
 * Tests may reach into what they test and use src-main/testing; the rules read production files.
 * Benchmarks measure an engine's inner parts on purpose, so they may import them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const ENGINES = ['audit', 'intent', 'orchestrator', 'protocol', 'release', 'settings', 'store', 'terminal', 'wasm']
/** What an engine may use of the API layer: the contract's schemas, its error type and the dispatch types. */
const API_FOR_ENGINES = /^api\/(contract|contracts\/[\w-]+|errors|dispatch)$/
/** Layers above the engines, which no engine imports. */
const ABOVE_ENGINES = /^(host|main|handlers\/|cli\/|bench\/|api\/(server|ipc|auth|pages)$|fleet-demo|worker-entries)/
/** Files that measure or fake an engine's inner parts on purpose. */
const MAY_REACH_INSIDE = /^src-main\/(bench|testing)\//
const ELECTRON_SHELL = ['src-main/main.ts', 'src-main/api/ipc.ts', 'src-preload/index.ts']
/** Pure modules of the main process that the renderer runs too: the Audit view checks proofs itself, the chat redacts what it keeps. */
const RENDERER_MAY_RUN = ['src-main/audit/canonical.ts', 'src-main/redact.ts']

interface Import {
  from: string
  /** The import as written. */
  specifier: string
  /** Resolved path relative to the project root, without extension; undefined for packages. */
  target?: string
  typeOnly: boolean
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) {
      if (name !== 'node_modules' && name !== 'testdata') sourceFiles(path, out)
    } else if (/\.(ts|tsx)$/.test(name) && !/\.(test|e2e\.test)\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false)
  const from = relative(root, file).split(sep).join('/')
  const found: Import[] = []
  const add = (specifier: string, typeOnly: boolean) => {
    const target = specifier.startsWith('.') ? relative(root, resolve(dirname(file), specifier)).split(sep).join('/').replace(/\.(m?[jt]sx?)$/, '') : undefined
    found.push({ from, specifier, typeOnly, ...(target ? { target } : {}) })
  }
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!clause.namedBindings && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.every((e) => e.isTypeOnly)))
      add(node.moduleSpecifier.text, typeOnly)
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.isTypeOnly)
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      add(node.arguments[0].text, false)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

const mainImports = sourceFiles(join(root, 'src-main')).flatMap(importsOf)
const rendererImports = [...sourceFiles(join(root, 'src-renderer')), ...sourceFiles(join(root, 'src-preload'))].flatMap(importsOf)

/** `src-main/x/y` → `x/y`; undefined outside src-main. */
const inMain = (path: string | undefined) => (path?.startsWith('src-main/') ? path.slice('src-main/'.length) : undefined)
const engineOf = (path: string | undefined) => {
  const first = inMain(path)?.split('/')
  return first && first.length > 1 && ENGINES.includes(first[0]) ? first[0] : undefined
}

describe('layering', () => {
  it('reads the imports of every production file', () => {
    expect(mainImports.length).toBeGreaterThan(300)
    expect(rendererImports.length).toBeGreaterThan(100)
  })

  it('an engine reaches another engine only through its index.ts', () => {
    const breaches = mainImports.filter((i) => {
      const to = engineOf(i.target)
      if (!to || to === engineOf(i.from) || MAY_REACH_INSIDE.test(i.from)) return false
      return inMain(i.target) !== `${to}/index` && inMain(i.target) !== to
    })
    expect(breaches.map((i) => `${i.from} imports ${i.specifier}`)).toEqual([])
  })

  it('no engine imports the host, the handlers, a shell, a server or a bench', () => {
    const breaches = mainImports.filter((i) => {
      if (!engineOf(i.from)) return false
      const target = inMain(i.target)
      if (!target) return false
      if (target.startsWith('api/')) return !API_FOR_ENGINES.test(target)
      return ABOVE_ENGINES.test(target) || target.startsWith('testing/')
    })
    expect(breaches.map((i) => `${i.from} imports ${i.specifier}`)).toEqual([])
  })

  it('only the Electron shell imports electron', () => {
    const breaches = [...mainImports, ...rendererImports].filter((i) => (i.specifier === 'electron' || i.specifier.startsWith('electron/')) && !ELECTRON_SHELL.includes(i.from))
    expect(breaches.map((i) => `${i.from} imports ${i.specifier}`)).toEqual([])
  })

  it('the renderer imports only the contract’s types from the main process', () => {
    const breaches = rendererImports.filter((i) => {
      const target = inMain(i.target)
      if (!target) return i.specifier.startsWith('node:')
      if (/^api\/(contract|contracts\/[\w-]+)$/.test(target)) return !i.typeOnly
      return !RENDERER_MAY_RUN.includes(`src-main/${target}.ts`)
    })
    expect(breaches.map((i) => `${i.from} imports ${i.specifier}${i.typeOnly ? ' (types)' : ''}`)).toEqual([])
  })
})
