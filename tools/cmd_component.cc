// Components in the CLI: `ember inspect` prints a component's index spaces
// and its imports and exports with their sorts and types; `ember validate`
// checks one; `ember run` runs a `wasi:cli/command` with WASI 0.2.
// Decoding and validation are src/component's; running, src/canon's.
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

namespace {

// The name of the `wasi:cli/run@0.2.x` instance `c` exports, if any.
std::optional<std::string> run_export(const component::Component& c) {
  for (const component::ExternInfo& e : c.exports())
    if (e.sort == "instance" && e.name.starts_with("wasi:cli/run@0.2.")) return e.name;
  return std::nullopt;
}

}  // namespace

int run_component(const ComponentRun& r) {
  const std::string context = "failed to run main module `" + r.file + "`";
  std::string stage = "failed to compile `" + r.file + "`";
  try {
    Config config;
    config.features(r.features);
    if (r.fuel) config.consume_fuel(true);
    Engine engine(config);
    component::Component c = component::Component::from_binary(engine, r.bytes);
    std::optional<std::string> run = run_export(c);
    if (!run)
      return report(context,
                    {"`" + r.file +
                     "` is a component without a `wasi:cli/run@0.2.x` export: "
                     "only a command component can be run (`ember inspect` "
                     "shows its exports)"},
                    kExitError);
    Store store(engine);
    if (r.fuel) store.set_fuel(*r.fuel);
    set_wasi(store, r.wasi);
    component::Linker linker(engine);
    linker.add_wasip2();
    if (r.http) linker.add_wasi_http();
    stage = "failed to instantiate \"" + r.file + "\"";
    component::Instance inst = component::Instance::instantiate(store, c, linker);
    stage = "failed to invoke `run` function";
    std::vector<std::string> path{*run};
    std::optional<component::Func> f = inst.get_func(path, "run");
    if (!f) return report(context, {"`" + *run + "` has no function `run`"}, kExitError);
    std::optional<component::Value> result = f->call(store, {});
    std::fflush(stdout);
    return result && result->num != 0 ? kExitError : 0;
  } catch (const Trap& t) {
    return trap_status(context, stage, t);
  } catch (const std::exception& e) {
    return report(context, {stage, e.what()}, kExitError);
  }
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
