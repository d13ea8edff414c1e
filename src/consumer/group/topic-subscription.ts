/**
 * A consumer's subscription: a list of topic names or a pattern. Patterns are matched client-side against the
 * cluster's topic list in the classic protocol, and sent to the broker in the consumer protocol.
 */

import { ConfigError } from '../../common/errors.ts'
import { validateTopicName } from '../../common/validate.ts'
import { compareStrings } from './assignors/assignor.ts'

export type TopicSubscription =
  | { readonly kind: 'topics'; readonly topics: readonly string[] }
  | { readonly kind: 'pattern'; readonly pattern: RegExp }

/** Validates the argument of `subscribe()`. */
export function parseSubscription(topics: unknown): TopicSubscription {
  if (topics instanceof RegExp) {
    if (topics.global || topics.sticky) {
      // `test()` on a global or sticky RegExp moves lastIndex, so successive matches would disagree.
      throw new ConfigError('subscribe.topics', 'a RegExp subscription must not use the g or y flag')
    }
    return { kind: 'pattern', pattern: topics }
  }
  if (!Array.isArray(topics)) {
    throw new ConfigError('subscribe.topics', 'expected an array of topic names or a RegExp')
  }
  const names = topics.map((topic, index) => validateTopicName(`subscribe.topics[${index}]`, topic))
  return { kind: 'topics', topics: [...new Set(names)].sort(compareStrings) }
}

/**
 * The subscribed topics among `available` (the cluster's topic names). A pattern matches the whole name, as
 * Java's does, and never matches internal topics such as `__consumer_offsets`.
 */
export function matchTopics(
  subscription: TopicSubscription,
  available: Iterable<{ name: string; isInternal: boolean }>,
): string[] {
  if (subscription.kind === 'topics') return [...subscription.topics]
  const whole = new RegExp(`^(?:${subscription.pattern.source})$`, subscription.pattern.flags)
  const matched: string[] = []
  for (const topic of available) {
    if (!topic.isInternal && whole.test(topic.name)) matched.push(topic.name)
  }
  return matched.sort(compareStrings)
}
