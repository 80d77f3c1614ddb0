// SPDX-License-Identifier: Apache-2.0
// File: the provider Registry (registration, lookup errors, capabilities,
// misbehaving factories) and the plugin loader (a real shared library built in
// tests/unit/provider: right ABI, older and newer ABI, no entry point, bad path).
#include <gtest/gtest.h>

#include "loqui/provider/plugin.hpp"
#include "loqui/provider/registry.hpp"
#include "support/recording_observers.hpp"
#include "support/virtual_session.hpp"

namespace loqui {
namespace {
using testing::LlmEvent;
using testing::RecordingLlmObserver;
using testing::user_says;
using testing::VirtualSession;

const RegistryEntry* find(const std::vector<RegistryEntry>& list, ProviderKind kind, std::string_view name) {
  for (const auto& e : list)
    if (e.kind == kind && e.name == name) return &e;
  return nullptr;
}

TEST(Registry, BuiltinsAreListedWithCapabilities) {
  Registry registry;
  register_builtin_providers(registry);
  const auto list = registry.list();
  for (ProviderKind kind : {ProviderKind::stt, ProviderKind::llm, ProviderKind::tts}) {
    const RegistryEntry* mock = find(list, kind, "mock");
    ASSERT_NE(mock, nullptr) << to_string(kind);
    EXPECT_EQ(mock->origin, "builtin");
    EXPECT_FALSE(mock->description.empty());
    EXPECT_FALSE(mock->capabilities_summary().empty());
    EXPECT_TRUE(registry.contains(kind, "mock"));
  }
  const RegistryEntry* stt = find(list, ProviderKind::stt, "mock");
  ASSERT_TRUE(stt->stt_capabilities.has_value());
  EXPECT_TRUE(stt->stt_capabilities->interim_results);
  EXPECT_NE(stt->capabilities_summary().find("interim"), std::string::npos);
  EXPECT_NE(stt->capabilities_summary().find("pcm16/mono 8000|16000"), std::string::npos)
      << stt->capabilities_summary();
  EXPECT_EQ(find(list, ProviderKind::llm, "mock")->capabilities_summary(), "tools, parallel tools, usage, 8192 tokens");
}

TEST(Registry, RegistrationErrors) {
  Registry registry;
  auto factory = [](const ProviderContext&, const Json&, std::string_view) -> Result<std::shared_ptr<LanguageModel>> {
    return Error(errc::not_supported, "never built");
  };
  ASSERT_TRUE(registry.add_llm("x", "first", factory).ok());
  Status dup = registry.add_llm("x", "second", factory);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code(), errc::already_exists);
  EXPECT_NE(dup.error().message().find("llm provider 'x' is already registered (by code)"), std::string::npos);
  EXPECT_TRUE(registry.add_stt("x", "same name, other kind",
                               [](const ProviderContext&, const Json&, std::string_view)
                                   -> Result<std::shared_ptr<SpeechToText>> { return Error(errc::internal, "-"); })
                  .ok());
  EXPECT_EQ(registry.add_llm("", "no name", factory).error().code(), errc::invalid_argument);
  EXPECT_EQ(registry.add_tts("t", "no factory", nullptr).error().code(), errc::invalid_argument);
}

TEST(Registry, UnknownProviderListsTheRegisteredNames) {
  Registry registry;
  register_builtin_providers(registry);
  ASSERT_TRUE(registry
                  .add_stt("acme", "test entry",
                           [](const ProviderContext&, const Json&, std::string_view)
                               -> Result<std::shared_ptr<SpeechToText>> { return Error(errc::internal, "-"); })
                  .ok());
  ProviderContext pc;
  auto r = registry.make_stt(pc, Json::parse(R"({"provider": "acmee"})").value());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), errc::not_found);
  std::string names;  // every registered STT name, in order (built-ins vary with the build)
  for (const auto& e : registry.list())
    if (e.kind == ProviderKind::stt) names += (names.empty() ? "" : ", ") + e.name;
  EXPECT_EQ(names.rfind("acme, ", 0), 0u) << names;  // sorted by name
  EXPECT_NE(names.find("mock"), std::string::npos) << names;
  EXPECT_EQ(r.error().message(), "stt.provider: unknown stt provider 'acmee' (registered: " + names + ")");
  auto missing = registry.make_tts(pc, Json::parse(R"({"voice": "x"})").value(), "agents[2].tts");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), errc::invalid_config);
  EXPECT_EQ(missing.error().message(), "agents[2].tts.provider: expected a provider name, found nothing");
  auto not_object = registry.make_llm(pc, Json("mock"));
  ASSERT_FALSE(not_object.ok());
  EXPECT_NE(not_object.error().message().find("llm: expected an object"), std::string::npos);
}

TEST(Registry, MisbehavingFactoriesBecomeErrors) {
  Registry registry;
  ASSERT_TRUE(registry
                  .add_llm("thrower", "throws",
                           [](const ProviderContext&, const Json&, std::string_view)
                               -> Result<std::shared_ptr<LanguageModel>> { throw std::runtime_error("boom"); })
                  .ok());
  ASSERT_TRUE(registry
                  .add_llm("null", "returns null",
                           [](const ProviderContext&, const Json&, std::string_view)
                               -> Result<std::shared_ptr<LanguageModel>> { return std::shared_ptr<LanguageModel>(); })
                  .ok());
  ProviderContext pc;
  auto thrown = registry.make_llm(pc, Json::parse(R"({"provider": "thrower"})").value());
  ASSERT_FALSE(thrown.ok());
  EXPECT_EQ(thrown.error().code(), errc::provider_failed);
  EXPECT_NE(thrown.error().message().find("factory threw: boom"), std::string::npos);
  auto null = registry.make_llm(pc, Json::parse(R"({"provider": "null"})").value());
  ASSERT_FALSE(null.ok());
  EXPECT_EQ(null.error().code(), errc::internal);
}

// ---------------------------------------------------------------- plugins

TEST(Plugin, LoadsRegistersAndRunsPluginCode) {
  Registry registry;
  ASSERT_TRUE(registry.load_plugin(LOQUI_TEST_PLUGIN).ok());
  const auto list = registry.list();
  const RegistryEntry* echo = find(list, ProviderKind::llm, "echo");
  ASSERT_NE(echo, nullptr);
  EXPECT_EQ(echo->origin, LOQUI_TEST_PLUGIN);
  EXPECT_EQ(echo->capabilities_summary(), "no tools, 64 tokens");

  VirtualSession s;
  ProviderContext pc{.runtime = s.rt.get()};
  auto llm = registry.make_llm(pc, Json::parse(R"({"provider": "echo", "greeting": "hi"})").value());
  ASSERT_TRUE(llm.ok()) << llm.error().to_string();
  EXPECT_EQ((*llm)->info().name, "echo");
  auto session = (*llm)->open(s.ctx).value();
  RecordingLlmObserver obs(s.strand);
  ASSERT_TRUE(session->generate(user_says("ping from the host"), obs).ok());
  EXPECT_TRUE(obs.events.empty());  // never inside generate()
  s.run_until_quiet();
  EXPECT_EQ(obs.text(), "ping from the host");
  EXPECT_EQ(obs.terminals(), 1);
  EXPECT_EQ(obs.violations(), 0);

  // The plugin validates its config like any provider.
  auto bad = registry.make_llm(pc, Json::parse(R"({"provider": "echo", "greting": "hi"})").value());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("llm.greting: unknown key"), std::string::npos);

  // Loading it again: its provider names are taken.
  Status again = registry.load_plugin(LOQUI_TEST_PLUGIN);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), errc::already_exists);
  EXPECT_NE(again.error().message().find("('test-echo')"), std::string::npos);
}

TEST(Plugin, RefusesOlderAndNewerAbiVersions) {
  Registry registry;
  for (const char* path : {LOQUI_TEST_PLUGIN_OLD_ABI, LOQUI_TEST_PLUGIN_NEW_ABI}) {
    Status s = registry.load_plugin(path);
    ASSERT_FALSE(s.ok()) << path;
    EXPECT_EQ(s.error().code(), errc::not_supported);
    EXPECT_NE(s.error().message().find("this loqui has ABI " + std::to_string(kPluginAbiVersion)), std::string::npos);
  }
  EXPECT_NE(registry.load_plugin(LOQUI_TEST_PLUGIN_OLD_ABI).error().message().find(
                "built for loqui plugin ABI " + std::to_string(kPluginAbiVersion - 1)),
            std::string::npos);
  EXPECT_NE(registry.load_plugin(LOQUI_TEST_PLUGIN_NEW_ABI).error().message().find(
                "built for loqui plugin ABI " + std::to_string(kPluginAbiVersion + 1)),
            std::string::npos);
  EXPECT_TRUE(registry.list().empty());  // nothing of them was registered
}

TEST(Plugin, MissingEntryPointAndBadPath) {
  Registry registry;
  Status no_entry = registry.load_plugin(LOQUI_TEST_PLUGIN_NO_ENTRY);
  ASSERT_FALSE(no_entry.ok());
  EXPECT_EQ(no_entry.error().code(), errc::not_found);
  EXPECT_NE(no_entry.error().message().find("no entry point 'loqui_plugin_descriptor'"), std::string::npos);

  Status bad_path = registry.load_plugin("/nonexistent/libnothing.so");
  ASSERT_FALSE(bad_path.ok());
  EXPECT_EQ(bad_path.error().code(), errc::io_error);
  EXPECT_NE(bad_path.error().message().find("plugin /nonexistent/libnothing.so: cannot load"), std::string::npos);

  // A file that is not a shared library at all.
  const char* source_dir = std::getenv("LOQUI_SOURCE_DIR");  // set by ctest
  ASSERT_NE(source_dir, nullptr);
  Status not_so = registry.load_plugin(std::string(source_dir) + "/CMakeLists.txt");
  ASSERT_FALSE(not_so.ok());
  EXPECT_EQ(not_so.error().code(), errc::io_error);
  EXPECT_TRUE(registry.list().empty());
}

}  // namespace
}  // namespace loqui
