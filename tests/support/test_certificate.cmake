# SPDX-License-Identifier: Apache-2.0
# make_test_certificate() for the TLS tests (wss://, https://). Included from each
# user; the first include defines the target. Needs OpenSSL (LOQUI_WITH_TLS).
if(NOT TARGET loqui_test_certificate AND LOQUI_WITH_TLS AND TARGET OpenSSL::SSL)
  add_library(loqui_test_certificate STATIC ${PROJECT_SOURCE_DIR}/tests/support/test_certificate.cpp)
  target_include_directories(loqui_test_certificate PUBLIC ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(loqui_test_certificate PUBLIC OpenSSL::SSL OpenSSL::Crypto)
  loqui_set_warnings(loqui_test_certificate)
endif()
