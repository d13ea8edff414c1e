import { expect, it } from 'vitest'
import { selfCosts } from '../../../bench/profile-summary.ts'

it('sums self samples per function across its nodes, largest first', () => {
  const frame = (functionName: string, lineNumber: number) => ({
    functionName,
    url: 'node:internal/example',
    lineNumber,
  })
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(root)', -1), children: [2, 3] },
      { id: 2, callFrame: frame('encode', 9), children: [4] },
      { id: 3, callFrame: frame('decode', 19) },
      // The same function reached by a second path: counted with the first.
      { id: 4, callFrame: frame('decode', 19) },
    ],
    samples: [2, 3, 4, 4, 3, 1],
    startTime: 0,
    endTime: 6000,
  }
  const { total, costs } = selfCosts(profile)
  expect(total).toBe(6)
  expect(costs).toEqual([
    { label: 'decode node:internal/example:20', samples: 4 },
    // Ties keep the profile's node order.
    { label: '(root) node:internal/example:0', samples: 1 },
    { label: 'encode node:internal/example:10', samples: 1 },
  ])
})
