// SPDX-License-Identifier: Apache-2.0
// File: prices and the cost of a call. A PriceTable maps providers (and models) to
// list prices; price() turns a call's Usage into cost per component, per call and
// per minute. Unknown prices are reported, never silently counted as zero.
//
// Thread safety: PriceTable is immutable after loading; share it freely.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loqui/error.hpp"
#include "loqui/json.hpp"
#include "loqui/metrics/turn_metrics.hpp"

namespace loqui {

struct SttPrice { double per_minute = 0; };
struct LlmPrice {
  double per_million_input_tokens = 0;
  double per_million_output_tokens = 0;
  double per_million_cached_input_tokens = 0;  ///< 0 = same as input
};
struct TtsPrice { double per_thousand_characters = 0; };

/// Which providers a call used, for pricing ("deepgram" + "nova-3" ...).
struct ProviderModels {
  std::string stt, stt_model;
  std::string llm, llm_model;
  std::string tts, tts_model;
};

struct CostLine {
  std::string component;  ///< "stt", "llm", "tts", "telephony"
  std::string priced_as;  ///< the table key used, e.g. "openai/gpt-4o-mini"
  std::string quantity;   ///< "2.50 min", "1234 in / 210 out tokens", "870 chars"
  double cost = 0;
  bool price_known = true;
};

struct CallCost {
  std::string currency = "USD";
  std::vector<CostLine> lines;
  double total = 0;
  double per_minute = 0;  ///< total / call minutes (0 for an empty call)
  bool complete = true;   ///< false if any component's price is unknown
};

class PriceTable {
 public:
  /// The built-in table: public list prices of the vendors loqui ships adapters for
  /// (embedded providers cost 0). See docs/cost.md for sources and dates.
  static PriceTable defaults();
  /// Loads a table from JSON (shape in docs/cost.md); entries override defaults()
  /// when `merge_defaults` is true. Errors name the path of the bad field.
  static Result<PriceTable> from_json(const Json& json, std::string_view path = "prices", bool merge_defaults = true);
  static Result<PriceTable> from_file(const std::string& file, bool merge_defaults = true);

  /// Lookup tries "provider/model" first, then "provider".
  std::optional<SttPrice> stt(std::string_view provider, std::string_view model) const;
  std::optional<LlmPrice> llm(std::string_view provider, std::string_view model) const;
  std::optional<TtsPrice> tts(std::string_view provider, std::string_view model) const;
  double telephony_per_minute() const noexcept { return telephony_per_minute_; }
  const std::string& currency() const noexcept { return currency_; }

  CallCost price(const Usage& usage, const ProviderModels& providers) const;

 private:
  template <class T>
  static std::optional<T> find(const std::map<std::string, T, std::less<>>& m, std::string_view provider,
                               std::string_view model, std::string* key = nullptr);
  std::string currency_ = "USD";
  double telephony_per_minute_ = 0;
  std::map<std::string, SttPrice, std::less<>> stt_;
  std::map<std::string, LlmPrice, std::less<>> llm_;
  std::map<std::string, TtsPrice, std::less<>> tts_;
};

}  // namespace loqui
