# SPDX-License-Identifier: Apache-2.0
# File: one warning set for every target the project builds.
include_guard(GLOBAL)
function(loqui_set_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE
      -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
      -Woverloaded-virtual -Wimplicit-fallthrough -Wformat=2
      $<$<COMPILE_LANGUAGE:CXX>:-Wno-missing-field-initializers>
      # GCC 12 at -O3 reports std::string concatenation as overlapping memcpy
      # (GCC bug 105329, a false positive); it is not actionable in our code.
      $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
    if(LOQUI_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()
