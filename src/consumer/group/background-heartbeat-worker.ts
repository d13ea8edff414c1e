/**
 * The heartbeat worker: a worker thread with a coordinator connection of its own that keeps a member alive
 * while the main thread cannot, and takes it out of the group when the application stops polling.
 *
 * The main thread owns the membership: it joins, reconciles, commits, and sends the regular heartbeats. This
 * thread watches two stamps the main thread writes into shared memory: when it last polled, and when it last
 * heartbeated. A heartbeat overdue by half an interval means the main thread is busy (a handler blocking it,
 * a long synchronous computation), so this thread sends it instead, with the member id and generation/epoch
 * it was last told, and passes the coordinator's answer back to be acted on when the main thread is free. A
 * poll older than `maxPollIntervalMs` means the application is stuck: this thread leaves the group itself,
 * as the Java client's heartbeat thread does, so the partitions move to members that make progress.
 */

import { parentPort, workerData } from 'node:worker_threads'
import { Connection } from '../../network/connection.ts'
import { createSaslAuthenticator } from '../../network/sasl/index.ts'
import { createTlsSocketFactory } from '../../network/tls-socket-factory.ts'
import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import { ConsumerGroupHeartbeat } from '../../protocol/messages/consumer-group-heartbeat.ts'
import { Heartbeat } from '../../protocol/messages/heartbeat.ts'
import { LeaveGroup } from '../../protocol/messages/leave-group.ts'
import {
  CLOCK_LAST_MAIN_HEARTBEAT,
  CLOCK_LAST_POLL,
  type MainToWorker,
  type MemberState,
  type WorkerSetup,
  type WorkerToMain,
} from './background-heartbeat-protocol.ts'

/** How often the stamps are checked; bounds how late a covering heartbeat or a poll-timeout leave can be. */
const TICK_MS = 100
/** A main-thread heartbeat this late (in intervals) is taken over. */
const OVERDUE_INTERVALS = 1.5

const setup = workerData as WorkerSetup
const port = parentPort!
const clock = new Int32Array(setup.clock)

let member: MemberState = {
  active: false,
  memberId: '',
  epoch: -1,
  heartbeatIntervalMs: 3000,
  coordinator: null,
  version: 0,
}
let connection: Connection | undefined
let lastOwnHeartbeat = Number.NEGATIVE_INFINITY
let busy = false
let stopped = false

const now = (): number => performance.timeOrigin + performance.now() - setup.originMs
const post = (message: WorkerToMain): void => port.postMessage(message)
const log = (level: 'debug' | 'warn', message: string, fields: Record<string, unknown> = {}): void =>
  post({ kind: 'log', level, message, fields: { groupId: setup.groupId, ...fields } })

port.on('message', (message: MainToWorker) => {
  if (message.kind === 'stop') {
    stopped = true
    clearInterval(timer)
    connection?.destroy()
    port.close()
    return
  }
  const next = message.state
  const moved =
    member.coordinator?.host !== next.coordinator?.host || member.coordinator?.port !== next.coordinator?.port
  if (moved) {
    connection?.destroy()
    connection = undefined
  }
  member = next
})

const timer = setInterval(() => {
  if (busy || stopped || !member.active || member.coordinator === null) return
  const at = now()
  const lastPoll = Atomics.load(clock, CLOCK_LAST_POLL)
  if (lastPoll > 0 && at - lastPoll > setup.maxPollIntervalMs) {
    busy = true
    void leaveForPollTimeout(member).finally(() => {
      busy = false
    })
    return
  }
  const lastMain = Atomics.load(clock, CLOCK_LAST_MAIN_HEARTBEAT)
  const interval = member.heartbeatIntervalMs
  if (at - lastMain >= interval * OVERDUE_INTERVALS && at - lastOwnHeartbeat >= interval) {
    busy = true
    lastOwnHeartbeat = at
    void heartbeat(member).finally(() => {
      busy = false
    })
  }
}, TICK_MS)

async function coordinatorConnection(state: MemberState): Promise<Connection> {
  if (connection !== undefined && connection.state !== 'closed') return connection
  const { host, port: brokerPort, nodeId } = state.coordinator!
  const settings = setup.connection
  const opened = new Connection({
    host,
    port: brokerPort,
    nodeId,
    clientId: settings.clientId,
    connectionTimeoutMs: settings.connectionTimeoutMs,
    requestTimeoutMs: settings.requestTimeoutMs,
    maxResponseBytes: settings.maxResponseBytes,
    maxInFlightRequests: 1,
    socketFactory: settings.tls === undefined ? undefined : createTlsSocketFactory(settings.tls),
    authenticate: settings.sasl === undefined ? undefined : createSaslAuthenticator(settings.sasl),
  })
  connection = opened
  await opened.connect()
  return opened
}

async function heartbeat(state: MemberState): Promise<void> {
  try {
    const conn = await coordinatorConnection(state)
    const answer =
      setup.protocol === 'classic' ? await classicHeartbeat(conn, state) : await kip848Heartbeat(conn, state)
    if (stopped || state.version !== member.version) return
    post({ kind: 'answer', version: state.version, epoch: state.epoch, response: answer })
    log('debug', 'heartbeat sent from the background thread while the main thread was busy', {
      code: answer.errorCode,
    })
  } catch (error) {
    // Closing, or told of a new coordinator meanwhile: the failure is ours, not the broker's.
    if (stopped || state.version !== member.version) return
    connection?.destroy()
    connection = undefined
    log('warn', 'background heartbeat failed', { error: describe(error) })
  }
}

async function classicHeartbeat(conn: Connection, state: MemberState) {
  const response = await conn.request(Heartbeat, {
    groupId: setup.groupId,
    generationId: state.epoch,
    memberId: state.memberId,
    groupInstanceId: setup.groupInstanceId,
  })
  // Only the main thread knows how to rejoin; stop covering for a member the coordinator turned away.
  if (response.errorCode !== ErrorCode.NONE && state.version === member.version)
    member = { ...member, active: false }
  return response
}

async function kip848Heartbeat(conn: Connection, state: MemberState) {
  // Fields left null mean "unchanged since the last heartbeat": the main thread sends the full state.
  const response = await conn.request(ConsumerGroupHeartbeat, {
    groupId: setup.groupId,
    memberId: state.memberId,
    memberEpoch: state.epoch,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: -1,
    subscribedTopicNames: null,
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: null,
  })
  if (state.version !== member.version) return response
  if (response.errorCode !== ErrorCode.NONE) member = { ...member, active: false }
  else {
    // The epoch moves with the assignment; later covering heartbeats must carry the new one.
    member = {
      ...member,
      epoch: response.memberEpoch,
      heartbeatIntervalMs:
        response.heartbeatIntervalMs > 0 ? response.heartbeatIntervalMs : member.heartbeatIntervalMs,
    }
  }
  return response
}

async function leaveForPollTimeout(state: MemberState): Promise<void> {
  member = { ...member, active: false }
  // A static member keeps its place: it stops heartbeating and the coordinator expires it after the session
  // timeout (classic), or it leaves with the epoch that keeps its assignment for its return (KIP-848).
  let left = false
  try {
    const conn = await coordinatorConnection(state)
    if (setup.protocol === 'classic') {
      if (setup.groupInstanceId === null) {
        const version = conn.versions.pick(LeaveGroup)
        const batched = version >= 3
        const reason = 'consumer poll timeout has expired'
        const response = await conn.request(
          LeaveGroup,
          {
            groupId: setup.groupId,
            memberId: batched ? '' : state.memberId,
            members: batched ? [{ memberId: state.memberId, groupInstanceId: null, reason }] : [],
          },
          { version },
        )
        left = response.errorCode === ErrorCode.NONE
      }
    } else {
      const response = await conn.request(ConsumerGroupHeartbeat, {
        groupId: setup.groupId,
        memberId: state.memberId,
        memberEpoch: setup.groupInstanceId === null ? -1 : -2,
        instanceId: setup.groupInstanceId,
        rackId: null,
        rebalanceTimeoutMs: -1,
        subscribedTopicNames: null,
        subscribedTopicRegex: null,
        serverAssignor: null,
        topicPartitions: null,
      })
      left = response.errorCode === ErrorCode.NONE
    }
  } catch (error) {
    log('warn', 'leaving the group after a poll timeout failed', { error: describe(error) })
  }
  post({ kind: 'poll-expired', version: state.version, left })
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}
