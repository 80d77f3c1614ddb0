// SPDX-License-Identifier: Apache-2.0
// File: private bridge from the public Runtime/Strand to Boost.Asio, for loqui's
// own network code (HTTP, WebSocket) that must share the runtime's event loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include "loqui/runtime/runtime.hpp"

namespace loqui::detail {

using AsioStrand = boost::asio::strand<boost::asio::io_context::executor_type>;

/// The io_context of a real-time runtime; nullptr under virtual time.
boost::asio::io_context* asio_context(Runtime& runtime) noexcept;
/// The Asio strand behind a real-time Strand; nullptr under virtual time. Handlers
/// bound to it run serialised with the Strand's tasks.
const AsioStrand* asio_strand(const Strand& strand) noexcept;

}  // namespace loqui::detail
