// Components in the CLI: `ember inspect` prints a component's index spaces
// and its imports and exports with their sorts and types; `ember validate`
// checks one; `ember run` refuses one with a clear message (components
// cannot be instantiated yet). Decoding and validation are src/component's.
#include <cstdio>

#include "cli.hh"
#include "compile/compile.hh"
#include "component/decoder.hh"
#include "component/validate.hh"
#include "runtime/store_data.hh"

namespace ember::cli {
namespace {

// Decodes and validates; nested core modules are compiled, so that their
// function bodies are validated too.
Expected<comp::ComponentSummary> check(const std::vector<uint8_t>& bytes,
                                       const FeatureSet& features) {
  auto c = comp::decode_component(bytes, features);
  if (!c) return c.take_error();
  rt::EngineData engine;
  engine.config.features = features;
  return comp::validate_component(**c, features,
                                  [&](ModuleData& m) { return compile_module(m, engine); });
}

}  // namespace

bool is_component_file(const std::vector<uint8_t>& bytes) {
  return comp::is_component(bytes);
}

std::string component_problem(const std::vector<uint8_t>& bytes, const FeatureSet& features) {
  auto s = check(bytes, features);
  return s ? "" : s.error().describe();
}

int refuse_component_run(const std::string& file) {
  return report("failed to run main module `" + file + "`",
                {"`" + file +
                 "` is a WebAssembly component: components cannot be run yet (`ember inspect` "
                 "shows its imports and exports)"},
                kExitError);
}

int inspect_component(const std::string& file, const std::vector<uint8_t>& bytes) {
  auto s = check(bytes, FeatureSet::all());
  if (!s) {
    std::fprintf(stderr, "ember inspect: %s: %s\n", file.c_str(), s.error().describe().c_str());
    return 1;
  }
  using comp::Sort;
  std::printf("%s: %zu bytes, component\n", file.c_str(), bytes.size());
  std::printf(
      "counts: %u core modules, %u core instances, %u core functions, %u functions, %u types, "
      "%u components, %u instances\n",
      s->count(Sort::CoreModule), s->count(Sort::CoreInstance), s->count(Sort::CoreFunc),
      s->count(Sort::Func), s->count(Sort::Type), s->count(Sort::Component),
      s->count(Sort::Instance));
  std::printf("imports:\n");
  for (const comp::ExternSummary& i : s->imports)
    std::printf("  %s: %s\n", i.name.c_str(), i.type.c_str());
  std::printf("exports:\n");
  for (const comp::ExternSummary& e : s->exports)
    std::printf("  %s: %s\n", e.name.c_str(), e.type.c_str());
  return 0;
}

}  // namespace ember::cli
