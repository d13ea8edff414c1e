/**
 * The import rules of src/, as data, and a checker that applies them to an import graph. The graph is read
 * from the files by `readImportGraph`; the checker takes any graph, so each rule can be shown to fail on a
 * synthetic violation (see import-rules.test.ts) as well as to pass on the real source (layers.test.ts).
 *
 * In the spirit of Kafka's checkstyle import-control: a linear layer order, plus the pairs of layers that must
 * not know each other even where the order would allow it, plus which packages each layer may use.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'

/** One import of one file: `target` is the imported file under src/ for a relative specifier. */
export interface ImportEdge {
  /** The importing file, relative to src/ (e.g. `consumer/fetcher.ts`). */
  from: string
  /**
   * The specifier as written (`../protocol/api.ts`, `node:fs`, `commander`); `undefined` for an `import()` whose
   * argument is not a string literal.
   */
  specifier: string | undefined
  /** `dynamic` for `import(...)`. */
  kind: 'static' | 'dynamic'
  /** For relative specifiers: the imported file relative to src/; `undefined` for packages. */
  target?: string
}

export interface ImportRules {
  /** Layers in order: a file may import from its own layer and the layers before it. */
  layers: readonly string[]
  /** Top-level files of src/ (kafka.ts, index.ts) rank just after this layer. */
  facadeAfter: string
  /**
   * Pairs of layers that must not import one from the other (in the direction given), whatever the order
   * allows; `except` lists the target files that are declared shared and so may be imported anyway.
   */
  forbidden: readonly { from: string; to: string; except?: readonly string[]; why: string }[]
  /** Packages (bare specifiers other than `node:` builtins) and the layers that may import each. */
  packages: Readonly<Record<string, readonly string[]>>
}

/** The layer of a path relative to src/: its first folder, or `facade` for a top-level file. */
export function layerOf(path: string): string {
  const first = path.split('/')[0]!
  return first.endsWith('.ts') ? 'facade' : first
}

function rankOf(layer: string, rules: ImportRules): number {
  if (layer === 'facade') return rules.layers.indexOf(rules.facadeAfter) + 0.5
  return rules.layers.indexOf(layer)
}

/** The package a bare specifier names: `@scope/name` or `name`, without a subpath. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!
}

/** Every rule violation in `edges`, one readable line each; empty when the graph follows the rules. */
export function checkImports(edges: readonly ImportEdge[], rules: ImportRules): string[] {
  const found: string[] = []
  const files = new Set(edges.map((edge) => edge.from))
  for (const file of files) {
    if (rankOf(layerOf(file), rules) < 0) found.push(`${file}: src/${layerOf(file)} is not a known layer`)
  }
  for (const edge of edges) {
    const from = layerOf(edge.from)
    if (rankOf(from, rules) < 0) continue
    if (edge.specifier === undefined) {
      found.push(`${edge.from}: import() of a computed specifier, which no rule can check`)
      continue
    }
    if (edge.target === undefined) {
      if (edge.specifier.startsWith('node:')) continue
      const name = packageName(edge.specifier)
      const allowed = rules.packages[name]
      if (allowed === undefined) found.push(`${edge.from}: imports undeclared package "${edge.specifier}"`)
      else if (!allowed.includes(from)) {
        found.push(`${edge.from} (${from}): package "${name}" is declared for ${allowed.join(', ')} only`)
      }
      continue
    }
    const to = layerOf(edge.target)
    if (rankOf(to, rules) > rankOf(from, rules)) {
      found.push(`${edge.from} (${from}) imports ${edge.target} (${to}), a later layer`)
    }
    for (const rule of rules.forbidden) {
      if (rule.from === from && rule.to === to && !(rule.except ?? []).includes(edge.target)) {
        found.push(`${edge.from} (${from}) imports ${edge.target} (${to}): ${rule.why}`)
      }
    }
  }
  for (const cycle of importCycles(edges)) found.push(`import cycle: ${cycle.join(' -> ')}`)
  return found
}

/**
 * The cycles among files, one per strongly connected component (Tarjan), each written as a closed path
 * through the component starting at its first file in name order.
 */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, Set<string>>()
  for (const edge of edges) {
    if (edge.target === undefined) continue
    let targets = next.get(edge.from)
    if (targets === undefined) {
      targets = new Set()
      next.set(edge.from, targets)
    }
    targets.add(edge.target)
  }
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const components: string[][] = []
  let counter = 0
  const visit = (node: string): void => {
    index.set(node, counter)
    low.set(node, counter)
    counter++
    stack.push(node)
    onStack.add(node)
    for (const target of next.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target)
        low.set(node, Math.min(low.get(node)!, low.get(target)!))
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!))
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = []
      let member: string
      do {
        member = stack.pop()!
        onStack.delete(member)
        component.push(member)
      } while (member !== node)
      const selfLoop = next.get(node)?.has(node) ?? false
      if (component.length > 1 || selfLoop) components.push(component)
    }
  }
  for (const node of [...next.keys()].sort()) if (!index.has(node)) visit(node)
  return components.map((component) => closedPath(component.sort(), next))
}

/** A path from the component's first file back to itself, through files of the component only. */
function closedPath(component: string[], next: Map<string, Set<string>>): string[] {
  const members = new Set(component)
  const start = component[0]!
  const previous = new Map<string, string>()
  const queue = [start]
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!
    for (const target of next.get(node) ?? []) {
      if (!members.has(target)) continue
      if (target === start) {
        const path = [start]
        for (let at = node; at !== start; at = previous.get(at)!) path.splice(1, 0, at)
        return [...path, start]
      }
      if (!previous.has(target)) {
        previous.set(target, node)
        queue.push(target)
      }
    }
  }
  return [...component, start]
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

/** Drops comments and the contents of template literals so that examples in prose are not read as imports. */
function codeOnly(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/[^\n]*/g, '$1')
}

/** Every import, re-export and dynamic import of every .ts file under `srcDir`. */
export function readImportGraph(srcDir: string): ImportEdge[] {
  const edges: ImportEdge[] = []
  for (const file of sourceFiles(srcDir)) {
    const from = relative(srcDir, file)
    const text = codeOnly(readFileSync(file, 'utf8'))
    const add = (specifier: string | undefined, kind: ImportEdge['kind']): void => {
      const target = specifier?.startsWith('.') ? relative(srcDir, resolve(file, '..', specifier)) : undefined
      edges.push(target === undefined ? { from, specifier, kind } : { from, specifier, kind, target })
    }
    for (const match of text.matchAll(/^\s*(?:import|export)\b[^'"`;]*?\bfrom\s+['"]([^'"]+)['"]/gm)) {
      add(match[1], 'static')
    }
    for (const match of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) add(match[1], 'static')
    for (const match of text.matchAll(/\bimport\s*\(\s*([^)]*?)\s*[,)]/g)) {
      const literal = /^(['"])([^'"`]+)\1$/.exec(match[1]!)
      add(literal?.[2], 'dynamic')
    }
  }
  return edges
}
