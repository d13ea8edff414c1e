/** DeleteGroups: drops empty groups and their committed offsets (NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND). */

import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import {
  createDeletableGroupResult,
  createDeleteGroupsResponse,
  DeleteGroups,
  type DeleteGroupsRequest,
  type DeleteGroupsResponse,
} from '../../protocol/messages/delete-groups.ts'
import { defineHandler } from '../api-handler.ts'
import { coordinates } from './coordinator-check.ts'

export const deleteGroupsHandler = defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>({
  api: DeleteGroups,
  handle(request, context) {
    return createDeleteGroupsResponse({
      results: request.groupsNames.map((groupId) =>
        createDeletableGroupResult({
          groupId,
          errorCode: coordinates(context, groupId)
            ? context.state.groups.deleteGroup(groupId)
            : ErrorCode.NOT_COORDINATOR,
        }),
      ),
    })
  },
})
