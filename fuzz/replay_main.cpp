// Runs a fuzz target over files and folders of inputs, without libFuzzer: the seed corpora as
// regression tests in every build (GCC included), under ASan/UBSan in the sanitizer build.
//   <target>_replay [--expect-deepest] PATH...
// Exits 1 when an input throws anything but the expected error (the target lets it escape) or,
// with --expect-deepest, when no input got through every stage of the target.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_target.h"

int main(int argc, char** argv) {
  bool expect_deepest = false;
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--expect-deepest") {
      expect_deepest = true;
    } else if (std::filesystem::is_directory(arg)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(arg))
        if (e.is_regular_file()) files.push_back(e.path());
    } else {
      files.emplace_back(arg);
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::cerr << "replay: no inputs\n";
    return 2;
  }
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      std::cerr << "replay: cannot read " << f << "\n";
      return 2;
    }
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    } catch (const std::exception& e) {
      std::cerr << "replay: " << f.string() << ": escaped exception: " << e.what() << "\n";
      return 1;
    }
  }
  const size_t deepest = tokcast::fuzz::g_deepest.load();
  std::cout << files.size() << " inputs, " << deepest << " through every stage\n";
  if (expect_deepest && deepest == 0) {
    std::cerr << "replay: no input got through every stage of the target\n";
    return 1;
  }
  return 0;
}
