#pragma once
// The I/O half: sends the requests api.hpp builds, one at a time, through
// the suite's HTTP client (TLS verification, timeouts, retries of
// idempotent requests on transport errors and 5xx), and waits with
// poll_until. Decisions about replies are api.hpp's.
#include "config.hpp"
#include "runtime/plugin.hpp"

namespace sg::pipeline_client {

// Runs the step; throws sg::Error (with a hint) on failure.
void run(Context& ctx, const Config& config);

}  // namespace sg::pipeline_client
