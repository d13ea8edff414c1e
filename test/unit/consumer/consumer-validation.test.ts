import { afterAll, describe, expect, it } from 'vitest'
import { Cluster } from '../../../src/cluster/cluster.ts'
import { ConfigError } from '../../../src/common/errors.ts'
import { validateTopicPartitions } from '../../../src/common/validate.ts'
import { Consumer } from '../../../src/consumer/consumer.ts'
import { rejection } from '../../../src/testing/rejection.ts'

// Every check here runs before any I/O, so a cluster pointing nowhere is enough: nothing may connect.
const cluster = Cluster.create({ bootstrap: ['127.0.0.1:1'] })
const consumer = new Consumer(cluster, { groupId: 'validation-only' })

afterAll(async () => {
  await consumer.close()
  await cluster.close()
})

/** The ConfigError `call` throws, checked to name `option`. */
function configErrorOf(call: () => unknown, option: string): ConfigError {
  let thrown: unknown
  try {
    call()
  } catch (error) {
    thrown = error
  }
  expect(thrown).toBeInstanceOf(ConfigError)
  expect((thrown as ConfigError).option).toBe(option)
  return thrown as ConfigError
}

describe('consumer calls given something other than a list of partitions', () => {
  it.each([
    ['assign', (list: unknown) => consumer.assign(list as never)],
    ['pause', (list: unknown) => consumer.pause(list as never)],
    ['resume', (list: unknown) => consumer.resume(list as never)],
    ['seekToBeginning', (list: unknown) => consumer.seekToBeginning(list as never)],
    ['seekToEnd', (list: unknown) => consumer.seekToEnd(list as never)],
  ])('%s throws ConfigError naming the call or the bad entry', (name, call) => {
    expect(configErrorOf(() => call({ topic: 't', partition: 0 }), name).message).toMatch(
      /expected an array of \{ topic, partition \}, got an object/,
    )
    configErrorOf(() => call([null]), `${name}[0].topic`)
    configErrorOf(() => call([{ topic: 't', partition: 0 }, { topic: 't' }]), `${name}[1].partition`)
  })

  it('committed, commit and offsetsForTimes reject before sending anything', async () => {
    expect(await rejection(consumer.committed(undefined as never))).toMatchObject({ option: 'committed' })
    expect(await rejection(consumer.committed([{ topic: 't', partition: -1 }]))).toMatchObject({
      option: 'committed[0].partition',
    })
    const commit = await rejection(consumer.commit({ topic: 't', partition: 0, offset: 1n } as never))
    expect(commit).toBeInstanceOf(ConfigError)
    expect(commit).toMatchObject({ option: 'commit' })
    expect(await rejection(consumer.offsetsForTimes(undefined as never))).toMatchObject({
      option: 'offsetsForTimes',
    })
    expect(
      await rejection(consumer.offsetsForTimes([{ topic: 't', partition: 0, timestamp: -1 }])),
    ).toMatchObject({ option: 'offsetsForTimes[0].timestamp' })
  })

  it('poll rejects a negative or non-numeric timeoutMs with ConfigError', async () => {
    for (const timeoutMs of [-1, Number.NaN, 'soon']) {
      const error = await rejection(consumer.poll({ timeoutMs: timeoutMs as number }))
      expect(error).toBeInstanceOf(ConfigError)
      expect(error).toMatchObject({ option: 'poll.timeoutMs' })
    }
  })
})

describe('validateTopicPartitions', () => {
  it('returns a valid list as it is', () => {
    const list = [
      { topic: 'a', partition: 0 },
      { topic: 'b', partition: 7 },
    ]
    expect(validateTopicPartitions('x', list)).toBe(list)
    expect(validateTopicPartitions('x', [])).toEqual([])
  })
})
