// SPDX-License-Identifier: Apache-2.0
// File: counts C heap allocations (malloc/calloc/realloc) in the DSP benchmarks.
// bench/alloc_counter.hpp counts C++ operator new only; libopus, libsoxr and
// libsamplerate are C and allocate with malloc, so "zero allocations per frame"
// must be checked here too. Linked only into the DSP benchmarks (glibc only: it
// forwards to __libc_malloc and friends).
#pragma once

#include <cstdint>

namespace loqui::bench {
/// C heap allocations in this process so far (operator new included, as it mallocs).
std::uint64_t mallocs() noexcept;
}  // namespace loqui::bench
