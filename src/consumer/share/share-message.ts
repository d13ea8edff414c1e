/**
 * A record delivered by a share consumer: the consumer's message plus how often it was delivered, and the
 * calls that acknowledge it. Acknowledging only records the outcome; it reaches the broker with the next
 * request to the partition's leader (see acknowledgements.ts), and `commit()` waits for it.
 */

import type { RecordHeader } from '../../common/types.ts'
import type { ConsumerMessage, TimestampType } from '../message.ts'
import type { AcknowledgeKind, SharePartition } from './acknowledgements.ts'

/** One record delivered to this member of a share group. */
export interface ShareMessage extends ConsumerMessage {
  /** 1 on first delivery; each redelivery (released, lock expired) adds one. */
  readonly deliveryCount: number
  /** How the record was acknowledged so far, or undefined. `renew` does not count: it only extends the lock. */
  readonly acknowledgement: Exclude<AcknowledgeKind, 'renew'> | undefined
  /** ACCEPT: processed; the record is done. */
  ack(): void
  /** RELEASE: hand the record out again (to any member), with its delivery count one higher. */
  nack(): void
  /** REJECT: the record can never be processed; it is archived and never delivered again. */
  reject(): void
  /**
   * RENEW: extends the record's acquisition lock by the lock duration, for processing that takes longer (KIP-1222,
   * ShareAcknowledge v2+). Resolves once the broker confirmed; throws {@link UnsupportedVersionError} on
   * brokers without it.
   */
  renew(): Promise<void>
}

/** What a delivered message reports its acknowledgements to. */
export interface AcknowledgementSink {
  acknowledge(message: ShareDeliveredMessage, kind: Exclude<AcknowledgeKind, 'renew'>): void
  renew(message: ShareDeliveredMessage): Promise<void>
}

/** The share consumer's message: plain fields, and the acknowledgement calls routed to the consumer. */
export class ShareDeliveredMessage implements ShareMessage {
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: RecordHeader[]
  readonly timestamp: number
  readonly timestampType: TimestampType
  readonly leaderEpoch: number
  readonly deliveryCount: number
  /** The session partition the record was acquired in, and the broker that holds its lock. */
  readonly target: SharePartition
  readonly nodeId: number
  acknowledgement: Exclude<AcknowledgeKind, 'renew'> | undefined = undefined
  private readonly sink: AcknowledgementSink

  constructor(
    fields: ConsumerMessage & { deliveryCount: number },
    target: SharePartition,
    nodeId: number,
    sink: AcknowledgementSink,
  ) {
    this.topic = fields.topic
    this.partition = fields.partition
    this.offset = fields.offset
    this.key = fields.key
    this.value = fields.value
    this.headers = fields.headers
    this.timestamp = fields.timestamp
    this.timestampType = fields.timestampType
    this.leaderEpoch = fields.leaderEpoch
    this.deliveryCount = fields.deliveryCount
    this.target = target
    this.nodeId = nodeId
    this.sink = sink
  }

  ack(): void {
    this.sink.acknowledge(this, 'accept')
  }

  nack(): void {
    this.sink.acknowledge(this, 'release')
  }

  reject(): void {
    this.sink.acknowledge(this, 'reject')
  }

  renew(): Promise<void> {
    return this.sink.renew(this)
  }
}
