// The web app's pages, scripts and styles (web/), compiled into the binary by
// cmake/EmbedData.cmake: nothing is read from disk or fetched at run time.
#pragma once

#include <string_view>
#include <vector>

namespace tokcast::web {

struct WebAsset {
  std::string_view path;  // relative to web/, e.g. "app.js"
  std::string_view content;
};

const std::vector<WebAsset>& WebAssets();

}  // namespace tokcast::web
