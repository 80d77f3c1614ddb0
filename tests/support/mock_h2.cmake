# SPDX-License-Identifier: Apache-2.0
# The in-process HTTP/2 server (libnghttp2, a test-only optional dependency from
# Debian's libnghttp2-dev). Defines loqui_mock_h2 when nghttp2 is found and sets
# LOQUI_TEST_HAS_NGHTTP2 accordingly; users compile their HTTP/2 tests either way
# and skip them when it is 0. Included from each user; the first include decides.
include(${PROJECT_SOURCE_DIR}/tests/support/mock_http.cmake)
if(NOT TARGET loqui_mock_h2 AND TARGET loqui_mock_http AND PKG_CONFIG_FOUND)
  pkg_check_modules(loqui_test_nghttp2 QUIET IMPORTED_TARGET GLOBAL libnghttp2)
  if(loqui_test_nghttp2_FOUND)
    add_library(loqui_mock_h2 STATIC ${PROJECT_SOURCE_DIR}/tests/support/mock_h2_server.cpp)
    target_link_libraries(loqui_mock_h2 PUBLIC loqui_mock_http PkgConfig::loqui_test_nghttp2)
    target_compile_definitions(loqui_mock_h2 PUBLIC LOQUI_TEST_HAS_NGHTTP2=1)
    loqui_set_warnings(loqui_mock_h2)
  endif()
endif()
