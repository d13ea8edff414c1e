import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkImports, type ImportRules, readImportGraph } from './import-rules.ts'

/** The rules src/ follows; import-rules.test.ts shows that each one fails on a violation. */
const samsaImportRules: ImportRules = {
  // Each layer may import only from itself and the layers before it.
  layers: [
    'common',
    'protocol',
    'network',
    // The in-process broker (src/broker) serves the protocol with the same codecs the client sends it with.
    'broker',
    'cluster',
    'producer',
    'consumer',
    'processing',
    'postgres',
    'admin',
    'rig',
    'cli',
    'testing',
  ],
  // The facade (kafka.ts, index.ts) assembles producer, consumer and admin; the CLI and test helpers use it.
  facadeAfter: 'admin',
  forbidden: [
    {
      from: 'consumer',
      to: 'producer',
      why: 'the consumer and the producer do not know each other; what both need lives in common/',
    },
    {
      from: 'producer',
      to: 'consumer',
      why: 'the consumer and the producer do not know each other; what both need lives in common/',
    },
    { from: 'admin', to: 'processing', why: 'administration does not depend on handler-level processing' },
    { from: 'processing', to: 'admin', why: 'processing builds on the consumer only, not on administration' },
    { from: 'testing', to: 'cli', why: 'test helpers use the broker rig (src/rig), not the command line' },
    { from: 'rig', to: 'facade', why: 'the rig starts brokers; it does not need the client' },
  ],
  packages: {
    commander: ['cli'],
    vitest: ['testing'],
    // An optional peer dependency: only samsa/postgres uses it, with the pool the application passes in.
    pg: ['postgres'],
  },
}

const root = resolve(import.meta.dirname, '../../..')

describe('architecture', () => {
  const edges = readImportGraph(resolve(root, 'src'))

  it('reads the real import graph', () => {
    expect(edges.length).toBeGreaterThan(500)
    expect(edges.some((edge) => edge.from === 'kafka.ts' && edge.target === 'admin/admin.ts')).toBe(true)
    expect(edges.some((edge) => edge.from === 'cli/main.ts' && edge.specifier === 'commander')).toBe(true)
  })

  it('follows every import rule: layer order, forbidden pairs, no cycles, declared packages only', () => {
    expect(checkImports(edges, samsaImportRules)).toEqual([])
  })

  it('declares only packages that package.json has, runtime ones as dependencies', () => {
    const manifest = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>
      devDependencies: Record<string, string>
      peerDependencies: Record<string, string>
    }
    for (const [name, layers] of Object.entries(samsaImportRules.packages)) {
      const testOnly = layers.every((layer) => layer === 'testing')
      const declared = testOnly
        ? { ...manifest.dependencies, ...manifest.devDependencies }
        : { ...manifest.dependencies, ...manifest.peerDependencies }
      expect(declared[name], `${name} (used by ${layers.join(', ')})`).toBeDefined()
    }
  })
})
