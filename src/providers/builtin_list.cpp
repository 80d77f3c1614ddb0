// SPDX-License-Identifier: Apache-2.0
// File: the list of built-in providers. One line per adapter; guarded by the
// LOQUI_HAS_<X> feature macros for optional ones.
#include "loqui/features.hpp"
#include "loqui/provider/mock.hpp"
#include "providers/builtin.hpp"
#include "providers/flow/flow_llm.hpp"
#include "providers/router/router_llm.hpp"
#if LOQUI_HAS_ESPEAK
#include "providers/espeak/espeak_tts.hpp"
#endif
#if LOQUI_HAS_CURL
#include "providers/openai/openai.hpp"
#endif
#if LOQUI_HAS_POCKETSPHINX
#include "providers/pocketsphinx/pocketsphinx_stt.hpp"
#endif
#include "providers/cartesia/cartesia.hpp"
#include "providers/deepgram/deepgram.hpp"
#include "providers/elevenlabs/elevenlabs.hpp"

namespace loqui::detail {

void register_all_builtin(Registry& registry) {
  // Adapters add their register_<vendor>(registry) calls here, one line each.
  register_mock_providers(registry);
  register_flow(registry);
  register_router(registry);
#if LOQUI_HAS_ESPEAK
  register_espeak(registry);
#endif
#if LOQUI_HAS_CURL
  register_openai(registry);
#endif
#if LOQUI_HAS_POCKETSPHINX
  register_pocketsphinx(registry);
#endif
  register_deepgram(registry);
  register_cartesia(registry);
  register_elevenlabs(registry);
}

}  // namespace loqui::detail
