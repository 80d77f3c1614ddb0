// SPDX-License-Identifier: Apache-2.0
// File: normalisation, fuzzy phrase matching and slot parsers of the `flow`
// dialog engine (see flow_text.hpp).
#include "providers/flow/flow_text.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>

namespace loqui::detail {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool all_digits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_digit); }

constexpr std::array<std::string_view, 20> kUnits = {
    "zero", "one",     "two",     "three",    "four",     "five",    "six",       "seven",     "eight",    "nine",
    "ten",  "eleven",  "twelve",  "thirteen", "fourteen", "fifteen", "sixteen",   "seventeen", "eighteen", "nineteen"};
constexpr std::array<std::string_view, 10> kTens = {"",      "",      "twenty",  "thirty", "forty",
                                                    "fifty", "sixty", "seventy", "eighty", "ninety"};
constexpr std::array<std::string_view, 20> kOrdinalUnits = {
    "zeroth", "first",    "second",     "third",      "fourth",     "fifth",      "sixth",
    "seventh", "eighth",  "ninth",      "tenth",      "eleventh",   "twelfth",    "thirteenth",
    "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth"};
constexpr std::array<std::string_view, 10> kOrdinalTens = {"", "", "twentieth", "thirtieth", "", "", "", "", "", ""};
constexpr std::array<std::string_view, 12> kMonths = {"january", "february", "march",     "april",   "may",      "june",
                                                      "july",    "august",   "september", "october", "november", "december"};
constexpr std::array<std::string_view, 12> kMonthNames = {"January", "February", "March",     "April",
                                                          "May",     "June",     "July",      "August",
                                                          "September", "October", "November", "December"};
constexpr std::array<std::string_view, 7> kWeekdays = {"monday", "tuesday",  "wednesday", "thursday",
                                                       "friday", "saturday", "sunday"};
constexpr std::array<std::string_view, 7> kWeekdayNames = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                           "Friday", "Saturday", "Sunday"};

template <std::size_t N>
int index_of(const std::array<std::string_view, N>& list, std::string_view w) {
  for (std::size_t i = 0; i < N; ++i)
    if (!list[i].empty() && list[i] == w) return static_cast<int>(i);
  return -1;
}

std::string_view at(const std::vector<std::string>& w, std::size_t i) {
  return i < w.size() ? std::string_view(w[i]) : std::string_view();
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string_view stem(std::string_view w) {
  auto strip = [&](std::string_view suffix, std::size_t min_left) {
    if (w.size() >= suffix.size() + min_left && w.substr(w.size() - suffix.size()) == suffix) {
      w.remove_suffix(suffix.size());
      return true;
    }
    return false;
  };
  (void)(strip("ing", 3) || strip("ed", 3) || strip("es", 3) || strip("s", 3));
  return w;
}

// A whole number spoken as digits or words starting at `i` ("42", "forty two",
// "one hundred and five"). Ordinals ("15th", "fifteenth", "twenty first") only if
// `ordinal_ok`; `is_ordinal` says which it was.
std::optional<long> number_at(const std::vector<std::string>& w, std::size_t i, std::size_t& used,
                              bool ordinal_ok = false, bool* is_ordinal = nullptr) {
  used = 0;
  if (is_ordinal) *is_ordinal = false;
  const std::string_view t = at(w, i);
  if (t.empty()) return std::nullopt;
  if (all_digits(t) && t.size() <= 9) {
    used = 1;
    return std::stol(std::string(t));
  }
  if (t.size() > 2 && all_digits(t.substr(0, t.size() - 2))) {
    const std::string_view suf = t.substr(t.size() - 2);
    if (suf == "st" || suf == "nd" || suf == "rd" || suf == "th") {
      if (!ordinal_ok) return std::nullopt;
      used = 1;
      if (is_ordinal) *is_ordinal = true;
      return std::stol(std::string(t.substr(0, t.size() - 2)));
    }
  }
  long total = 0;
  long current = 0;
  std::size_t j = i;
  bool any = false;
  for (; j < w.size(); ++j) {
    const std::string_view x = w[j];
    if (int u = index_of(kUnits, x); u >= 0) {
      if (any && current % 10 == 0 && current >= 20 && u < 10 && u > 0) {
        current += u;  // "forty" "five"
      } else if (any && current != 0) {
        break;  // "ten" "thirty": two numbers
      } else {
        current += u;
      }
      any = true;
      if (u >= 10 || u == 0) {
        // "ten", "eleven", "zero" end a group unless a scale word follows
        if (at(w, j + 1) != "hundred" && at(w, j + 1) != "thousand") {
          ++j;
          break;
        }
      }
      continue;
    }
    if (int t10 = index_of(kTens, x); t10 >= 2) {
      if (any && current % 100 != 0) break;
      current += t10 * 10;
      any = true;
      continue;
    }
    if (ordinal_ok) {
      int ou = index_of(kOrdinalUnits, x);
      int ot = index_of(kOrdinalTens, x);
      if (ou > 0 && (!any || (current % 10 == 0 && current >= 20 && ou < 10))) {
        current += ou;
        any = true;
        if (is_ordinal) *is_ordinal = true;
        ++j;
        break;
      }
      if (ot >= 2 && !any) {
        current = ot * 10;
        any = true;
        if (is_ordinal) *is_ordinal = true;
        ++j;
        break;
      }
    }
    if (any && x == "hundred") {
      current *= 100;
      continue;
    }
    if (any && x == "thousand") {
      total += current * 1000;
      current = 0;
      continue;
    }
    if (any && x == "and" && (current >= 100 || total > 0)) continue;
    break;
  }
  if (!any) return std::nullopt;
  used = j - i;
  return total + current;
}

// Minutes after an hour: "thirty", "forty five", "oh five", "15", "o five".
std::optional<int> minutes_at(const std::vector<std::string>& w, std::size_t i, std::size_t& used) {
  used = 0;
  const std::string_view t = at(w, i);
  if (t == "oh" || t == "o" || t == "zero") {
    std::size_t u = 0;
    auto n = number_at(w, i + 1, u);
    if (n && *n >= 0 && *n <= 9 && u == 1) {
      used = 2;
      return static_cast<int>(*n);
    }
    return std::nullopt;
  }
  if (t == "hundred") {  // "ten hundred" is not a thing; "nine hundred" (09:00) sometimes is
    used = 1;
    return 0;
  }
  std::size_t u = 0;
  auto n = number_at(w, i, u);
  if (!n || *n < 10 || *n > 59) return std::nullopt;
  used = u;
  return static_cast<int>(*n);
}

std::string capitalize(std::string_view w) {
  std::string s(w);
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

bool one_of(std::string_view w, std::initializer_list<std::string_view> list) {
  return std::find(list.begin(), list.end(), w) != list.end();
}

std::vector<std::vector<std::string>> normalized(const std::vector<std::string>& phrases) {
  std::vector<std::vector<std::string>> out;
  for (const auto& p : phrases) out.push_back(normalize_words(p));
  return out;
}

// Earliest position of any of `phrases` in `w` (exact words), or npos.
std::size_t first_position(const std::vector<std::string>& w, const std::vector<std::vector<std::string>>& phrases) {
  std::size_t best = std::string::npos;
  for (const auto& p : phrases) {
    if (p.empty() || p.size() > w.size()) continue;
    for (std::size_t i = 0; i + p.size() <= w.size(); ++i) {
      if (std::equal(p.begin(), p.end(), w.begin() + static_cast<std::ptrdiff_t>(i))) {
        best = std::min(best, i);
        break;
      }
    }
  }
  return best;
}

}  // namespace

std::vector<std::string> normalize_words(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  auto push = [&] {
    if (!cur.empty()) out.push_back(std::move(cur));
    cur.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (is_alpha(c)) {
      // "3pm": a letter after digits starts a new word unless it is an ordinal suffix.
      if (!cur.empty() && is_digit(cur.back())) {
        const std::string_view rest = text.substr(i, 2);
        const bool ordinal = rest == "st" || rest == "nd" || rest == "rd" || rest == "th";
        if (!ordinal) push();
      }
      cur += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    } else if (is_digit(c)) {
      if (!cur.empty() && !is_digit(cur.back()) && cur.back() != ':') push();
      cur += c;
    } else if (c == ':' && !cur.empty() && is_digit(cur.back()) && i + 1 < text.size() && is_digit(text[i + 1])) {
      cur += c;
    } else if (c == '\'' || (c == '\xE2' && i + 2 < text.size() && text[i + 1] == '\x80' && text[i + 2] == '\x99')) {
      if (c == '\xE2') i += 2;  // U+2019 right single quotation mark
    } else {
      push();
    }
  }
  push();
  // "a m" / "p m" (from "a.m.") -> "am" / "pm".
  std::vector<std::string> merged;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if ((out[i] == "a" || out[i] == "p") && i + 1 < out.size() && out[i + 1] == "m") {
      merged.push_back(out[i] + "m");
      ++i;
    } else {
      merged.push_back(std::move(out[i]));
    }
  }
  return merged;
}

bool words_match(std::string_view a, std::string_view b, bool fuzzy) {
  if (a == b) return true;
  const std::string_view sa = stem(a), sb = stem(b);
  if (sa == sb) return true;
  if (!fuzzy) return false;
  if (all_digits(a) || all_digits(b)) return false;
  const std::size_t len = std::min(a.size(), b.size());
  const std::size_t allowed = len <= 4 ? 0 : len <= 7 ? 1 : 2;
  if (allowed == 0) return false;
  const std::size_t diff = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (diff > allowed) return false;
  return edit_distance(a, b) <= allowed;
}

double phrase_score_at(const std::vector<std::string>& words, std::size_t at, const std::vector<std::string>& phrase,
                       bool fuzzy) {
  if (phrase.empty() || at > words.size() || phrase.size() > words.size() - at) return 0;
  double score = 0;
  for (std::size_t k = 0; k < phrase.size(); ++k) {
    const std::string& w = words[at + k];
    const std::string& p = phrase[k];
    if (w == p || stem(w) == stem(p)) {
      score += static_cast<double>(p.size());
    } else if (words_match(w, p, fuzzy)) {
      score += 0.75 * static_cast<double>(p.size());
    } else {
      return 0;
    }
  }
  return score;
}

double phrase_score(const std::vector<std::string>& words, const std::vector<std::string>& phrase, bool fuzzy) {
  double best = 0;
  for (std::size_t i = 0; i + phrase.size() <= words.size(); ++i)
    best = std::max(best, phrase_score_at(words, i, phrase, fuzzy));
  return best;
}

const std::vector<std::string>& yes_phrases() {
  static const std::vector<std::string> list = {
      "yes",        "yeah",      "yep",         "yup",         "sure",         "correct",     "right",
      "thats right", "ok",       "okay",        "please do",   "go ahead",     "absolutely",  "definitely",
      "sounds good", "perfect",  "affirmative", "alright",     "that works",   "of course",   "yes please"};
  return list;
}

const std::vector<std::string>& no_phrases() {
  static const std::vector<std::string> list = {"no",    "nope",      "nah",      "not really", "dont",
                                                "wrong", "incorrect", "negative", "no thanks",  "not quite",
                                                "not right", "thats wrong", "cancel"};
  return list;
}

// ------------------------------------------------------------------ dates

int weekday_of(const CivilDate& d) {
  // days_from_civil (Howard Hinnant), 1970-01-01 was a Thursday (index 3).
  const int y = d.year - (d.month <= 2 ? 1 : 0);
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (d.month + (d.month > 2 ? -3 : 9)) + 2) / 5 + d.day - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const long days = static_cast<long>(era) * 146097 + doe - 719468;
  return static_cast<int>(((days % 7) + 7 + 3) % 7);
}

CivilDate add_days(const CivilDate& d, int days) {
  const std::chrono::sys_days sd =
      std::chrono::sys_days(std::chrono::year(d.year) / std::chrono::month(static_cast<unsigned>(d.month)) /
                            std::chrono::day(static_cast<unsigned>(d.day))) +
      std::chrono::days(days);
  const std::chrono::year_month_day ymd(sd);
  return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

std::string to_iso(const CivilDate& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
  return buf;
}

std::optional<CivilDate> parse_iso_date(std::string_view s) {
  int y = 0, m = 0, d = 0;
  if (s.size() != 10 || std::sscanf(std::string(s).c_str(), "%4d-%2d-%2d", &y, &m, &d) != 3) return std::nullopt;
  const std::chrono::year_month_day ymd(std::chrono::year(y), std::chrono::month(static_cast<unsigned>(m)),
                                        std::chrono::day(static_cast<unsigned>(d)));
  if (!ymd.ok()) return std::nullopt;
  return CivilDate{y, m, d};
}

CivilDate today_utc() {
  const auto now = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const std::chrono::year_month_day ymd(now);
  return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

std::optional<SlotValue> parse_date(const std::vector<std::string>& w, const CivilDate& today) {
  auto relative = [&](int days, std::string display) {
    return SlotValue{std::move(display), Json(to_iso(add_days(today, days)))};
  };
  for (std::size_t i = 0; i < w.size(); ++i) {
    const std::string_view t = w[i];
    if (t == "day" && at(w, i + 1) == "after" && at(w, i + 2) == "tomorrow") return relative(2, "the day after tomorrow");
    if (t == "tomorrow" || words_match(t, "tomorrow", true) || (t == "to" && at(w, i + 1) == "morrow"))
      return relative(1, "tomorrow");
    if (t == "today" || t == "tonight") return relative(0, std::string(t));
    std::string_view day_word = t;
    if (day_word.size() > 6 && day_word.back() == 's') day_word.remove_suffix(1);  // "mondays"
    if (int wd = index_of(kWeekdays, day_word); wd >= 0) {
      int ahead = (wd - weekday_of(today) + 7) % 7;
      if (ahead == 0) ahead = 7;
      // "next Friday" is read as the coming Friday, as most callers mean it.
      return SlotValue{std::string(kWeekdayNames[static_cast<std::size_t>(wd)]), Json(to_iso(add_days(today, ahead)))};
    }
    // "march 15th", "march the fifteenth", "the 15th of march", "15 march"
    auto month_date = [&](int month, long day) -> std::optional<SlotValue> {
      if (day < 1 || day > 31) return std::nullopt;
      const std::chrono::year_month_day ymd(std::chrono::year(today.year),
                                            std::chrono::month(static_cast<unsigned>(month)),
                                            std::chrono::day(static_cast<unsigned>(day)));
      if (!ymd.ok()) return std::nullopt;
      CivilDate d{today.year, month, static_cast<int>(day)};
      if (std::chrono::sys_days(ymd) < std::chrono::sys_days(std::chrono::year(today.year) /
                                                             std::chrono::month(static_cast<unsigned>(today.month)) /
                                                             std::chrono::day(static_cast<unsigned>(today.day))))
        d.year += 1;
      return SlotValue{std::string(kMonthNames[static_cast<std::size_t>(month - 1)]) + " " + std::to_string(day),
                       Json(to_iso(d))};
    };
    if (int m = index_of(kMonths, t); m >= 0) {
      std::size_t j = i + 1;
      if (at(w, j) == "the") ++j;
      std::size_t used = 0;
      if (auto n = number_at(w, j, used, /*ordinal_ok=*/true)) {
        if (auto v = month_date(m + 1, *n)) return v;
      }
    }
    std::size_t used = 0;
    bool ordinal = false;
    if (auto n = number_at(w, i, used, /*ordinal_ok=*/true, &ordinal)) {
      std::size_t j = i + used;
      if (at(w, j) == "of") ++j;
      if (int m = index_of(kMonths, at(w, j)); m >= 0 && m != 4 /* "may" is too common */ ) {
        if (auto v = month_date(m + 1, *n)) return v;
      } else if (m == 4 && ordinal) {
        if (auto v = month_date(5, *n)) return v;
      }
    }
  }
  return std::nullopt;
}

// ------------------------------------------------------------------ times

std::optional<SlotValue> parse_time(const std::vector<std::string>& w, bool lenient) {
  auto make = [](int hour24, int minute) {
    char value[8];
    std::snprintf(value, sizeof value, "%02d:%02d", hour24, minute);
    const int h12 = hour24 % 12 == 0 ? 12 : hour24 % 12;
    const char* suffix = hour24 < 12 ? "AM" : "PM";
    char display[16];
    if (minute == 0) {
      std::snprintf(display, sizeof display, "%d %s", h12, suffix);
    } else {
      std::snprintf(display, sizeof display, "%d:%02d %s", h12, minute, suffix);
    }
    return SlotValue{display, Json(std::string(value))};
  };
  // The part of day after position j: +1 am, +2 pm, 0 none; `used` words.
  auto meridiem = [&](std::size_t j, std::size_t& used) {
    used = 0;
    const std::string_view t = at(w, j);
    if (t == "am") return used = 1, 1;
    if (t == "pm") return used = 1, 2;
    if (t == "in" && at(w, j + 1) == "the") {
      const std::string_view p = at(w, j + 2);
      if (p == "morning") return used = 3, 1;
      if (p == "afternoon" || p == "evening") return used = 3, 2;
    }
    if (t == "tonight") return used = 1, 2;
    return 0;
  };
  auto to24 = [](int hour, int mer) {
    if (mer == 1) return hour == 12 ? 0 : hour;
    if (mer == 2) return hour == 12 ? 12 : hour + 12;
    // No am/pm: business hours (7-11 in the morning, 12-6 in the afternoon).
    if (hour >= 1 && hour <= 6) return hour + 12;
    return hour;
  };
  for (std::size_t i = 0; i < w.size(); ++i) {
    const std::string_view t = w[i];
    const bool cue = i > 0 && one_of(w[i - 1], {"at", "around", "by", "about", "before", "after", "until", "for"});
    if (t == "noon" || t == "midday") return make(12, 0);
    if (t == "midnight") return make(0, 0);
    if ((t == "half" || t == "quarter") && one_of(at(w, i + 1), {"past", "after", "to", "til", "till"})) {
      std::size_t used = 0;
      auto h = number_at(w, i + 2, used);
      if (h && *h >= 1 && *h <= 12) {
        std::size_t mu = 0;
        const int mer = meridiem(i + 2 + used, mu);
        int hour = static_cast<int>(*h);
        int minute = t == "half" ? 30 : 15;
        if (one_of(w[i + 1], {"to", "til", "till"})) {
          minute = 60 - minute;
          hour = hour == 1 ? 12 : hour - 1;
        }
        return make(to24(hour, mer), minute);
      }
    }
    if (auto colon = t.find(':'); colon != std::string_view::npos) {
      const int hour = std::stoi(std::string(t.substr(0, colon)));
      const int minute = std::stoi(std::string(t.substr(colon + 1)));
      if (hour <= 23 && minute <= 59 && t.size() - colon == 3) {
        std::size_t mu = 0;
        const int mer = meridiem(i + 1, mu);
        return make(hour > 12 ? hour : to24(hour, mer), minute);
      }
      continue;
    }
    std::size_t used = 0;
    const std::string_view next = at(w, i + 1);
    // The hour is one word ("ten", "3"), so "twenty five" is never 8:25 pm.
    auto h = number_at(w, i, used);
    if (!h || used != 1 || *h < 1 || *h > 12) continue;
    std::size_t j = i + 1;
    int minute = 0;
    bool has_minutes = false;
    bool oclock = false;
    if (next == "oclock") {
      oclock = true;
      ++j;
    } else if (std::size_t mu = 0; auto m = minutes_at(w, j, mu)) {
      minute = *m;
      has_minutes = true;
      j += mu;
    }
    std::size_t mer_used = 0;
    const int mer = meridiem(j, mer_used);
    if (!(lenient || cue || oclock || has_minutes || mer != 0)) continue;
    return make(to24(static_cast<int>(*h), mer), minute);
  }
  return std::nullopt;
}

// ------------------------------------------------------------------ numbers, phones, names, yes/no

std::optional<SlotValue> parse_number(const std::vector<std::string>& w) {
  for (std::size_t i = 0; i < w.size(); ++i) {
    std::size_t used = 0;
    auto n = number_at(w, i, used);
    // "December 20", "20 of December": a date, not a count.
    const bool date_part = (i > 0 && index_of(kMonths, w[i - 1]) >= 0) || index_of(kMonths, at(w, i + used)) >= 0 ||
                           (at(w, i + used) == "of" && index_of(kMonths, at(w, i + used + 1)) >= 0);
    if (n && !date_part) return SlotValue{std::to_string(*n), Json(static_cast<std::int64_t>(*n))};
    if (n) i += used - 1;
    if (w[i] == "a" && at(w, i + 1) == "couple") return SlotValue{"2", Json(2)};
  }
  return std::nullopt;
}

std::optional<SlotValue> parse_phone(const std::vector<std::string>& w) {
  std::string best, cur;
  auto close = [&] {
    if (cur.size() > best.size()) best = cur;
    cur.clear();
  };
  for (std::size_t i = 0; i < w.size(); ++i) {
    const std::string_view t = w[i];
    if (all_digits(t)) {
      cur += t;
    } else if (t == "oh" || t == "o") {
      cur += '0';
    } else if (int u = index_of(kUnits, t); u >= 0 && u <= 9) {
      cur += static_cast<char>('0' + u);
    } else if ((t == "double" || t == "triple") && i + 1 < w.size()) {
      const int u2 = index_of(kUnits, w[i + 1]);
      if (u2 < 0 || u2 > 9) {
        close();
        continue;
      }
      cur.append(t == "double" ? 2 : 3, static_cast<char>('0' + u2));
      ++i;
    } else {
      close();
    }
  }
  close();
  if (best.size() < 7 || best.size() > 15) return std::nullopt;
  std::string display;
  for (char c : best) display += std::string(display.empty() ? "" : " ") + c;
  return SlotValue{display, Json(best)};
}

std::optional<SlotValue> parse_name(const std::vector<std::string>& w, bool lenient) {
  static const std::vector<std::vector<std::string>> cues = normalized(
      {"my name is", "name is", "this is", "i am", "im", "call me", "its", "under", "the name"});
  auto is_stop = [](std::string_view x) {
    return one_of(x, {"a", "an", "the", "and", "calling", "here", "speaking", "i", "to", "like", "would", "want",
                      "please", "uh", "um", "er", "yes", "yeah", "sure", "ok", "okay", "well", "so", "just", "is",
                      "my", "name", "its", "it", "was", "for", "from", "of", "hi", "hello", "going", "looking",
                      "trying", "not", "sorry", "thanks", "thank", "you", "that", "this", "on", "in", "at", "with",
                      "me", "be", "no", "very", "really", "good", "fine", "great", "booked", "called", "around",
                      "about", "arrive", "arriving", "will", "ill", "probably", "maybe", "late", "night", "morning",
                      "evening", "afternoon", "tomorrow", "today", "tonight", "am", "pm", "oclock", "noon",
                      "midnight", "reservation", "booking", "appointment", "room", "by", "under", "after"}) ||
           all_digits(x) || index_of(kUnits, x) >= 0 || index_of(kTens, x) >= 0 || index_of(kMonths, x) >= 0 ||
           index_of(kWeekdays, x) >= 0;
  };
  auto take = [&](std::size_t from) -> std::optional<SlotValue> {
    std::vector<std::string> parts;
    for (std::size_t j = from; j < w.size() && parts.size() < 2; ++j) {
      if (is_stop(w[j])) break;
      parts.push_back(capitalize(w[j]));
    }
    if (parts.empty()) return std::nullopt;
    std::string name = parts[0];
    if (parts.size() > 1) name += " " + parts[1];
    return SlotValue{name, Json(name)};
  };
  for (const auto& cue : cues) {
    for (std::size_t i = 0; i + cue.size() <= w.size(); ++i) {
      if (std::equal(cue.begin(), cue.end(), w.begin() + static_cast<std::ptrdiff_t>(i))) {
        if (auto v = take(i + cue.size())) return v;
      }
    }
  }
  if (!lenient) return std::nullopt;
  // No cue: the first run of ordinary words in a short answer ("Peter Jones",
  // "uh, Maria, around two").
  if (w.size() > 6) return std::nullopt;
  std::size_t i = 0;
  while (i < w.size() && is_stop(w[i])) ++i;
  return take(i);
}

std::optional<SlotValue> parse_yes_no(const std::vector<std::string>& w) {
  static const auto yes = normalized(yes_phrases());
  static const auto no = normalized(no_phrases());
  std::size_t y = first_position(w, yes);
  const std::size_t n = first_position(w, no);
  // "not right", "not correct": a negated yes.
  if (y != std::string::npos && y > 0 && w[y - 1] == "not") y = std::string::npos;
  if (y == std::string::npos && n == std::string::npos) {
    for (std::size_t i = 0; i + 1 < w.size(); ++i)
      if (w[i] == "not") return SlotValue{"no", Json(false)};
    return std::nullopt;
  }
  if (n < y) return SlotValue{"no", Json(false)};
  return SlotValue{"yes", Json(true)};
}

std::optional<SlotValue> parse_choice(const std::vector<std::string>& w, const std::vector<ChoiceOption>& options,
                                      bool fuzzy) {
  double best = 0;
  const ChoiceOption* pick = nullptr;
  for (const auto& o : options) {
    for (const auto& p : o.phrases) {
      const double s = phrase_score(w, p, fuzzy);
      if (s > best) {
        best = s;
        pick = &o;
      }
    }
  }
  if (!pick) return std::nullopt;
  return SlotValue{pick->value, Json(pick->value)};
}

}  // namespace loqui::detail
