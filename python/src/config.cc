// `_ember.ConfigHandle`: the native side of the Python `Config`.
//
// Place: python/ember/_config.py checks Python types (TypeError) and calls
// one of these setters by the Python setting's name; the setter calls the
// public ember::Config (include/ember/engine.hh), which holds every rule
// about a value. An `Engine(config)` then builds its engine from that Config
// (store.cc). This file only routes names to setters; the C++ exceptions
// become Python ones in the binding's translator (convert.cc):
//   std::invalid_argument  -> ValueError      (number out of range)
//   WasmError              -> WasmtimeError   (unknown name, foreign target,
//                                              unusable cache configuration)
#include <nanobind/stl/string.h>
#include <nanobind/stl/string_view.h>

#include <stdexcept>
#include <string_view>

#include "common.hh"
#include "ember/errors.hh"

namespace ember::py {

namespace {

template <class T>
struct Setter {
  std::string_view name;  // the Python setting
  Config& (Config::*set)(T);
};

constexpr Setter<bool> kBoolSetters[] = {
    {"wasm_relaxed_simd_deterministic", &Config::relaxed_simd_deterministic},
    {"consume_fuel", &Config::consume_fuel},
    {"epoch_interruption", &Config::epoch_interruption},
    {"signals_based_traps", &Config::signals_based_traps},
    {"parallel_compilation", &Config::parallel_compilation},
    {"debug_info", &Config::debug_info},
    {"cranelift_debug_verifier", &Config::cranelift_debug_verifier},
    {"cranelift_nan_canonicalization", &Config::nan_canonicalization},
    {"shared_memory", &Config::shared_memory},
};

constexpr Setter<uint64_t> kIntSetters[] = {
    {"max_wasm_stack", &Config::max_wasm_stack},
    {"tier_up_after", &Config::tier_up_after},
    {"memory_reservation", &Config::memory_reservation},
    {"memory_guard_size", &Config::memory_guard_size},
    {"memory_reservation_for_growth", &Config::memory_reservation_for_growth},
};

constexpr Setter<const std::string&> kStrSetters[] = {
    {"strategy", &Config::strategy},
    {"profiler", &Config::profiler},
    {"cranelift_opt_level", &Config::cranelift_opt_level},
    {"target", &Config::target},
};

template <class T, size_t N>
const Setter<T>& find(const Setter<T> (&table)[N], std::string_view name) {
  for (const Setter<T>& s : table)
    if (s.name == name) return s;
  raise(PyExc_AttributeError, "no such Config setting: " + std::string(name));
}

void set_bool(ConfigHandle& h, std::string_view name, bool on) {
  Feature f;
  if (name.substr(0, 5) == "wasm_" && feature_from_name(name.substr(5), &f)) {
    h.config.wasm_feature(f, on);
    return;
  }
  for (std::string_view compat : kCompatFlags)
    if (compat == name) {
      h.config.compat_flag(name, on);
      return;
    }
  const Setter<bool>& s = find(kBoolSetters, name);
  (h.config.*s.set)(on);
}

void set_int(ConfigHandle& h, std::string_view name, nb::handle value) {
  const Setter<uint64_t>& s = find(kIntSetters, name);
  uint64_t v = checked_u64(value, std::string(name).c_str());
  (h.config.*s.set)(v);
}

void set_str(ConfigHandle& h, std::string_view name, const std::string& value) {
  const Setter<const std::string&>& s = find(kStrSetters, name);
  (h.config.*s.set)(value);
}

// What the Python layer reads back from a consumed Config (SharedMemory
// asks for shared_memory); `fallback` for a setting it does not read.
nb::object get(const ConfigHandle& h, std::string_view name, nb::object fallback) {
  if (name == "shared_memory") return nb::bool_(h.config.shared_memory());
  for (std::string_view compat : kCompatFlags)
    if (compat == name) return nb::bool_(h.config.compat_flag(name));
  return fallback;
}

template <size_t N>
nb::list as_list(const std::array<std::string_view, N>& values) {
  nb::list l;
  for (std::string_view v : values) l.append(nb::str(v.data(), v.size()));
  return l;
}

}  // namespace

void bind_config(nb::module_& m) {
  nb::class_<ConfigHandle>(m, "ConfigHandle")
      .def(nb::init<>())
      .def("set_bool", &set_bool, nb::arg("name"), nb::arg("on"))
      .def("set_int", &set_int, nb::arg("name"), nb::arg("value"))
      .def("set_str", &set_str, nb::arg("name"), nb::arg("value"))
      .def("cache", [](ConfigHandle& h, bool on) { h.config.cache(on); })
      .def("cache_path",
           [](ConfigHandle& h, const std::string& path) { h.config.cache_path(path); })
      .def("cranelift_flag", [](ConfigHandle& h, const std::string& key,
                                const std::string& value) { h.config.cranelift_flag(key, value); })
      .def("get", &get, nb::arg("name"), nb::arg("default").none() = nb::none());

  m.def(
      "config_choices",
      [](std::string_view name) {
        if (name == "strategy") return as_list(kStrategies);
        if (name == "profiler") return as_list(kProfilers);
        if (name == "cranelift_opt_level") return as_list(kOptLevels);
        raise(PyExc_KeyError, std::string(name));
      },
      nb::arg("name"), nb::sig("def config_choices(name: str) -> list[str]"),
      "The values a choice setting accepts, as ember::Config defines them.");
}

}  // namespace ember::py
