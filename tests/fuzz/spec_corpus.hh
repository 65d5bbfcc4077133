// The module corpus of the mutation tests: every module of every .wast
// script below a folder of the spec testsuite, as binary and (for text
// modules) as its WAT source, in a fixed order.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "text/wast.hh"

namespace ember::fuzz {

struct SpecCorpus {
  std::vector<std::vector<uint8_t>> binaries;
  std::vector<std::string> texts;
};

inline SpecCorpus load_spec_corpus(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.path().extension() == ".wast") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  SpecCorpus out;
  for (const auto& p : files) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    auto script = wast::parse_script(ss.str());
    if (!script) continue;
    for (const auto& c : script->commands) {
      if (c.kind != wast::CommandKind::Module) continue;
      if (c.module.kind == wast::ModuleSource::Text) out.texts.push_back(c.module.text);
      auto bin = c.module.to_binary();
      if (bin) out.binaries.push_back(std::move(*bin));
    }
  }
  return out;
}

}  // namespace ember::fuzz
