import { describe, expect, it } from 'vitest'
import { checkImports, type ImportEdge, type ImportRules, importCycles } from './import-rules.ts'

const rules: ImportRules = {
  layers: ['common', 'protocol', 'producer', 'consumer', 'processing', 'admin', 'rig', 'cli', 'testing'],
  facadeAfter: 'admin',
  forbidden: [
    { from: 'consumer', to: 'producer', except: ['producer/shared-types.ts'], why: 'siblings' },
    { from: 'admin', to: 'processing', why: 'admin does not run handlers' },
    { from: 'testing', to: 'cli', why: 'tests use the rig' },
  ],
  packages: { commander: ['cli'], vitest: ['testing'] },
}

function edge(from: string, specifier: string | undefined, target?: string): ImportEdge {
  const kind = specifier === undefined || specifier.startsWith('import(') ? 'dynamic' : 'static'
  const written = specifier?.replace(/^import\((.*)\)$/, '$1')
  return target === undefined
    ? { from, specifier: written, kind }
    : { from, specifier: written, kind, target }
}

/** A graph that follows every rule, to which each test adds one violation. */
const clean: ImportEdge[] = [
  edge('protocol/api.ts', '../common/errors.ts', 'common/errors.ts'),
  edge('consumer/fetcher.ts', '../protocol/api.ts', 'protocol/api.ts'),
  edge('consumer/fetcher.ts', '../producer/shared-types.ts', 'producer/shared-types.ts'),
  edge('kafka.ts', './admin/admin.ts', 'admin/admin.ts'),
  edge('cli/main.ts', 'commander'),
  edge('cli/main.ts', 'node:fs'),
  edge('testing/setup.ts', 'vitest/node'),
  edge('testing/setup.ts', '../rig/index.ts', 'rig/index.ts'),
  edge('admin/admin.ts', 'import(../cluster/x.ts)', 'protocol/api.ts'),
]

describe('checkImports', () => {
  it('passes a graph that follows the rules', () => {
    expect(checkImports(clean, rules)).toEqual([])
  })

  it('fails an import from a later layer', () => {
    const found = checkImports(
      [...clean, edge('protocol/api.ts', '../consumer/x.ts', 'consumer/x.ts')],
      rules,
    )
    expect(found).toEqual(['protocol/api.ts (protocol) imports consumer/x.ts (consumer), a later layer'])
  })

  it('fails a dynamic import from a later layer like a static one', () => {
    const found = checkImports([...clean, edge('common/x.ts', 'import(../admin/a.ts)', 'admin/a.ts')], rules)
    expect(found).toEqual(['common/x.ts (common) imports admin/a.ts (admin), a later layer'])
  })

  it('fails a dynamic import whose specifier is computed', () => {
    const found = checkImports([...clean, edge('admin/admin.ts', undefined)], rules)
    expect(found).toEqual(['admin/admin.ts: import() of a computed specifier, which no rule can check'])
  })

  it('fails a forbidden sibling import that the layer order allows, except to a declared shared file', () => {
    const found = checkImports(
      [
        ...clean,
        edge('consumer/a.ts', '../producer/producer.ts', 'producer/producer.ts'),
        edge('admin/a.ts', '../processing/runner.ts', 'processing/runner.ts'),
        edge('testing/a.ts', '../cli/broker.ts', 'cli/broker.ts'),
      ],
      rules,
    )
    expect(found).toEqual([
      'consumer/a.ts (consumer) imports producer/producer.ts (producer): siblings',
      'admin/a.ts (admin) imports processing/runner.ts (processing): admin does not run handlers',
      'testing/a.ts (testing) imports cli/broker.ts (cli): tests use the rig',
    ])
  })

  it('fails an undeclared package and a declared one used outside its layers; allows node: builtins', () => {
    const found = checkImports(
      [
        ...clean,
        edge('consumer/a.ts', 'left-pad'),
        edge('consumer/b.ts', 'commander'),
        edge('common/c.ts', 'node:zlib'),
      ],
      rules,
    )
    expect(found).toEqual([
      'consumer/a.ts: imports undeclared package "left-pad"',
      'consumer/b.ts (consumer): package "commander" is declared for cli only',
    ])
  })

  it('fails a file outside every known layer', () => {
    const found = checkImports(
      [...clean, edge('stray/x.ts', '../common/errors.ts', 'common/errors.ts')],
      rules,
    )
    expect(found).toEqual(['stray/x.ts: src/stray is not a known layer'])
  })

  it('fails an import cycle, even within one layer and through type-only imports', () => {
    const found = checkImports(
      [
        ...clean,
        edge('producer/a.ts', './b.ts', 'producer/b.ts'),
        edge('producer/b.ts', './c.ts', 'producer/c.ts'),
        edge('producer/c.ts', './a.ts', 'producer/a.ts'),
      ],
      rules,
    )
    expect(found).toEqual(['import cycle: producer/a.ts -> producer/b.ts -> producer/c.ts -> producer/a.ts'])
  })
})

describe('importCycles', () => {
  it('reports a self-import and each strongly connected group once', () => {
    const cycles = importCycles([
      edge('common/a.ts', './a.ts', 'common/a.ts'),
      edge('common/b.ts', './c.ts', 'common/c.ts'),
      edge('common/c.ts', './b.ts', 'common/b.ts'),
      edge('common/c.ts', './d.ts', 'common/d.ts'),
    ])
    expect(cycles).toEqual([
      ['common/a.ts', 'common/a.ts'],
      ['common/b.ts', 'common/c.ts', 'common/b.ts'],
    ])
  })
})
