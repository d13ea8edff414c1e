/**
 * Summarizes V8 CPU profiles (`npm run bench -- --cpu-prof DIR`, or `node --cpu-prof`): for each profile,
 * the functions with the most self time, as a share of all samples, with where they are defined. This is
 * how the benchmark's remaining gaps are explained (bench/README.md, "Where the time goes").
 *
 *   node bench/profile-summary.ts DIR [--top N] [--match samsa]
 *
 * `--match` keeps the profiles whose functions come from a file whose path contains the text (e.g. only the
 * samsa adapter's profiles among those of every client).
 */

import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { parseArgs } from 'node:util'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  startTime: number
  endTime: number
}

interface FunctionCost {
  label: string
  samples: number
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame
  const name = functionName || '(anonymous)'
  if (url === '') return name
  const path = url.startsWith('file://') ? relative(process.cwd(), new URL(url).pathname) : url
  return `${name} ${path}:${lineNumber + 1}`
}

/** Self samples per function (all nodes of one function summed), largest first. */
export function selfCosts(profile: CpuProfile): { total: number; costs: FunctionCost[] } {
  const byNode = new Map<number, number>()
  for (const id of profile.samples) byNode.set(id, (byNode.get(id) ?? 0) + 1)
  const byLabel = new Map<string, number>()
  for (const node of profile.nodes) {
    const samples = byNode.get(node.id) ?? 0
    if (samples === 0) continue
    const key = label(node)
    byLabel.set(key, (byLabel.get(key) ?? 0) + samples)
  }
  const costs = [...byLabel].map(([key, samples]) => ({ label: key, samples }))
  costs.sort((a, b) => b.samples - a.samples)
  return { total: profile.samples.length, costs }
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string' }, match: { type: 'string' } },
  })
  const dir = positionals[0]
  if (dir === undefined) {
    process.stderr.write('usage: node bench/profile-summary.ts DIR [--top N] [--match TEXT]\n')
    process.exit(2)
  }
  const top = Number(values.top ?? 25)
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(dir, name))
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs)
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
    if (
      values.match !== undefined &&
      !profile.nodes.some((node) => node.callFrame.url.includes(values.match!))
    )
      continue
    const { total, costs } = selfCosts(profile)
    const seconds = (profile.endTime - profile.startTime) / 1e6
    process.stdout.write(`\n${file}: ${total} samples over ${seconds.toFixed(1)} s\n`)
    for (const cost of costs.slice(0, top)) {
      process.stdout.write(`${((100 * cost.samples) / total).toFixed(1).padStart(5)} %  ${cost.label}\n`)
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main()
