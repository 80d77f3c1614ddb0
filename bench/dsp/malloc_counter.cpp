// SPDX-License-Identifier: Apache-2.0
// File: malloc/calloc/realloc interposed to count calls (see malloc_counter.hpp).
#include "malloc_counter.hpp"

#include <atomic>
#include <cstddef>

extern "C" {
void* __libc_malloc(std::size_t n);
void* __libc_calloc(std::size_t n, std::size_t size);
void* __libc_realloc(void* p, std::size_t n);
void __libc_free(void* p);
}

namespace {
std::atomic<std::uint64_t> g_mallocs{0};
}  // namespace

namespace loqui::bench {
std::uint64_t mallocs() noexcept { return g_mallocs.load(std::memory_order_relaxed); }
}  // namespace loqui::bench

extern "C" {
void* malloc(std::size_t n) {
  g_mallocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
  g_mallocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  g_mallocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, n);
}
void free(void* p) { __libc_free(p); }
}
