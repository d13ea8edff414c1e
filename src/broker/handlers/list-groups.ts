/**
 * ListGroups: the groups this node coordinates, filtered by state (v4+, case-insensitive as in Kafka) and
 * by type (v5+: classic, consumer).
 */

import {
  createListedGroup,
  createListGroupsResponse,
  ListGroups,
  type ListGroupsRequest,
  type ListGroupsResponse,
} from '../../protocol/messages/list-groups.ts'
import { defineHandler } from '../api-handler.ts'
import { coordinates } from './coordinator-check.ts'

export const listGroupsHandler = defineHandler<ListGroupsRequest, ListGroupsResponse>({
  api: ListGroups,
  handle(request, context) {
    const states = new Set(request.statesFilter.map((s) => s.toLowerCase()))
    const types = new Set(request.typesFilter.map((t) => t.toLowerCase()))
    return createListGroupsResponse({
      groups: context.state.groups
        .listGroups()
        .filter((g) => coordinates(context, g.groupId))
        .filter((g) => states.size === 0 || states.has(g.state.toLowerCase()))
        .filter((g) => types.size === 0 || types.has(g.type))
        .map((g) =>
          createListedGroup({
            groupId: g.groupId,
            protocolType: g.protocolType,
            groupState: g.state,
            groupType: g.type,
          }),
        ),
    })
  },
})
