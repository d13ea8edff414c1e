import { expect, inject, it } from 'vitest'
import { checkExternalCluster } from '../../../src/rig/index.ts'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'

it('hands every test file the same answering cluster through inject() and KAFKA_BOOTSTRAP', async () => {
  const provided = inject('kafkaBootstrap')
  expect(provided).toMatch(/^[^,:]+:\d+(,[^,:]+:\d+)*$/)
  expect(process.env.KAFKA_BOOTSTRAP).toBe(provided)
  expect(kafkaBootstrap()).toBe(provided)
  await expect(checkExternalCluster(provided)).resolves.toBeUndefined()
})
