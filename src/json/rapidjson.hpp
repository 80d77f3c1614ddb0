// SPDX-License-Identifier: Apache-2.0
// File: the only way loqui includes rapidjson. Its namespace is renamed so a host
// using its own rapidjson never clashes, and RAPIDJSON_ASSERT never aborts: access
// goes through FindMember + Is*() only (see STYLE.md 3.10).
#pragma once

#include <stdexcept>

#ifndef RAPIDJSON_NAMESPACE
#define RAPIDJSON_NAMESPACE loqui_rapidjson
#define RAPIDJSON_NAMESPACE_BEGIN namespace loqui_rapidjson {
#define RAPIDJSON_NAMESPACE_END }
#endif
#define RAPIDJSON_HAS_STDSTRING 1
#define RAPIDJSON_NOMEMBERITERATORCLASS 0
// Our code never relies on an assert; a violated precondition becomes an exception
// caught at the JSON boundary instead of undefined behaviour or abort.
#define RAPIDJSON_ASSERT(x)                                                            \
  do {                                                                                 \
    if (!(x)) throw std::logic_error("rapidjson precondition failed: " #x);           \
  } while (false)

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wnull-dereference"
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#endif
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <rapidjson/prettywriter.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace loqui::detail {
namespace rj = ::loqui_rapidjson;
}  // namespace loqui::detail
