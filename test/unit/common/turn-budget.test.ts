import { describe, expect, it } from 'vitest'
import { TurnBudget } from '../../../src/common/turn-budget.ts'

/** A chain of continuations that spends the budget `units` times, as a consumer handing out buffered records. */
async function spin(budget: TurnBudget, units: number, onUnit: (i: number) => void): Promise<number> {
  let turns = 0
  for (let i = 0; i < units; i++) {
    onUnit(i)
    const turn = budget.spend()
    if (turn !== undefined) {
      turns++
      await turn
    }
  }
  return turns
}

describe('TurnBudget', () => {
  it('lets a timer fire in the middle of a long chain of continuations', async () => {
    let unitAtTimer = -1
    let current = 0
    const timer = setTimeout(() => {
      unitAtTimer = current
    }, 0)
    // A huge time budget: only the unit count can make it yield.
    await spin(new TurnBudget(60_000, 1000), 20_000, (i) => {
      current = i
    })
    clearTimeout(timer)
    expect(unitAtTimer).toBeGreaterThanOrEqual(0)
    expect(unitAtTimer).toBeLessThan(2100)
  })

  it('without it, the same chain holds the timer back to the end (the control)', async () => {
    let unitAtTimer = -1
    let current = 0
    const timer = setTimeout(() => {
      unitAtTimer = current
    }, 0)
    for (let i = 0; i < 20_000; i++) {
      current = i
      await Promise.resolve()
    }
    await new Promise((resolve) => setImmediate(resolve))
    clearTimeout(timer)
    expect(unitAtTimer).toBe(19_999)
  })

  it('yields on time as well as on count', async () => {
    const budget = new TurnBudget(5, Number.MAX_SAFE_INTEGER)
    let turns = 0
    const until = performance.now() + 60
    while (performance.now() < until) {
      const turn = budget.spend()
      if (turn !== undefined) {
        turns++
        await turn
      }
    }
    expect(turns).toBeGreaterThan(0)
  })

  it('adds no turn of its own while the application gives the loop turns anyway', async () => {
    const budget = new TurnBudget(60_000, 10)
    let turns = 0
    for (let i = 0; i < 100; i++) {
      // Real I/O-like waits: the loop turns between units, and the budget notices.
      await new Promise((resolve) => setImmediate(resolve))
      if (budget.spend() !== undefined) turns++
    }
    expect(turns).toBe(0)
  })
})
