// SPDX-License-Identifier: Apache-2.0
// File: counts heap allocations in benchmarks (a replaced global operator new,
// linked into every benchmark). Usage:
//   const auto before = loqui::bench::allocations();
//   ... steady-state loop ...
//   state.counters["allocs_per_frame"] = (allocations() - before) / iterations;
#pragma once

#include <cstdint>

namespace loqui::bench {
/// Heap allocations (operator new calls) in this process so far.
std::uint64_t allocations() noexcept;
}  // namespace loqui::bench
