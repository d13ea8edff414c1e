import { afterAll, beforeAll } from 'vitest'
import { startTestBroker, type TestBroker } from '../../../src/testing/test-broker.ts'
import { defineOffsetContract } from './offset-contract.ts'

let broker: TestBroker

beforeAll(async () => {
  // Two nodes, so group and transaction coordinators and partition leaders are not all on one node.
  broker = await startTestBroker({ nodes: 2 })
})

afterAll(() => broker.close())

defineOffsetContract("samsa's in-process broker", { bootstrap: () => broker.bootstrap })
