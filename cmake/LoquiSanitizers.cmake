# SPDX-License-Identifier: Apache-2.0
# File: LOQUI_SANITIZE="address;undefined" (or "thread") instruments every target.
include_guard(GLOBAL)
set(LOQUI_SANITIZE "" CACHE STRING "Sanitizers: address;undefined | thread | empty")
if(LOQUI_SANITIZE)
  string(REPLACE ";" "," _san "${LOQUI_SANITIZE}")
  add_compile_options(-fsanitize=${_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_san})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 reports -Wmaybe-uninitialized false positives on std::variant moves
    # when instrumented by ASan at -O1; the same code is clean without sanitizers.
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
endif()
