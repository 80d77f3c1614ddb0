// SPDX-License-Identifier: Apache-2.0
// File: the provider Registry and the plugin loader.
#include "loqui/provider/registry.hpp"

#include <dlfcn.h>

#include <cstring>
#include <mutex>

#include "common/log.hpp"
#include "loqui/config.hpp"
#include "loqui/provider/fallback.hpp"
#include "loqui/provider/plugin.hpp"

namespace loqui {

struct Registry::Impl {
  struct Entry {
    std::string description;
    std::string origin;
    SttFactory stt;
    LlmFactory llm;
    TtsFactory tts;
    std::optional<SttCapabilities> stt_caps;
    std::optional<LlmCapabilities> llm_caps;
    std::optional<TtsCapabilities> tts_caps;
  };
  std::map<std::string, Entry, std::less<>> by_kind[3];
  std::string origin = "code";
  mutable std::mutex mu;

  template <class F, class Member, class Caps, class CapsMember>
  Status add(ProviderKind kind, std::string name, std::string description, F factory, Member member, Caps caps,
             CapsMember caps_member) {
    if (name.empty()) return Error(errc::invalid_argument, "registry: provider name is empty");
    if (!factory) return Error(errc::invalid_argument, "registry: provider '" + name + "' has no factory");
    std::lock_guard lock(mu);
    auto& map = by_kind[static_cast<int>(kind)];
    if (map.count(name)) {
      return Error(errc::already_exists, "registry: " + std::string(to_string(kind)) + " provider '" + name +
                                             "' is already registered (by " + map[name].origin + ")");
    }
    Entry e;
    e.description = std::move(description);
    e.origin = origin;
    e.*member = std::move(factory);
    e.*caps_member = std::move(caps);
    map.emplace(std::move(name), std::move(e));
    return ok_status();
  }

  Result<const Entry*> find(ProviderKind kind, const Json& config, std::string_view path, std::string& name) const {
    if (!config.is_object()) {
      return Error(errc::invalid_config, std::string(path) + ": expected an object with a \"provider\" key, found " +
                                             config.describe());
    }
    const Json* p = config.find("provider");
    if (!p || !p->is_string() || p->as_string().empty()) {
      return Error(errc::invalid_config, std::string(path) + ".provider: expected a provider name, found " +
                                             (p ? p->describe() : std::string("nothing")));
    }
    name = p->as_string();
    std::lock_guard lock(mu);
    const auto& map = by_kind[static_cast<int>(kind)];
    auto it = map.find(name);
    if (it == map.end()) {
      std::string known;
      for (const auto& [k, v] : map) known += (known.empty() ? "" : ", ") + k;
      return Error(errc::not_found, std::string(path) + ".provider: unknown " + std::string(to_string(kind)) +
                                        " provider '" + name + "' (registered: " +
                                        (known.empty() ? std::string("none") : known) + ")");
    }
    return &it->second;
  }
};

Registry::Registry() : impl_(std::make_unique<Impl>()) {}
Registry::~Registry() = default;

Status Registry::add_stt(std::string name, std::string description, SttFactory factory,
                         std::optional<SttCapabilities> capabilities) {
  return impl_->add(ProviderKind::stt, std::move(name), std::move(description), std::move(factory), &Impl::Entry::stt,
                    std::move(capabilities), &Impl::Entry::stt_caps);
}
Status Registry::add_llm(std::string name, std::string description, LlmFactory factory,
                         std::optional<LlmCapabilities> capabilities) {
  return impl_->add(ProviderKind::llm, std::move(name), std::move(description), std::move(factory), &Impl::Entry::llm,
                    std::move(capabilities), &Impl::Entry::llm_caps);
}
Status Registry::add_tts(std::string name, std::string description, TtsFactory factory,
                         std::optional<TtsCapabilities> capabilities) {
  return impl_->add(ProviderKind::tts, std::move(name), std::move(description), std::move(factory), &Impl::Entry::tts,
                    std::move(capabilities), &Impl::Entry::tts_caps);
}

std::string RegistryEntry::capabilities_summary() const {
  switch (kind) {
    case ProviderKind::stt: return stt_capabilities ? to_string(*stt_capabilities) : std::string();
    case ProviderKind::llm: return llm_capabilities ? to_string(*llm_capabilities) : std::string();
    case ProviderKind::tts: return tts_capabilities ? to_string(*tts_capabilities) : std::string();
  }
  return {};
}

namespace {
template <class T, class Factory>
Result<std::shared_ptr<T>> call_factory(const Factory& f, const ProviderContext& ctx, const Json& config,
                                        std::string_view path, const std::string& name) {
  try {
    auto r = f(ctx, config, path);
    if (r && !*r) return Error(errc::internal, std::string(path) + ": provider '" + name + "' factory returned null");
    return r;
  } catch (const std::exception& e) {
    return Error(errc::provider_failed, std::string(path) + ": provider '" + name + "' factory threw: " + e.what());
  }
}
}  // namespace

// ---- routing: a "fallback" array and/or a "routing" object wrap the provider.

namespace {

bool wants_routing(const Json& config) {
  return config.is_object() && (config.contains("fallback") || config.contains("routing"));
}

// The config without the keys the Registry handles itself.
Json provider_part(const Json& config) {
  Json out = Json::object();
  for (const auto& m : config.as_object())
    if (m.key != "fallback" && m.key != "routing") out[m.key] = m.value;
  return out;
}

RouteOptions read_route(ProviderKind kind, const Json& entry, const std::string& path, bool primary,
                        ConfigErrors& errors) {
  RouteOptions o = default_route_options(kind);
  const Json* node = entry.find("routing");
  if (!node) return o;
  ConfigReader r(*node, path + ".routing", errors);
  auto ms = [&](std::string_view key, Duration fallback) {
    const double v = r.get_number(key, to_ms(fallback), {.min = 0, .max = 3'600'000});
    return Duration(static_cast<std::int64_t>(v * 1e6));
  };
  o.label = r.get_string("label", "");
  switch (kind) {
    case ProviderKind::llm:
      o.first_output_timeout = ms("first_token_timeout_ms", o.first_output_timeout);
      o.idle_timeout = ms("idle_timeout_ms", o.idle_timeout);
      break;
    case ProviderKind::tts:
      o.first_output_timeout = ms("first_audio_timeout_ms", o.first_output_timeout);
      o.idle_timeout = ms("idle_timeout_ms", o.idle_timeout);
      break;
    case ProviderKind::stt:
      o.first_output_timeout = ms("final_timeout_ms", o.first_output_timeout);
      if (primary) o.replay_limit = ms("replay_ms", o.replay_limit);
      break;
  }
  o.failure_threshold = static_cast<int>(r.get_int("failure_threshold", o.failure_threshold, {.min = 0, .max = 1000}));
  o.cooldown = ms("cooldown_ms", o.cooldown);
  (void)r.finish();
  return o;
}

// Builds every route of `config` with `make_one` and wraps them with `make_fallback`.
template <class P, class MakeOne, class MakeFallback>
Result<std::shared_ptr<P>> make_routed(ProviderKind kind, const Json& config, std::string_view path,
                                       MakeOne&& make_one, MakeFallback&& make_fallback) {
  const std::string base(path);
  ConfigErrors errors;
  std::vector<Route<P>> routes;
  std::vector<std::pair<Json, std::string>> entries;  // (provider config, its path)
  entries.emplace_back(config, base);
  if (const Json* list = config.find("fallback")) {
    if (!list->is_array() || list->size() == 0) {
      return Error(errc::invalid_config, base + ".fallback: expected a non-empty array of provider configs, found " +
                                             list->describe());
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      const Json& e = list->as_array()[i];
      const std::string ep = base + ".fallback[" + std::to_string(i) + "]";
      if (e.is_object() && e.contains("fallback")) {
        return Error(errc::invalid_config, ep + ".fallback: fallback entries cannot have their own fallback list");
      }
      entries.emplace_back(e, ep);
    }
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& [entry, ep] = entries[i];
    RouteOptions options;
    if (entry.is_object()) options = read_route(kind, entry, ep, i == 0, errors);
    LOQUI_TRY(errors.status());
    LOQUI_ASSIGN_OR_RETURN(auto provider, make_one(entry.is_object() ? provider_part(entry) : entry, ep));
    routes.push_back({std::move(provider), std::move(options)});
  }
  LOQUI_ASSIGN_OR_RETURN(auto fallback, make_fallback(std::move(routes)));
  return std::shared_ptr<P>(std::move(fallback));
}

}  // namespace

Result<std::shared_ptr<SpeechToText>> Registry::make_stt(const ProviderContext& ctx, const Json& config,
                                                         std::string_view path) const {
  auto one = [&](const Json& c, std::string_view p) -> Result<std::shared_ptr<SpeechToText>> {
    std::string name;
    LOQUI_ASSIGN_OR_RETURN(const Impl::Entry* e, impl_->find(ProviderKind::stt, c, p, name));
    return call_factory<SpeechToText>(e->stt, ctx, c, p, name);
  };
  if (!wants_routing(config)) return one(config, path);
  return make_routed<SpeechToText>(ProviderKind::stt, config, path, one,
                                   [](auto routes) { return SttFallback::create(std::move(routes)); });
}
Result<std::shared_ptr<LanguageModel>> Registry::make_llm(const ProviderContext& ctx, const Json& config,
                                                          std::string_view path) const {
  auto one = [&](const Json& c, std::string_view p) -> Result<std::shared_ptr<LanguageModel>> {
    std::string name;
    LOQUI_ASSIGN_OR_RETURN(const Impl::Entry* e, impl_->find(ProviderKind::llm, c, p, name));
    return call_factory<LanguageModel>(e->llm, ctx, c, p, name);
  };
  if (!wants_routing(config)) return one(config, path);
  return make_routed<LanguageModel>(ProviderKind::llm, config, path, one,
                                    [](auto routes) { return LlmFallback::create(std::move(routes)); });
}
Result<std::shared_ptr<TextToSpeech>> Registry::make_tts(const ProviderContext& ctx, const Json& config,
                                                         std::string_view path) const {
  auto one = [&](const Json& c, std::string_view p) -> Result<std::shared_ptr<TextToSpeech>> {
    std::string name;
    LOQUI_ASSIGN_OR_RETURN(const Impl::Entry* e, impl_->find(ProviderKind::tts, c, p, name));
    return call_factory<TextToSpeech>(e->tts, ctx, c, p, name);
  };
  if (!wants_routing(config)) return one(config, path);
  return make_routed<TextToSpeech>(ProviderKind::tts, config, path, one,
                                   [](auto routes) { return TtsFallback::create(std::move(routes)); });
}

bool Registry::contains(ProviderKind kind, std::string_view name) const {
  std::lock_guard lock(impl_->mu);
  const auto& map = impl_->by_kind[static_cast<int>(kind)];
  return map.find(name) != map.end();
}

std::vector<RegistryEntry> Registry::list() const {
  std::lock_guard lock(impl_->mu);
  std::vector<RegistryEntry> out;
  for (int k = 0; k < 3; ++k)
    for (const auto& [name, e] : impl_->by_kind[k])
      out.push_back({static_cast<ProviderKind>(k), name, e.description, e.origin, e.stt_caps, e.llm_caps, e.tts_caps});
  return out;
}

void Registry::set_origin(std::string origin) {
  std::lock_guard lock(impl_->mu);
  impl_->origin = std::move(origin);
}

Status Registry::load_plugin(const std::filesystem::path& library) {
  const std::string path = library.string();
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = ::dlerror();
    return Error(errc::io_error, "plugin " + path + ": cannot load: " + (why ? why : "unknown error"));
  }
  // Until the plugin has registered, nothing references its code: unload it again
  // on every refusal. After registration it is never unloaded (its factories and
  // providers live in it).
  auto refuse = [&](Error e) {
    ::dlclose(handle);
    return Status(std::move(e));
  };
  using EntryFn = const PluginDescriptor* (*)();
  void* sym = ::dlsym(handle, LOQUI_PLUGIN_ENTRY_SYMBOL);
  if (!sym) {
    return refuse(Error(errc::not_found, "plugin " + path + ": no entry point '" LOQUI_PLUGIN_ENTRY_SYMBOL
                                         "' (is it a loqui provider plugin?)"));
  }
  EntryFn entry = nullptr;
  static_assert(sizeof(entry) == sizeof(sym));
  std::memcpy(&entry, &sym, sizeof entry);
  const PluginDescriptor* d = nullptr;
  try {
    d = entry();
  } catch (...) {
    return refuse(Error(errc::provider_protocol, "plugin " + path + ": entry point threw"));
  }
  if (!d) return refuse(Error(errc::provider_protocol, "plugin " + path + ": entry point returned null"));
  // abi_version is the first member in every ABI version, so it is safe to read
  // before anything else; the rest of the descriptor is only read if it matches.
  if (d->abi_version != kPluginAbiVersion) {
    return refuse(Error(errc::not_supported, "plugin " + path + " was built for loqui plugin ABI " +
                                                 std::to_string(d->abi_version) + ", this loqui has ABI " +
                                                 std::to_string(kPluginAbiVersion) + "; rebuild it against this loqui"));
  }
  if (!d->register_into) return refuse(Error(errc::provider_protocol, "plugin " + path + ": no register function"));
  const std::string name = d->name ? d->name : "?";
  set_origin(path);
  Status s = ok_status();
  try {
    s = d->register_into(*this);
  } catch (const std::exception& e) {
    s = Error(errc::provider_failed, std::string("register function threw: ") + e.what());
  } catch (...) {
    s = Error(errc::provider_failed, "register function threw");
  }
  set_origin("code");
  if (!s) return std::move(s).error().add_context("plugin " + path + " ('" + name + "')");
  LOQUI_LOG_INFO("registry", "loaded plugin '{}' {} from {}", name, d->version ? d->version : "", path);
  return ok_status();
}

}  // namespace loqui
