# SPDX-License-Identifier: Apache-2.0
# The in-process WebSocket mock server and the vendor mocks built on it, used by the
# WebSocket, deepgram, cartesia and elevenlabs tests and by bench/ws. Included from
# each user; the first include defines the target.
if(NOT TARGET loqui_mock_ws)
  add_library(loqui_mock_ws STATIC ${PROJECT_SOURCE_DIR}/tests/support/mock_ws_server.cpp
              ${PROJECT_SOURCE_DIR}/tests/support/mock_vendors.cpp)
  target_include_directories(loqui_mock_ws PUBLIC ${PROJECT_SOURCE_DIR}/tests ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(loqui_mock_ws PUBLIC loqui::loqui Boost::headers Threads::Threads)
  target_compile_definitions(loqui_mock_ws PUBLIC BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)
  target_include_directories(loqui_mock_ws SYSTEM PRIVATE ${LOQUI_RAPIDJSON_INCLUDE_DIR})
  loqui_set_warnings(loqui_mock_ws)
endif()
