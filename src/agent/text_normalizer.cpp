// SPDX-License-Identifier: Apache-2.0
// File: English text normalisation for TTS (numbers, money, dates, times, phone
// numbers, e-mails, URLs, abbreviations), token by token.
#include "loqui/agent/text_normalizer.hpp"

#include <array>
#include <cctype>
#include <optional>

namespace loqui {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}
std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

constexpr std::array<std::string_view, 20> kOnes = {
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
constexpr std::array<std::string_view, 10> kTens = {"", "", "twenty", "thirty", "forty",
                                                    "fifty", "sixty", "seventy", "eighty", "ninety"};
constexpr std::array<std::string_view, 12> kMonths = {"January", "February", "March", "April", "May", "June", "July",
                                                      "August", "September", "October", "November", "December"};

std::string below_thousand(long long n) {
  std::string out;
  if (n >= 100) {
    out = std::string(kOnes[static_cast<std::size_t>(n / 100)]) + " hundred";
    n %= 100;
    if (n == 0) return out;
    out += ' ';
  }
  if (n < 20) return out + std::string(kOnes[static_cast<std::size_t>(n)]);
  out += kTens[static_cast<std::size_t>(n / 10)];
  if (n % 10) out += " " + std::string(kOnes[static_cast<std::size_t>(n % 10)]);
  return out;
}

// Digits spoken one by one: "555" -> "five five five".
std::string digits(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (!is_digit(c)) continue;
    if (!out.empty()) out += ' ';
    out += kOnes[static_cast<std::size_t>(c - '0')];
  }
  return out;
}

// "1,250" or "1250" -> 1250; nullopt if not a plain (comma-grouped) integer.
std::optional<long long> parse_int(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  long long v = 0;
  std::size_t group = 0;  // digits since the last comma
  bool comma = false;
  for (char c : s) {
    if (c == ',') {
      if (group == 0 || (comma && group != 3) || (!comma && group > 3)) return std::nullopt;
      comma = true;
      group = 0;
      continue;
    }
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
    ++group;
  }
  if (group == 0 || (comma && group != 3)) return std::nullopt;
  return v;
}

std::string year_words(long long y) {
  if (y >= 2000 && y <= 2009) return number_to_words_en(y);
  const long long hi = y / 100, lo = y % 100;
  if (lo == 0) return below_thousand(hi) + " hundred";
  return below_thousand(hi) + (lo < 10 ? " oh " : " ") + below_thousand(lo);
}

// "3.50" -> "three point five zero"; integers as words.
std::string decimal_words(std::string_view s) {
  const std::size_t dot = s.find('.');
  if (dot == std::string_view::npos) {
    auto v = parse_int(s);
    return v ? number_to_words_en(*v) : std::string(s);
  }
  auto whole = parse_int(s.substr(0, dot));
  const std::string_view frac = s.substr(dot + 1);
  if (!whole || !all_digits(frac)) return std::string(s);
  return number_to_words_en(*whole) + " point " + digits(frac);
}

bool is_number_token(std::string_view s) {
  if (s.empty() || !is_digit(s[0])) return false;
  bool dot = false;
  for (char c : s) {
    if (c == '.') {
      if (dot) return false;
      dot = true;
    } else if (!is_digit(c) && c != ',') {
      return false;
    }
  }
  return is_digit(s.back());
}

// "$1,250.50" -> "one thousand two hundred fifty dollars and fifty cents".
std::optional<std::string> money(std::string_view s) {
  std::string_view unit, subunit;
  if (s.rfind("$", 0) == 0) unit = "dollar", subunit = "cent", s.remove_prefix(1);
  else if (s.rfind("\xE2\x82\xAC", 0) == 0) unit = "euro", subunit = "cent", s.remove_prefix(3);
  else if (s.rfind("\xC2\xA3", 0) == 0) unit = "pound", subunit = "penny", s.remove_prefix(2);
  else return std::nullopt;
  if (!is_number_token(s)) return std::nullopt;
  const std::size_t dot = s.find('.');
  auto whole = parse_int(s.substr(0, dot));
  if (!whole) return std::nullopt;
  long long cents = 0;
  if (dot != std::string_view::npos) {
    const std::string_view frac = s.substr(dot + 1);
    if (frac.size() != 2 || !all_digits(frac)) return std::nullopt;
    cents = (frac[0] - '0') * 10 + (frac[1] - '0');
  }
  std::string out = number_to_words_en(*whole) + " " + std::string(unit) + (*whole == 1 ? "" : "s");
  if (cents > 0) {
    const std::string sub = subunit == "penny" ? (cents == 1 ? "penny" : "pence")
                                               : std::string(subunit) + (cents == 1 ? "" : "s");
    out += " and " + number_to_words_en(cents) + " " + sub;
  }
  return out;
}

// "2:30", "2:30pm", "10:05am", "2pm" -> "two thirty p m" ...
std::optional<std::string> time_of_day(std::string_view s) {
  std::string suffix;
  const std::string l = lower(s);
  std::string_view core = s;
  for (std::string_view sfx : {"a.m.", "p.m.", "am", "pm"}) {
    if (l.size() > sfx.size() && l.compare(l.size() - sfx.size(), sfx.size(), sfx) == 0) {
      suffix = sfx[0] == 'a' ? " a m" : " p m";
      core = s.substr(0, s.size() - sfx.size());
      break;
    }
  }
  const std::size_t colon = core.find(':');
  if (colon == std::string_view::npos) {
    if (suffix.empty() || !all_digits(core) || core.size() > 2) return std::nullopt;
    const long long h = std::stoll(std::string(core));
    if (h < 1 || h > 12) return std::nullopt;
    return number_to_words_en(h) + suffix;
  }
  const std::string_view hs = core.substr(0, colon), ms = core.substr(colon + 1);
  if (!all_digits(hs) || hs.size() > 2 || ms.size() != 2 || !all_digits(ms)) return std::nullopt;
  const long long h = std::stoll(std::string(hs)), m = std::stoll(std::string(ms));
  if (h > 23 || m > 59) return std::nullopt;
  std::string out = number_to_words_en(h);
  if (m == 0) out += suffix.empty() ? " o'clock" : "";
  else if (m < 10) out += " oh " + number_to_words_en(m);
  else out += " " + number_to_words_en(m);
  return out + suffix;
}

// "3/15" -> "March fifteenth"; "3/15/2026" -> "March fifteenth, twenty twenty six".
std::optional<std::string> date(std::string_view s) {
  const std::size_t a = s.find('/');
  if (a == std::string_view::npos) return std::nullopt;
  const std::size_t b = s.find('/', a + 1);
  const std::string_view ms = s.substr(0, a);
  const std::string_view ds = s.substr(a + 1, b == std::string_view::npos ? std::string_view::npos : b - a - 1);
  if (!all_digits(ms) || !all_digits(ds) || ms.size() > 2 || ds.size() > 2) return std::nullopt;
  const long long m = std::stoll(std::string(ms)), d = std::stoll(std::string(ds));
  if (m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  std::string out = std::string(kMonths[static_cast<std::size_t>(m - 1)]) + " " + ordinal_to_words_en(d);
  if (b != std::string_view::npos) {
    const std::string_view ys = s.substr(b + 1);
    if (!all_digits(ys) || (ys.size() != 2 && ys.size() != 4)) return std::nullopt;
    long long y = std::stoll(std::string(ys));
    if (ys.size() == 2) y += 2000;
    out += " " + year_words(y);
  }
  return out;
}

// "555-123-4567", "(555) 123-4567", "+1-555-123-4567": digit by digit, in groups.
std::optional<std::string> phone(std::string_view s) {
  int n_digits = 0, seps = 0;
  for (char c : s) {
    if (is_digit(c)) ++n_digits;
    else if (c == '-' || c == '.' || c == '(' || c == ')' || c == '+') ++seps;
    else return std::nullopt;
  }
  if (n_digits < 7 || n_digits > 15 || seps == 0 || s.find('-') == std::string_view::npos) return std::nullopt;
  std::string out;
  std::string group;
  auto flush = [&] {
    if (group.empty()) return;
    if (!out.empty()) out += ", ";
    out += digits(group);
    group.clear();
  };
  for (char c : s) {
    if (is_digit(c)) group += c;
    else flush();
  }
  flush();
  return out;
}

std::optional<std::string> ordinal(std::string_view s) {
  if (s.size() < 3) return std::nullopt;
  const std::string sfx = lower(s.substr(s.size() - 2));
  if (sfx != "st" && sfx != "nd" && sfx != "rd" && sfx != "th") return std::nullopt;
  const std::string_view num = s.substr(0, s.size() - 2);
  auto v = parse_int(num);
  if (!v) return std::nullopt;
  return ordinal_to_words_en(*v);
}

std::string spell_address(std::string_view s) {  // e-mail and URL punctuation
  std::string out;
  for (char c : s) {
    switch (c) {
      case '@': out += " at "; break;
      case '.': out += " dot "; break;
      case '/': out += " slash "; break;
      case '-': out += " dash "; break;
      case '_': out += " underscore "; break;
      case ':': break;
      default: out += c;
    }
  }
  // Collapse spaces.
  std::string collapsed;
  for (char c : out) {
    if (c == ' ' && (collapsed.empty() || collapsed.back() == ' ')) continue;
    collapsed += c;
  }
  while (!collapsed.empty() && collapsed.back() == ' ') collapsed.pop_back();
  return collapsed;
}

struct Abbrev {
  std::string_view written, spoken;
};
constexpr std::array<Abbrev, 14> kAbbrevs = {{{"dr.", "Doctor"},
                                              {"mr.", "Mister"},
                                              {"mrs.", "Missus"},
                                              {"ms.", "Miz"},
                                              {"st.", "Street"},
                                              {"ave.", "Avenue"},
                                              {"blvd.", "Boulevard"},
                                              {"jr.", "Junior"},
                                              {"sr.", "Senior"},
                                              {"e.g.", "for example"},
                                              {"i.e.", "that is"},
                                              {"etc.", "et cetera"},
                                              {"vs.", "versus"},
                                              {"approx.", "approximately"}}};

class EnglishNormalizer final : public TextNormalizer {
 public:
  std::string normalize_token(std::string_view token) const override {
    // Fast path: most tokens are plain words with nothing to rewrite.
    bool plain = true;
    for (char c : token) {
      if (is_digit(c) || static_cast<unsigned char>(c) >= 0x80 ||
          std::string_view("@$*`#_(/%").find(c) != std::string_view::npos) {
        plain = false;
        break;
      }
    }
    // An abbreviation needs a dot and is short ("Dr.", "e.g.", "approx.").
    // "pm", "PM", "AM" (with punctuation) are rewritten too.
    const bool meridiem = token.size() <= 3 && (token[0] == 'p' || token[0] == 'P' || token[0] == 'A');
    if (plain && !meridiem && (token.size() > 8 || token.find('.') == std::string_view::npos))
      return std::string(token);
    // Markdown emphasis and headings.
    std::string t;
    for (char c : token)
      if (c != '*' && c != '`' && c != '#') t += c;
    if (t.empty()) return {};
    if (t.size() >= 2 && t.front() == '_' && t.back() == '_') t = t.substr(1, t.size() - 2);
    // An area code on its own: "(555)" before "123-4567".
    if (t.size() == 5 && t.front() == '(' && t.back() == ')' && all_digits(std::string_view(t).substr(1, 3)))
      return digits(t) + ",";
    const std::string l = lower(t);
    for (const auto& a : kAbbrevs) {
      if (l == a.written) return std::string(a.spoken);
      // "Dr.," style: abbreviation followed by more punctuation.
      if (l.size() > a.written.size() && l.compare(0, a.written.size(), a.written) == 0 &&
          std::string_view(",;:").find(l[a.written.size()]) != std::string_view::npos && l.size() == a.written.size() + 1)
        return std::string(a.spoken) + l.back();
    }
    // Split leading and trailing punctuation off the core.
    std::size_t b = 0, e = t.size();
    while (b < e && std::string_view("\"'([{").find(t[b]) != std::string_view::npos) ++b;
    while (e > b && std::string_view("\"')]},;:!?.").find(t[e - 1]) != std::string_view::npos) --e;
    std::string lead = t.substr(0, b), core = t.substr(b, e - b), trail = t.substr(e);
    if (core.empty()) return t;
    // "a.m." / "p.m." lose their final dot to the trail: put it back.
    if ((lower(core) == "a.m" || lower(core) == "p.m") && !trail.empty() && trail[0] == '.') {
      core += '.';
      trail.erase(0, 1);
    }
    if (auto s = say(core)) return lead + *s + trail;
    return t;
  }

 private:
  static std::optional<std::string> say(const std::string& core) {
    const std::string l = lower(core);
    if (l == "a.m." || core == "AM") return std::string("a m");
    if (l == "p.m." || l == "pm") return std::string("p m");
    if (core.find('@') != std::string::npos && core.find('.') != std::string::npos) return spell_address(core);
    if (l.rfind("http://", 0) == 0 || l.rfind("https://", 0) == 0) {
      return spell_address(core.substr(core.find("//") + 2));
    }
    if (l.rfind("www.", 0) == 0) return spell_address(core);
    if (auto m = money(core)) return m;
    if (auto p = phone(core)) return p;
    if (auto d = date(core)) return d;
    if (auto t = time_of_day(core)) return t;
    if (auto o = ordinal(core)) return o;
    if (core.size() > 1 && core.back() == '%' && is_number_token(core.substr(0, core.size() - 1)))
      return decimal_words(core.substr(0, core.size() - 1)) + " percent";
    if (is_number_token(core)) {
      if (core.size() == 4 && all_digits(core)) {
        const long long y = std::stoll(core);
        if (y >= 1900 && y <= 2099) return year_words(y);
      }
      return decimal_words(core);
    }
    return std::nullopt;
  }
};

std::size_t count_words(std::string_view s) {
  std::size_t n = 0;
  bool in = false;
  for (char c : s) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space && !in) ++n;
    in = !space;
  }
  return n;
}

}  // namespace

std::string number_to_words_en(long long n) {
  if (n < 0) return "minus " + number_to_words_en(-n);
  if (n < 1000) return below_thousand(n);
  static constexpr std::array<std::pair<long long, std::string_view>, 4> kScales = {
      {{1'000'000'000'000LL, "trillion"}, {1'000'000'000LL, "billion"}, {1'000'000LL, "million"}, {1'000LL, "thousand"}}};
  std::string out;
  for (const auto& [scale, name] : kScales) {
    if (n >= scale) {
      if (!out.empty()) out += ' ';
      out += number_to_words_en(n / scale) + " " + std::string(name);
      n %= scale;
    }
  }
  if (n > 0) out += " " + below_thousand(n);
  return out;
}

std::string ordinal_to_words_en(long long n) {
  std::string w = number_to_words_en(n);
  const std::size_t sp = w.rfind(' ');
  const std::string last = sp == std::string::npos ? w : w.substr(sp + 1);
  const std::string head = sp == std::string::npos ? "" : w.substr(0, sp + 1);
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kIrregular = {{{"one", "first"},
                                                                                                {"two", "second"},
                                                                                                {"three", "third"},
                                                                                                {"five", "fifth"},
                                                                                                {"eight", "eighth"},
                                                                                                {"nine", "ninth"},
                                                                                                {"twelve", "twelfth"},
                                                                                                {"twenty", "twentieth"},
                                                                                                {"thirty", "thirtieth"},
                                                                                                {"forty", "fortieth"},
                                                                                                {"fifty", "fiftieth"},
                                                                                                {"sixty", "sixtieth"}}};
  for (const auto& [card, ord] : kIrregular)
    if (last == card) return head + std::string(ord);
  if (last.size() > 1 && last.back() == 'y') return head + last.substr(0, last.size() - 1) + "ieth";
  return head + last + "th";
}

std::string TextNormalizer::normalize(std::string_view text, std::vector<std::size_t>* spoken_words) const {
  std::string out;
  if (spoken_words) spoken_words->clear();
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r')) ++i;
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\n' && text[j] != '\t' && text[j] != '\r') ++j;
    if (j == i) break;
    const std::string said = normalize_token(text.substr(i, j - i));
    if (spoken_words) spoken_words->push_back(count_words(said));
    if (!said.empty()) {
      if (!out.empty()) out += ' ';
      out += said;
    }
    i = j;
  }
  return out;
}

std::unique_ptr<TextNormalizer> make_text_normalizer(std::string_view language) {
  const std::string l = lower(language);
  if (l == "en" || l.rfind("en-", 0) == 0 || l.rfind("en_", 0) == 0) return std::make_unique<EnglishNormalizer>();
  return nullptr;
}

}  // namespace loqui
