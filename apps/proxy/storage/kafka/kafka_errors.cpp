#include "storage/kafka/kafka_errors.hpp"

namespace krest::proxy {

ProxyError kafka_error(rd_kafka_resp_err_t err, const std::string& context) {
  const std::string text = context + ": " + rd_kafka_err2str(err) + " (" + rd_kafka_err2name(err) + ")";
  switch (err) {
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return ProxyError(ErrorKind::not_found, text);
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICA_ASSIGNMENT:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR_INVALID_REQUEST:
      return ProxyError(ErrorKind::bad_request, text);
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
      return ProxyError(ErrorKind::conflict, text);
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
      // The proxy's own Kafka principal lacks a right: the operator's problem, not the caller's.
      return ProxyError(ErrorKind::internal, text + "; check the ACLs of the proxy's Kafka principal");
    default:
      return ProxyError(ErrorKind::unavailable, text);
  }
}

}  // namespace krest::proxy
