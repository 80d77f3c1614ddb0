// SPDX-License-Identifier: Apache-2.0
// File: option parsing, help and dispatch for the `loqui` command.
#include "cli.hpp"

#include <filesystem>
#include <fstream>

#include <charconv>
#include <cstring>

#include "loqui/log.hpp"
#include "loqui/version.hpp"

namespace loqui::cli {

std::optional<std::string> Args::get(std::string_view name) const {
  auto it = values_.find(std::string(name));
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string Args::get_or(std::string_view name, std::string_view fallback) const {
  auto v = get(name);
  return v ? *v : std::string(fallback);
}

std::vector<std::string> Args::get_all(std::string_view name) const {
  auto it = values_.find(std::string(name));
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

Result<double> Args::get_number(std::string_view name, double fallback) const {
  auto v = get(name);
  if (!v) return fallback;
  char* end = nullptr;
  const double d = std::strtod(v->c_str(), &end);
  if (v->empty() || end != v->c_str() + v->size())
    return Error(errc::invalid_argument, "--" + std::string(name) + ": expected a number, found '" + *v + "'");
  return d;
}

Result<long long> Args::get_int(std::string_view name, long long fallback) const {
  auto v = get(name);
  if (!v) return fallback;
  long long out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size())
    return Error(errc::invalid_argument, "--" + std::string(name) + ": expected an integer, found '" + *v + "'");
  return out;
}

int fail(const Command& command, const Error& error) { return fail(command, error.to_string()); }

int fail(const Command& command, std::string_view message) {
  std::fprintf(stderr, "loqui %.*s: %.*s\n", static_cast<int>(command.name.size()), command.name.data(),
               static_cast<int>(message.size()), message.data());
  return kExitFailure;
}

int usage_error(const Command& command, std::string_view message) {
  std::fprintf(stderr, "loqui %.*s: %.*s (see 'loqui %.*s --help')\n", static_cast<int>(command.name.size()),
               command.name.data(), static_cast<int>(message.size()), message.data(),
               static_cast<int>(command.name.size()), command.name.data());
  return kExitUsage;
}

void print_command_help(const Command& c, std::FILE* out) {
  std::fprintf(out, "usage: loqui %.*s %.*s\n\n%.*s\n", static_cast<int>(c.name.size()), c.name.data(),
               static_cast<int>(c.synopsis.size()), c.synopsis.data(), static_cast<int>(c.summary.size()),
               c.summary.data());
  if (!c.details.empty()) std::fprintf(out, "\n%.*s\n", static_cast<int>(c.details.size()), c.details.data());
  std::fprintf(out, "\noptions:\n");
  auto line = [&](std::string left, std::string_view help) {
    if (left.size() < 26) left.resize(26, ' ');
    else left += "  ";
    std::fprintf(out, "  %s%.*s\n", left.c_str(), static_cast<int>(help.size()), help.data());
  };
  for (const auto& o : c.options) {
    std::string left = "--" + std::string(o.name);
    if (!o.value_name.empty()) left += " " + std::string(o.value_name);
    line(left, o.help);
  }
  line("--log-level LEVEL", "trace, debug, info, warn (default), error, off");
  line("-h, --help", "show this help");
}

struct Parser {
  static int parse(const Command& c, int argc, char** argv, Args& args) {
    bool options_done = false;
    for (int i = 0; i < argc; ++i) {
      std::string_view a = argv[i];
      if (options_done || a.size() < 2 || a[0] != '-' || a == "-") {
        args.positional_.emplace_back(a);
        continue;
      }
      if (a == "--") {
        options_done = true;
        continue;
      }
      if (a == "-h" || a == "--help") {
        print_command_help(c, stdout);
        return -1;
      }
      if (a.substr(0, 2) != "--") return usage_error(c, "unknown option " + std::string(a));
      std::string name(a.substr(2));
      std::optional<std::string> inline_value;
      if (auto eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name.resize(eq);
      }
      if (name == "log-level") {
        std::string v;
        if (inline_value) v = *inline_value;
        else if (i + 1 < argc) v = argv[++i];
        LogLevel level;
        if (!parse_log_level(v, level)) return usage_error(c, "--log-level: unknown level '" + v + "'");
        set_log_level(level);
        continue;
      }
      const OptionSpec* spec = nullptr;
      for (const auto& o : c.options)
        if (o.name == name) spec = &o;
      if (!spec) return usage_error(c, "unknown option --" + name);
      std::string value;
      if (spec->value_name.empty()) {
        if (inline_value) return usage_error(c, "--" + name + " takes no value");
        value = "true";
      } else if (inline_value) {
        value = *inline_value;
      } else {
        if (i + 1 >= argc) return usage_error(c, "--" + name + " needs a value (" + std::string(spec->value_name) + ")");
        value = argv[++i];
      }
      auto& slot = args.values_[name];
      if (!slot.empty() && !spec->repeatable) return usage_error(c, "--" + name + " given more than once");
      slot.push_back(std::move(value));
    }
    const int n = static_cast<int>(args.positional_.size());
    if (n < c.min_positional) return usage_error(c, "missing argument: " + std::string(c.synopsis));
    if (c.max_positional >= 0 && n > c.max_positional)
      return usage_error(c, "unexpected argument '" + args.positional_[static_cast<std::size_t>(c.max_positional)] + "'");
    return 0;
  }
};

namespace {
void print_main_help(std::FILE* out) {
  std::fprintf(out,
               "loqui %s - real-time voice agents: simulate, inspect and tune calls\n\n"
               "usage: loqui <command> [options]\n\ncommands:\n",
               loqui::version());
  for (const auto& c : commands()) {
    std::string name(c.name);
    name.resize(12, ' ');
    std::fprintf(out, "  %s%.*s\n", name.c_str(), static_cast<int>(c.summary.size()), c.summary.data());
  }
  std::fprintf(out,
               "\n'loqui <command> --help' describes a command. Exit status: 0 ok, 1 failure, 2 usage error.\n");
}
}  // namespace

int main(int argc, char** argv) {
  set_log_level(LogLevel::warn);
  if (argc < 2) {
    print_main_help(stderr);
    return kExitUsage;
  }
  const std::string_view cmd = argv[1];
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    if (argc >= 3) {
      for (const auto& c : commands())
        if (c.name == argv[2]) {
          print_command_help(c, stdout);
          return kExitOk;
        }
      std::fprintf(stderr, "loqui help: unknown command '%s'\n", argv[2]);
      return kExitUsage;
    }
    print_main_help(stdout);
    return kExitOk;
  }
  if (cmd == "--version" || cmd == "version") {
    std::printf("loqui %s\n", loqui::version());
    return kExitOk;
  }
  for (const auto& c : commands()) {
    if (c.name != cmd) continue;
    Args args;
    const int rc = Parser::parse(c, argc - 2, argv + 2, args);
    if (rc < 0) return kExitOk;  // --help
    if (rc != 0) return rc;
    return c.run(c, args);
  }
  std::fprintf(stderr, "loqui: unknown command '%.*s' (see 'loqui help')\n", static_cast<int>(cmd.size()), cmd.data());
  return kExitUsage;
}

Status write_text_file(const std::string& path, std::string_view text) {
  const std::string tmp = path + ".tmp";
  std::error_code ec;
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return Error(errc::io_error, path + ": cannot open for writing");
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
    f.flush();
    if (!f) {
      f.close();
      std::filesystem::remove(tmp, ec);
      return Error(errc::io_error, path + ": write failed");
    }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return Error(errc::io_error, path + ": " + ec.message());
  }
  return ok_status();
}

}  // namespace loqui::cli
