// SPDX-License-Identifier: Apache-2.0
// File: private logging macros: fmt formatting, evaluated only when the level is on.
//   LOQUI_LOG_INFO("stt.deepgram", "connected to {} in {} ms", host, ms);
#pragma once

#include <fmt/format.h>

#include "loqui/log.hpp"

#define LOQUI_LOG(level, component, ...)                                     \
  do {                                                                       \
    if (::loqui::log_enabled(level))                                         \
      ::loqui::log(level, component, ::fmt::format(__VA_ARGS__));            \
  } while (false)
#define LOQUI_LOG_TRACE(component, ...) LOQUI_LOG(::loqui::LogLevel::trace, component, __VA_ARGS__)
#define LOQUI_LOG_DEBUG(component, ...) LOQUI_LOG(::loqui::LogLevel::debug, component, __VA_ARGS__)
#define LOQUI_LOG_INFO(component, ...) LOQUI_LOG(::loqui::LogLevel::info, component, __VA_ARGS__)
#define LOQUI_LOG_WARN(component, ...) LOQUI_LOG(::loqui::LogLevel::warn, component, __VA_ARGS__)
#define LOQUI_LOG_ERROR(component, ...) LOQUI_LOG(::loqui::LogLevel::error, component, __VA_ARGS__)
