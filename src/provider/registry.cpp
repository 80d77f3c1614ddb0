// SPDX-License-Identifier: Apache-2.0
// File: the provider Registry and the plugin loader.
#include "loqui/provider/registry.hpp"

#include <dlfcn.h>

#include <cstring>
#include <mutex>

#include "common/log.hpp"
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

Result<std::shared_ptr<SpeechToText>> Registry::make_stt(const ProviderContext& ctx, const Json& config,
                                                         std::string_view path) const {
  std::string name;
  LOQUI_ASSIGN_OR_RETURN(const Impl::Entry* e, impl_->find(ProviderKind::stt, config, path, name));
  return call_factory<SpeechToText>(e->stt, ctx, config, path, name);
}
Result<std::shared_ptr<LanguageModel>> Registry::make_llm(const ProviderContext& ctx, const Json& config,
                                                          std::string_view path) const {
  std::string name;
  LOQUI_ASSIGN_OR_RETURN(const Impl::Entry* e, impl_->find(ProviderKind::llm, config, path, name));
  return call_factory<LanguageModel>(e->llm, ctx, config, path, name);
}
Result<std::shared_ptr<TextToSpeech>> Registry::make_tts(const ProviderContext& ctx, const Json& config,
                                                         std::string_view path) const {
  std::string name;
  LOQUI_ASSIGN_OR_RETURN(const Impl::Entry* e, impl_->find(ProviderKind::tts, config, path, name));
  return call_factory<TextToSpeech>(e->tts, ctx, config, path, name);
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
  // Plugins are never unloaded (their code may still be referenced by providers).
  using EntryFn = const PluginDescriptor* (*)();
  void* sym = ::dlsym(handle, LOQUI_PLUGIN_ENTRY_SYMBOL);
  if (!sym) {
    return Error(errc::not_found, "plugin " + path + ": no entry point '" LOQUI_PLUGIN_ENTRY_SYMBOL "'");
  }
  EntryFn entry = nullptr;
  static_assert(sizeof(entry) == sizeof(sym));
  std::memcpy(&entry, &sym, sizeof entry);
  const PluginDescriptor* d = entry();
  if (!d) return Error(errc::provider_protocol, "plugin " + path + ": entry point returned null");
  if (d->abi_version != kPluginAbiVersion) {
    return Error(errc::not_supported, "plugin " + path + " ('" + (d->name ? d->name : "?") + "') was built for ABI " +
                                          std::to_string(d->abi_version) + ", this loqui has ABI " +
                                          std::to_string(kPluginAbiVersion));
  }
  if (!d->register_into) return Error(errc::provider_protocol, "plugin " + path + ": no register function");
  set_origin(path);
  Status s = d->register_into(*this);
  set_origin("code");
  if (!s) return std::move(s).error().add_context("plugin " + path);
  LOQUI_LOG_INFO("registry", "loaded plugin '{}' {} from {}", d->name ? d->name : "?", d->version ? d->version : "",
                 path);
  return ok_status();
}

}  // namespace loqui
