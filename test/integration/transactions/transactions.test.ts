import { afterAll, describe, expect, it } from 'vitest'
import {
  CommitFailedError,
  IllegalStateError,
  ProducerFencedError,
  TransactionAbortableError,
} from '../../../src/common/errors.ts'
import { Consumer } from '../../../src/consumer/consumer.ts'
import type { IsolationLevel } from '../../../src/consumer/consumer-options.ts'
import { RecordTooLargeError } from '../../../src/producer/errors.ts'
import { Producer } from '../../../src/producer/producer.ts'
import type { TransactionVersion } from '../../../src/producer/transactions/types.ts'
import { consoleConsumer } from '../../../src/testing/java-tools.ts'
import { kafkaBootstrap, uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { TestTopics } from '../../../src/testing/test-topics.ts'

const topics = new TestTopics('transactions-test')
const { cluster } = topics

afterAll(() => topics.close())

function transactionalProducer(transactionalId: string, version?: TransactionVersion): Producer {
  return new Producer(cluster, { transactionalId, lingerMs: 0 }, version)
}

/**
 * Every value in `topic` as a consumer with `isolationLevel` sees it: polls until `expected` values arrived,
 * then once more to catch any that should not be there.
 */
async function readValues(
  topic: string,
  partitions: number,
  isolationLevel: IsolationLevel,
  expected: number,
) {
  const consumer = new Consumer(cluster, { isolationLevel, autoOffsetReset: 'earliest' })
  consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })))
  const values: string[] = []
  const deadline = Date.now() + 20_000
  try {
    while (values.length < expected && Date.now() < deadline) {
      for (const message of await consumer.poll({ timeoutMs: 500 })) values.push(message.value!.toString())
    }
    for (const message of await consumer.poll({ timeoutMs: 500 })) values.push(message.value!.toString())
  } finally {
    await consumer.close()
  }
  return values
}

describe.each([2, 1] as const)('transactions (transaction version %i)', (version) => {
  it('read_committed consumers see committed transactions only; read_uncommitted sees aborted records too', async () => {
    const topic = await topics.create(`txn-visibility-v${version}`)
    const producer = transactionalProducer(uniqueName('txn-visibility'), version)
    try {
      await producer.initTransactions()

      producer.beginTransaction()
      await Promise.all([
        producer.send({ topic, value: 'aborted-1' }),
        producer.send({ topic, value: 'aborted-2' }),
      ])
      await producer.abortTransaction()

      producer.beginTransaction()
      void producer.send({ topic, value: 'committed-1' })
      void producer.send({ topic, value: 'committed-2' })
      await producer.commitTransaction()

      // An empty transaction never reaches the coordinator and changes nothing.
      producer.beginTransaction()
      await producer.commitTransaction()

      await producer.transaction(async (tx) => {
        await tx.sendBatch([
          { topic, value: 'committed-3' },
          { topic, value: 'committed-4' },
        ])
      })
      await expect(
        producer.transaction(async (tx) => {
          await tx.send({ topic, value: 'aborted-3' })
          throw new Error('processing failed')
        }),
      ).rejects.toThrow('processing failed')
      expect(producer.transactionState).toBe('ready')
    } finally {
      await producer.close()
    }

    const committed = ['committed-1', 'committed-2', 'committed-3', 'committed-4']
    expect(await readValues(topic, 1, 'read_committed', 4)).toEqual(committed)
    const all = await readValues(topic, 1, 'read_uncommitted', 7)
    expect(all.sort()).toEqual([...committed, 'aborted-1', 'aborted-2', 'aborted-3'].sort())

    const java = await consoleConsumer({
      bootstrap: kafkaBootstrap(),
      topic,
      maxMessages: 10,
      idleTimeoutMs: 5000,
      properties: { 'isolation.level': 'read_committed' },
    })
    expect(java.map((record) => record.value)).toEqual(committed)
  })

  it('a second producer with the same transactionalId fences the first and aborts its open transaction', async () => {
    const topic = await topics.create(`txn-fencing-v${version}`)
    const transactionalId = uniqueName('txn-fencing')
    const zombie = transactionalProducer(transactionalId, version)
    const successor = transactionalProducer(transactionalId, version)
    try {
      await zombie.initTransactions()
      zombie.beginTransaction()
      await zombie.send({ topic, value: 'from-zombie' })

      await successor.initTransactions()
      await expect(zombie.commitTransaction()).rejects.toBeInstanceOf(ProducerFencedError)
      // Fenced is final: every later operation says so.
      expect(() => zombie.beginTransaction()).toThrow(ProducerFencedError)
      await expect(zombie.send({ topic, value: 'late' })).rejects.toBeInstanceOf(ProducerFencedError)

      await successor.transaction(async (tx) => {
        await tx.send({ topic, value: 'from-successor' })
      })
    } finally {
      await zombie.close()
      await successor.close()
    }
    expect(await readValues(topic, 1, 'read_committed', 1)).toEqual(['from-successor'])
  })

  it('a fenced producer fails its sends with ProducerFencedError', async () => {
    const topic = await topics.create(`txn-fenced-send-v${version}`)
    const transactionalId = uniqueName('txn-fenced-send')
    const zombie = transactionalProducer(transactionalId, version)
    const successor = transactionalProducer(transactionalId, version)
    try {
      await zombie.initTransactions()
      await successor.initTransactions()
      zombie.beginTransaction()
      await expect(zombie.send({ topic, value: 'zombie-write' })).rejects.toBeInstanceOf(ProducerFencedError)
      await expect(zombie.commitTransaction()).rejects.toBeInstanceOf(ProducerFencedError)
    } finally {
      await zombie.close()
      await successor.close()
    }
    const all = await readValues(topic, 1, 'read_uncommitted', 0)
    expect(all).toEqual([])
  })
})

describe('a failed send dooms the transaction', () => {
  it('commit refuses with TransactionAbortableError; after the abort the next transaction commits', async () => {
    const topic = await topics.create('txn-abortable', 1, { 'max.message.bytes': '1000' })
    const producer = transactionalProducer(uniqueName('txn-abortable'))
    try {
      await producer.initTransactions()
      producer.beginTransaction()
      const small = producer.send({ topic, value: 'small-but-doomed' })
      await expect(producer.send({ topic, value: 'x'.repeat(4000) })).rejects.toBeInstanceOf(
        RecordTooLargeError,
      )
      await small.catch(() => undefined)
      await expect(producer.commitTransaction()).rejects.toBeInstanceOf(TransactionAbortableError)
      expect(producer.transactionState).toBe('abortable-error')
      await expect(producer.send({ topic, value: 'more' })).rejects.toBeInstanceOf(TransactionAbortableError)
      await producer.abortTransaction()

      producer.beginTransaction()
      await producer.send({ topic, value: 'after-abort' })
      await producer.commitTransaction()
    } finally {
      await producer.close()
    }
    expect(await readValues(topic, 1, 'read_committed', 1)).toEqual(['after-abort'])
  })
})

describe('offsets in a transaction (KIP-447)', () => {
  it('commits the offsets with the transaction, and rejects a member that is not the owner', async () => {
    const topic = await topics.create('txn-offsets')
    const groupId = uniqueName('txn-offsets-group')
    const consumer = new Consumer(cluster, {
      groupId,
      groupProtocol: 'consumer',
      enableAutoCommit: false,
      autoOffsetReset: 'earliest',
    })
    const producer = transactionalProducer(uniqueName('txn-offsets'))
    try {
      consumer.subscribe([topic])
      const deadline = Date.now() + 20_000
      while (consumer.assignment().length === 0 && Date.now() < deadline)
        await consumer.poll({ timeoutMs: 200 })
      const member = consumer.groupMetadata()
      expect(member.memberId).not.toBe('')

      await producer.initTransactions()
      await producer.transaction(async (tx) => {
        await tx.sendOffsets([{ topic, partition: 0, offset: 42n }], member)
      })
      const [committed] = await consumer.committed([{ topic, partition: 0 }])
      expect(committed?.offset).toBe(42n)

      producer.beginTransaction()
      const impostor = { ...member, memberId: 'not-a-member-of-this-group' }
      await expect(
        producer.sendOffsetsToTransaction([{ topic, partition: 0, offset: 50n }], impostor),
      ).rejects.toBeInstanceOf(CommitFailedError)
      expect(producer.transactionState).toBe('abortable-error')
      await producer.abortTransaction()
      const [unchanged] = await consumer.committed([{ topic, partition: 0 }])
      expect(unchanged?.offset).toBe(42n)
    } finally {
      await producer.close()
      await consumer.close()
    }
  })
})

describe('transactional producer state machine', () => {
  it('names the missing step when called out of order', async () => {
    const topic = await topics.create('txn-state')
    const producer = transactionalProducer(uniqueName('txn-state'))
    try {
      expect(() => producer.beginTransaction()).toThrow(
        /call initTransactions\(\) before beginTransaction\(\)/,
      )
      await expect(producer.send({ topic, value: 'x' })).rejects.toThrow(IllegalStateError)
      await producer.initTransactions()
      await expect(producer.send({ topic, value: 'x' })).rejects.toThrow(
        /only send records inside a transaction/,
      )
      await expect(producer.commitTransaction()).rejects.toThrow(/no open transaction to commit/)
      await expect(producer.abortTransaction()).rejects.toThrow(/no open transaction to abort/)
      producer.beginTransaction()
      expect(() => producer.beginTransaction()).toThrow(/already open/)
      await producer.abortTransaction()
    } finally {
      await producer.close()
    }
  })

  it('rejects transactional calls on a producer without a transactionalId', async () => {
    const producer = new Producer(cluster)
    try {
      expect(() => producer.beginTransaction()).toThrow(/transactionalId option/)
      await expect(producer.commitTransaction()).rejects.toThrow(IllegalStateError)
    } finally {
      await producer.close()
    }
  })
})
