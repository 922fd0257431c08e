#pragma once
#include <librdkafka/rdkafka.h>

#include <string>

#include "proxy_error.hpp"

namespace krest::proxy {

// The one mapping from librdkafka's errors to the API's statuses: unknown topics 404, a record
// or setting the cluster refuses 400, an existing topic 409, everything that may pass (brokers
// down, leaders moving, timeouts) 503 so that clients retry.
ProxyError kafka_error(rd_kafka_resp_err_t err, const std::string& context);

}  // namespace krest::proxy
