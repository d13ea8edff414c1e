/** DescribeCluster: the cluster id, the controller (node 0, as Metadata says) and every node. */

import {
  createDescribeClusterBroker,
  createDescribeClusterResponse,
  DescribeCluster,
  type DescribeClusterRequest,
  type DescribeClusterResponse,
} from '../../protocol/messages/describe-cluster.ts'
import { defineHandler } from '../api-handler.ts'

export const describeClusterHandler = defineHandler<DescribeClusterRequest, DescribeClusterResponse>({
  api: DescribeCluster,
  handle(request, { state }) {
    return createDescribeClusterResponse({
      endpointType: request.endpointType,
      clusterId: state.clusterId,
      controllerId: state.nodes[0]!.nodeId,
      brokers: state.nodes.map((node) =>
        createDescribeClusterBroker({ brokerId: node.nodeId, host: node.host, port: node.port }),
      ),
    })
  },
})
