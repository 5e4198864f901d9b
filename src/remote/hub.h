// Remote models: `--model hf:ORG/NAME[@REV]` (config.json plus the safetensors headers, or a GGUF
// header, from the Hugging Face hub) and `--model https://HOST/PATH/file.gguf` (the GGUF header
// alone, by HTTP range requests). Only headers travel: a 140 GB checkpoint costs a few MiB.
//
//   hf:ORG/NAME[@REV]               config.json, model.safetensors.index.json + each shard's header
//   hf:ORG/NAME[@REV]/FILE.gguf     that GGUF's header (every split of a split GGUF)
//   hf:ORG/NAME[@REV]:TAG           the repository's GGUF whose name holds TAG (Q4_K_M, ...)
//
// What is read is cached under the user's cache folder (TOKCAST_CACHE_DIR, else
// $XDG_CACHE_HOME/tokcast, else ~/.cache/tokcast), and a model already in the huggingface_hub
// cache (HF_HUB_CACHE / HF_HOME) is read from there. HF_ENDPOINT names another hub (a mirror, or
// a local server in the tests), HF_TOKEN (or the token file `huggingface-cli login` writes) opens
// gated repositories, and HF_HUB_OFFLINE=1 reads the caches only.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "catalog/model_source.h"

namespace tokcast::remote {

struct HubSettings {
  std::string endpoint = "https://huggingface.co";
  std::optional<std::string> token;
  bool offline = false;
  std::filesystem::path cache_dir;                // tokcast's own cache (…/tokcast/remote)
  std::optional<std::filesystem::path> hf_cache;  // huggingface_hub's, read only

  // From HF_ENDPOINT, HF_TOKEN / HUGGING_FACE_HUB_TOKEN / HF_TOKEN_PATH / $HF_HOME/token,
  // HF_HUB_OFFLINE, TOKCAST_CACHE_DIR / XDG_CACHE_HOME / HOME, HF_HUB_CACHE / HF_HOME.
  static HubSettings FromEnvironment();
};

// True for the arguments this module resolves: "hf:…", "http://…", "https://…".
bool IsRemoteModel(std::string_view arg);

// Resolves a remote model argument. Throws catalog::InputError with one line naming the
// repository or URL and what went wrong (no such repository, gated, not in the cache, cut short).
catalog::ResolvedModel ResolveRemoteModel(const std::string& arg, const HubSettings& settings);

}  // namespace tokcast::remote
