# SPDX-License-Identifier: Apache-2.0
# The in-process HTTP mock server used by the net/openai tests and benchmarks
# (https:// too when OpenSSL is there: LOQUI_MOCK_HTTP_TLS). Included from each
# user; the first include defines the target.
if(NOT TARGET loqui_mock_http AND LOQUI_WITH_CURL)
  add_library(loqui_mock_http STATIC ${PROJECT_SOURCE_DIR}/tests/support/mock_http_server.cpp)
  target_include_directories(loqui_mock_http PUBLIC ${PROJECT_SOURCE_DIR}/tests ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(loqui_mock_http PUBLIC loqui::loqui Boost::headers Threads::Threads)
  target_compile_definitions(loqui_mock_http PUBLIC BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)
  if(LOQUI_WITH_TLS AND TARGET OpenSSL::SSL)
    target_link_libraries(loqui_mock_http PUBLIC OpenSSL::SSL)
    target_compile_definitions(loqui_mock_http PUBLIC LOQUI_MOCK_HTTP_TLS=1)
  else()
    target_compile_definitions(loqui_mock_http PUBLIC LOQUI_MOCK_HTTP_TLS=0)
  endif()
  loqui_set_warnings(loqui_mock_http)
endif()
