import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

// The layers in order: each may import only from itself and the layers before it.
const layers = [
  'common',
  'protocol',
  'network',
  'cluster',
  'producer',
  'consumer',
  'processing',
  'admin',
  'cli',
  'testing',
] as const

const srcDir = resolve(import.meta.dirname, '../../../src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

/** The layer of a path under src/, or `facade` for the top-level files (kafka.ts, index.ts). */
function layerOf(path: string): string {
  const first = relative(srcDir, path).split('/')[0]!
  return first.endsWith('.ts') ? 'facade' : first
}

function rank(layer: string): number {
  // The facade assembles producer, consumer and admin; the CLI and test helpers may use it.
  if (layer === 'facade') return layers.indexOf('admin') + 0.5
  const index = layers.indexOf(layer as (typeof layers)[number])
  if (index < 0) throw new Error(`src/${layer} is not a known layer; add it to the list in this test`)
  return index
}

function violations(): string[] {
  const found: string[] = []
  for (const file of sourceFiles(srcDir)) {
    const from = layerOf(file)
    const text = readFileSync(file, 'utf8')
    for (const match of text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)) {
      const target = resolve(file, '..', match[1]!)
      if (!target.startsWith(srcDir)) continue
      const to = layerOf(target)
      if (rank(to) > rank(from)) found.push(`${relative(srcDir, file)} (${from}) imports ${match[1]} (${to})`)
    }
  }
  return found
}

describe('architecture', () => {
  it('has every source file in a known layer', () => {
    for (const file of sourceFiles(srcDir)) expect(() => rank(layerOf(file))).not.toThrow()
  })

  it('never imports from a later layer', () => {
    expect(violations()).toEqual([])
  })
})
