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

/// For an Asio completion handler running on asio_strand(strand): marks the
/// thread as running `strand` for the scope, so Strand::running_in_this_thread()
/// holds inside the callbacks it makes (the WebSocket client calls its handler so).
class OnStrandScope {
 public:
  explicit OnStrandScope(const Strand& strand) noexcept;
  ~OnStrandScope();
  OnStrandScope(const OnStrandScope&) = delete;
  OnStrandScope& operator=(const OnStrandScope&) = delete;

 private:
  const Strand* saved_;
};

}  // namespace loqui::detail
