/**
 * Group configs (KIP-848, KIP-932): per-group overrides of the broker's group settings, such as a share
 * group's `share.auto.offset.reset`, `share.record.lock.duration.ms` or `share.delivery.count.limit`, or a
 * consumer group's `consumer.session.timeout.ms`. They live on the GROUP config resource (type 32) and are
 * read with DescribeConfigs and changed with IncrementalAlterConfigs, like a topic's.
 *
 * A group need not exist for its configs to be set: the controller stores them by name, so a share group can
 * be told where to start before its first member joins.
 */

import { KafkaError } from '../common/errors.ts'
import type { RequestOptions } from '../network/connection.ts'
import type { ApiDefinition } from '../protocol/api.ts'
import { errorForCode } from '../protocol/errors/broker-error.ts'
import { ErrorCode } from '../protocol/errors/error-codes.ts'
import { DescribeConfigs } from '../protocol/messages/describe-configs.ts'
import { IncrementalAlterConfigs } from '../protocol/messages/incremental-alter-configs.ts'
import { resolveTimeoutOptions, resolveTopicConfigChange } from './admin-options.ts'
import { alterConfigsResource, configChangeApplied, configEntries, GROUP_RESOURCE } from './config-source.ts'
import { validateGroupId } from './group-support.ts'
import type { GroupConfigChange } from './share-group-types.ts'
import type { ConfigEntry } from './types.ts'
import { waitUntil } from './wait-until.ts'

/** Sends a request with the admin client's retry policy: to any broker, or to the controller through one. */
export type Send = <Req, Res>(
  api: ApiDefinition<Req, Res>,
  request: Req,
  options?: RequestOptions,
) => Promise<Res>

export class GroupConfigAdmin {
  readonly #toAnyBroker: Send
  readonly #toController: Send

  constructor(toAnyBroker: Send, toController: Send) {
    this.#toAnyBroker = toAnyBroker
    this.#toController = toController
  }

  /** A group's configs, by name: its own overrides (source `group`) and the broker defaults it inherits. */
  async describeGroupConfigs(groupId: string): Promise<Map<string, ConfigEntry>> {
    const id = validateGroupId(groupId)
    const response = await this.#toAnyBroker(DescribeConfigs, {
      resources: [{ resourceType: GROUP_RESOURCE, resourceName: id, configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    })
    const result = response.results[0]
    if (result === undefined) {
      throw new KafkaError(`the broker did not report on group "${id}" in its DescribeConfigs response`, -1)
    }
    const error = errorForCode(result.errorCode, { errorMessage: result.errorMessage ?? undefined })
    if (error !== null) throw error
    return configEntries(result.configs)
  }

  /**
   * Sets and removes a group's config overrides, then waits until the brokers report them; configs not named
   * are left as they are. A name the broker does not know as a group config fails with a {@link BrokerError}
   * of code 40 (`INVALID_CONFIG`), as does a value it rejects.
   */
  async alterGroupConfigs(
    groupId: string,
    change: GroupConfigChange,
    options: { timeoutMs?: number } = {},
  ): Promise<void> {
    const id = validateGroupId(groupId)
    const resolved = resolveTopicConfigChange(change)
    const { timeoutMs } = resolveTimeoutOptions(options)
    const deadline = Date.now() + timeoutMs
    const response = await this.#toController(IncrementalAlterConfigs, {
      resources: [alterConfigsResource(GROUP_RESOURCE, id, resolved)],
      validateOnly: false,
    })
    const result = response.responses[0]
    if (result !== undefined && result.errorCode !== ErrorCode.NONE) {
      throw errorForCode(result.errorCode, {
        errorMessage: `group "${id}": ${result.errorMessage ?? 'the change was refused'}`,
      })!
    }
    // The controller has committed the change; brokers apply it from the metadata log a moment later.
    await waitUntil(`the new configs of group "${id}" to take effect`, deadline, async () =>
      configChangeApplied(await this.describeGroupConfigs(id), resolved, 'group') ? true : undefined,
    )
  }
}
