/**
 * A rig cluster of a test's own, next to the shared broker: its own ports and a throwaway state directory,
 * and a stop that leaves no JVM behind whatever the test did to it. The chaos broker scenarios and the
 * 3-node integrity tests use it.
 *
 * Tests kill, freeze and restart these nodes, and vitest runs `afterAll` even when a hook or test timed out
 * with the start still under way; {@link OwnRig.stop} covers each case, so a failing test cannot leave
 * brokers running on the CI machine.
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { type ExtraConfig, type RunningBroker, restartNode, startBroker, stopBroker } from '../rig/index.ts'

export interface OwnRigOptions {
  /** Broker settings on top of the rig's own, e.g. `{ 'unclean.leader.election.enable': true }`. */
  extraConfig?: ExtraConfig
}

export class OwnRig {
  readonly stateDir = mkdtempSync(join(tmpdir(), 'samsa-own-rig-'))
  broker: RunningBroker | undefined
  readonly port: number
  readonly nodes: 1 | 3
  readonly #extraConfig: ExtraConfig | undefined
  #starting: Promise<RunningBroker> | undefined

  constructor(port: number, nodes: 1 | 3, options: OwnRigOptions = {}) {
    this.port = port
    this.nodes = nodes
    this.#extraConfig = options.extraConfig
  }

  /** Starts the cluster (up to 3 minutes: three JVMs on a loaded 2-core machine); resolves with its bootstrap. */
  async start(): Promise<string> {
    this.#starting = startBroker({
      nodes: this.nodes,
      port: this.port,
      stateDir: this.stateDir,
      progress: () => {},
      startTimeoutMs: 180_000,
      ...(this.#extraConfig === undefined ? {} : { extraConfig: this.#extraConfig }),
    })
    this.broker = await this.#starting
    return this.broker.bootstrap
  }

  /** SIGKILLs node `nodeId` (1-based), waits `downMs`, starts it again on its storage. */
  async crash(nodeId: number, downMs: number): Promise<void> {
    const node = this.broker!.nodes.find((n) => n.nodeId === nodeId)!
    process.kill(node.pid, 'SIGKILL')
    await sleep(downMs)
    const restarted = await restartNode({
      port: this.port,
      stateDir: this.stateDir,
      nodeId,
      startTimeoutMs: 180_000,
    })
    this.broker!.nodes = this.broker!.nodes.map((n) => (n.nodeId === nodeId ? restarted : n))
  }

  /**
   * Stops every node and removes the storage. Waits for a start still under way first (a timed-out
   * `beforeAll` does not cancel it, and its JVMs would come up after a stop that found nothing to stop), and
   * resumes SIGSTOPped nodes, which would otherwise sit out the whole SIGTERM grace period.
   */
  async stop(): Promise<void> {
    await this.#starting?.catch(() => {})
    for (const node of this.broker?.nodes ?? []) {
      try {
        process.kill(node.pid, 'SIGCONT')
      } catch {
        // Killed by the test: nothing to resume.
      }
    }
    await stopBroker({ port: this.port, stateDir: this.stateDir, gracefulTimeoutMs: 10_000 })
    rmSync(this.stateDir, { recursive: true, force: true })
  }
}
