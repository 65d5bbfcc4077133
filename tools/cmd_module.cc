// `ember run`, `ember validate`, `ember wat2wasm` and `ember inspect`: the
// subcommands that work on one module, built on the public C++ API (`run`
// gets the WASI preview1 imports from include/ember/wasi.hh).
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string_view>
#include <type_traits>

#include <sys/stat.h>

#include <cerrno>
#include <optional>

#include "binary/reader.hh"
#include "compile/serialize.hh"
#include "cli.hh"
#include "runtime/backtrace.hh"
#include "ember/ember.hh"
#include "ember/wasi.hh"
#include "interp/code.hh"
#include "ir/module.hh"
#include "options.hh"
#include "text/wat.hh"
#include "wasi_threads.hh"

namespace ember::cli {

namespace {

bool is_binary(const std::vector<uint8_t>& b) {
  return b.size() >= 4 && b[0] == 0 && b[1] == 'a' && b[2] == 's' && b[3] == 'm';
}

// ---- run ---------------------------------------------------------------------

const char kRunHelp[] =
    "usage: ember run [OPTIONS] FILE [ARGS...]\n"
    "\n"
    "Runs FILE (.wasm, .wat, or .cwasm from `ember compile`) like `wasmtime\n"
    "run`. Every module gets the WASI preview1 imports (wasi_snapshot_preview1)\n"
    "with the host's stdin, stdout and stderr; the guest's argv is FILE as\n"
    "given, then ARGS. Without --invoke, the export `_start` runs (nothing\n"
    "runs when there is none) and the exit status is the guest's proc_exit\n"
    "code, 0 when _start returns.\n"
    "Options come before FILE; everything after FILE goes to the guest.\n"
    "\n"
    "options:\n"
    "  --dir HOST[::GUEST]    give the guest the host directory HOST, seen as\n"
    "                         GUEST (default: HOST as written; `HOST::` gives\n"
    "                         it an empty name, as wasmtime); repeatable\n"
    "  --env NAME=VALUE       set a guest environment variable; repeatable\n"
    "                         (the guest sees no host variables otherwise)\n"
    "  --invoke NAME          call the export NAME with ARGS parsed by its\n"
    "                         parameter types and print its results, one per\n"
    "                         line (after `_initialize`, if exported);\n"
    "                         integers in decimal or 0x hex, i32 from -2^31\n"
    "                         to 2^32-1, i64 from -2^63 to 2^64-1; floats in\n"
    "                         decimal within range, inf or nan\n"
    "  --fuel N               enable fuel and give the store N units (with\n"
    "                         -S threads: each thread's store)\n"
    "  -W, --wasm FEATURE[=on|off][,...]\n"
    "                         enable or disable proposals (also y/n, yes/no,\n"
    "                         true/false; FEATURE alone is on; wasmtime's\n"
    "                         `relaxed-simd` is `relaxed_simd`); repeatable\n"
    "  -S, --wasi NAME[=y|n][,...]\n"
    "                         threads: wasi-threads (wasm32-wasip1-threads\n"
    "                         programs): the module's shared memory import is\n"
    "                         created for it, and `wasi::thread-spawn` runs\n"
    "                         `wasi_thread_start` on a new thread with its own\n"
    "                         store and WASI context; a trap or proc_exit in\n"
    "                         any thread ends the process, and so does\n"
    "                         `_start` returning.\n"
    "                         http: wasi:http for a command component\n"
    "                         (outgoing HTTP/1.1 and https).\n"
    "                         preview1, cli: accepted, always on\n"
    "  --all-features         enable every proposal Ember knows\n"
    "  --wasm-2.0             exactly the WebAssembly 2.0 features\n"
    "  -h, --help             this text\n"
    "\n"
    "exit status: the guest's exit code; 134 when wasm traps (as wasmtime on\n"
    "Unix); 1 when the module cannot be read, compiled or instantiated; 2 for\n"
    "a bad command line.\n";

enum class Parsed { Ok, NotANumber, OutOfRange };

// The end of a from_chars parse of all of `s`.
Parsed outcome(std::string_view s, std::from_chars_result r) {
  if (s.empty() || r.ptr != s.data() + s.size()) return Parsed::NotANumber;
  if (r.ec == std::errc::result_out_of_range) return Parsed::OutOfRange;
  return r.ec == std::errc() ? Parsed::Ok : Parsed::NotANumber;
}

// A leading '+', which wasmtime (Rust's parse) accepts and from_chars not.
std::string_view drop_plus(std::string_view s) {
  if (s.size() > 1 && s[0] == '+' && s[1] != '+' && s[1] != '-') s.remove_prefix(1);
  return s;
}

// An integer of `bits` bits: decimal as wasmtime reads it, or hexadecimal
// after 0x, from -2^(bits-1) to 2^bits-1 (two's complement above the signed
// maximum, so 4294967295 is the i32 -1).
Parsed parse_int(std::string_view s, unsigned bits, uint64_t* out) {
  s = drop_plus(s);
  const char* end = s.data() + s.size();
  if (!s.empty() && s[0] == '-') {
    int64_t v = 0;
    Parsed p = outcome(s, std::from_chars(s.data(), end, v));
    if (p == Parsed::Ok && bits < 64 && v < -(int64_t(1) << (bits - 1))) p = Parsed::OutOfRange;
    *out = uint64_t(v);
    return p;
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  uint64_t v = 0;
  Parsed p = outcome(s, std::from_chars(s.data(), end, v, base));
  if (p == Parsed::Ok && bits < 64 && v >> bits) p = Parsed::OutOfRange;
  *out = v;
  return p;
}

// A decimal float (also inf and nan, as wasmtime). Text beyond the type's
// largest finite value is out of range, not infinity; text below its
// smallest subnormal rounds to zero, as any decimal rounds.
template <typename F>
Parsed parse_float(std::string_view s, F* out) {
  s = drop_plus(s);
  Parsed p = outcome(s, std::from_chars(s.data(), s.data() + s.size(), *out));
  if (p != Parsed::OutOfRange) return p;
  // from_chars leaves *out alone out of range; strtof/strtod tell the two
  // ends apart (the text is known to be plain decimal by now).
  std::string text(s);
  F v = std::is_same_v<F, float> ? F(std::strtof(text.c_str(), nullptr))
                                 : F(std::strtod(text.c_str(), nullptr));
  if (std::isinf(v)) return Parsed::OutOfRange;
  *out = v;  // an underflow: zero or a subnormal, sign kept
  return Parsed::Ok;
}

// The range an argument of type `t` takes, for messages.
const char* arg_range(ValType t) {
  switch (t.kind()) {
    case ValKind::I32: return "-2147483648 to 4294967295";
    case ValKind::I64: return "-9223372036854775808 to 18446744073709551615";
    case ValKind::F32: return "magnitude at most 3.4028235e38";
    default: return "magnitude at most 1.7976931348623157e308";
  }
}

// Parses a command-line argument for a parameter of type `t`; the reason it
// cannot be one (empty when *out holds it).
std::string parse_arg(const std::string& s, ValType t, Val* out) {
  Parsed p = Parsed::NotANumber;
  uint64_t bits = 0;
  float f = 0;
  double d = 0;
  switch (t.kind()) {
    case ValKind::I32:
      p = parse_int(s, 32, &bits);
      *out = Val::i32(int32_t(uint32_t(bits)));
      break;
    case ValKind::I64:
      p = parse_int(s, 64, &bits);
      *out = Val::i64(int64_t(bits));
      break;
    case ValKind::F32:
      p = parse_float(s, &f);
      *out = Val::f32(f);
      break;
    case ValKind::F64:
      p = parse_float(s, &d);
      *out = Val::f64(d);
      break;
    default:
      return std::string("is for a ") + val_type_name(t) +
             " parameter, which the command line cannot give";
  }
  std::string name = val_type_name(t);
  bool is_int = t == ValType::I32 || t == ValType::I64;
  if (p == Parsed::OutOfRange) return "is out of range for " + name + " (" + arg_range(t) + ")";
  if (p == Parsed::NotANumber)
    return "is not a valid " + name +
           (is_int ? " (a decimal or 0x hexadecimal integer)" : " (a decimal number, inf or nan)");
  return "";
}

std::string format_val(const Val& v) {
  char buf[64];
  switch (v.type().kind()) {
    case ValKind::I32: return std::to_string(v.i32());
    case ValKind::I64: return std::to_string(v.i64());
    case ValKind::F32: {
      auto r = std::to_chars(buf, buf + sizeof buf, v.f32());
      return std::string(buf, r.ptr);
    }
    case ValKind::F64: {
      auto r = std::to_chars(buf, buf + sizeof buf, v.f64());
      return std::string(buf, r.ptr);
    }
    case ValKind::V128:
      std::snprintf(buf, sizeof buf, "0x%016" PRIx64 "%016" PRIx64, v.bits_hi(), v.bits());
      return buf;
    default:
      return v.is_null() ? "null" : (v.type() == ValType::FuncRef ? "<funcref>" : "<externref>");
  }
}

// What `ember run` was asked to do.
struct RunOptions {
  FeatureSet features = Config().features();
  WasiConfig wasi;
  std::optional<uint64_t> fuel;
  bool threads = false;  // -S threads: wasi-threads (wasi_threads.hh)
  bool http = false;     // -S http: wasi:http for a component
  std::string invoke;    // empty: the command's `_start`
  std::string file;
  Args rest;  // guest arguments (after FILE)
};

bool add_dir(const std::string& spec, RunOptions* o, std::string* err) {
  size_t sep = spec.find("::");
  std::string host = spec.substr(0, sep);
  std::string guest = sep == std::string::npos ? host : spec.substr(sep + 2);
  if (host.empty()) {
    *err = "--dir `" + spec + "`: expected HOST or HOST::GUEST";
    return false;
  }
  struct stat st;
  if (::stat(host.c_str(), &st) != 0) {
    *err = "--dir `" + spec + "`: cannot open directory `" + host + "`: " + std::strerror(errno);
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    *err = "--dir `" + spec + "`: `" + host + "` is not a directory";
    return false;
  }
  o->wasi.preopens.push_back(WasiPreopen{host, guest});
  return true;
}

bool add_env(const std::string& spec, RunOptions* o, std::string* err) {
  size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0) {
    *err = "--env `" + spec + "`: expected NAME=VALUE";
    return false;
  }
  o->wasi.env.emplace_back(spec.substr(0, eq), spec.substr(eq + 1));
  return true;
}

bool set_invoke(const std::string& name, RunOptions* o, std::string* err) {
  if (name.empty()) {
    *err = "--invoke needs an export name";
    return false;
  }
  o->invoke = name;
  return true;
}

// `-S NAME[=y|n][,...]` (wasmtime's `--wasi`): the WASI proposals to give.
bool set_wasi_options(const std::string& list, RunOptions* o, std::string* err) {
  return read_switches(
      list, "--wasi",
      [o](const std::string& name, bool on, std::string* why) {
        if (name == "threads") o->threads = on;
        else if (name == "http") o->http = on;
        else if (name == "preview1" || name == "cli") {
          if (on) return true;
          *why = "--wasi " + name + " cannot be turned off (every module gets WASI preview1)";
          return false;
        } else {
          *why = "unknown WASI option `" + name + "` (Ember has threads, http, preview1 and cli)";
          return false;
        }
        return true;
      },
      err);
}

bool set_fuel(const std::string& v, RunOptions* o, std::string* err) {
  uint64_t n = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size()) {
    *err = "--fuel `" + v + "`: expected a non-negative integer";
    return false;
  }
  o->fuel = n;
  return true;
}

// `ember run`'s command line: options, then FILE, then the guest's ARGS.
Syntax run_syntax(RunOptions* o) {
  auto to = [o](bool (*f)(const std::string&, RunOptions*, std::string*)) -> Handler {
    return [o, f](const std::string& v, std::string* err) { return f(v, o, err); };
  };
  return {
      .command = "run",
      .help = kRunHelp,
      .options = feature_options(
          &o->features,
          {
              {.name = "--dir",
               .takes = Takes::Value,
               .metavar = "HOST[::GUEST]",
               .apply = to(add_dir)},
              {.name = "--env",
               .takes = Takes::Value,
               .metavar = "NAME=VALUE",
               .apply = to(add_env)},
              {.name = "--invoke",
               .takes = Takes::Value,
               .metavar = "NAME",
               .apply = to(set_invoke)},
              {.name = "--fuel", .takes = Takes::Value, .metavar = "N", .apply = to(set_fuel)},
              {.name = "--wasi",
               .alias = "-S",
               .takes = Takes::NextArg,
               .metavar = "NAME[=y|n][,...]",
               .apply = to(set_wasi_options)},
          }),
      .operands = Operands::FileThenRest,
      .help_at = HelpAt::InOrder,
      .operand_name = "module file",
      .min_operands = 1,
      .max_operands = 1,
  };
}

// The module in FILE: binary, text, or serialized (`ember compile`).
Module load_module(const Engine& engine, const std::vector<uint8_t>& bytes) {
  if (Module::is_serialized(bytes)) return Module::deserialize(engine, bytes);
  return Module::from_bytes_or_text(engine, bytes);
}

}  // namespace

int report(const std::string& context, const std::vector<std::string>& causes, int status) {
  std::string out = "Error: " + context + "\n";
  if (!causes.empty()) out += "\nCaused by:\n";
  for (size_t n = 0; n < causes.size(); ++n) {
    char num[32];
    if (causes.size() > 1) std::snprintf(num, sizeof num, "%5zu: ", n);
    else std::snprintf(num, sizeof num, "    ");
    std::string indent(std::strlen(num), ' ');
    out += num;
    for (char c : causes[n]) {
      out += c;
      if (c == '\n') out += indent;
    }
    out += "\n";
  }
  std::fflush(stdout);
  std::fputs(out.c_str(), stderr);
  return status;
}

int trap_status(const std::string& context, const std::string& stage, const Trap& t) {
  if (t.code() == TrapCode::Exit) {
    std::fflush(stdout);
    return t.exit_code();
  }
  return report(context, trap_causes(stage, t), kExitTrap);
}

std::vector<std::string> trap_causes(const std::string& what, const Trap& t) {
  std::vector<std::string> causes{what};
  if (!t.frames().empty()) causes.push_back(rt::backtrace_lines(t.frames()));
  if (t.fault()) causes.push_back(rt::fault_text(*t.fault()));
  if (t.code() == TrapCode::Exception) {  // not a trap in wasmtime either
    causes.push_back(std::string(t.wasmtime_message()) +
                     (t.thrown() ? " (" + t.thrown()->tag + ")" : ""));
    return causes;
  }
  causes.push_back(std::string("wasm trap: ") + t.wasmtime_message());
  return causes;
}

Module module_from_file(const Engine& engine, const std::string& path) {
  std::vector<uint8_t> bytes;
  std::string why;
  if (!read_file(path, &bytes, &why)) throw WasmError(ErrorKind::Internal, path + ": " + why);
  try {
    return Module::from_bytes_or_text(engine, bytes);
  } catch (const WasmError& e) {
    throw WasmError(e.kind(), path + ": " + e.what());
  }
}

namespace {

// Calls `f` with the command-line arguments; prints its results.
int invoke(const RunOptions& o, const Func& f) {
  FuncType t = f.type();
  if (o.rest.size() != t.params.size()) {
    std::fprintf(stderr, "ember run: %s: `%s` takes %zu arguments %s, got %zu\n", o.file.c_str(),
                 o.invoke.c_str(), t.params.size(), t.to_string().c_str(), o.rest.size());
    return kExitUsage;
  }
  std::vector<Val> args(o.rest.size());
  for (size_t i = 0; i < o.rest.size(); i++) {
    std::string why = parse_arg(o.rest[i], t.params[i], &args[i]);
    if (!why.empty()) {
      std::fprintf(stderr, "ember run: %s: argument %zu `%s` %s\n", o.file.c_str(), i + 1,
                   o.rest[i].c_str(), why.c_str());
      return kExitUsage;
    }
  }
  for (const Val& v : f.call(args)) std::printf("%s\n", format_val(v).c_str());
  return 0;
}

}  // namespace

namespace {

// Runs `inst` as asked: `_start`, or --invoke after `_initialize`; *stage
// names the step under way, for a report.
int run_instance(const RunOptions& o, const Instance& inst, std::string* stage) {
  auto export_func = [&](const std::string& name) -> std::optional<Func> {
    std::optional<Extern> e = inst.get_export(name);
    if (!e || !e->func()) return std::nullopt;
    return *e->func();
  };
  if (o.invoke.empty()) {
    *stage = "failed to invoke command default";
    std::optional<Func> start = export_func("_start");
    if (start) start->call(std::vector<Val>{});
    else if (!o.rest.empty() && o.rest[0].starts_with("--"))
      std::fprintf(stderr,
                   "ember run: note: `%s` has no `_start`, and options after FILE go to the "
                   "guest; write them before FILE\n",
                   o.file.c_str());
    return 0;
  }
  if (std::optional<Func> init = export_func("_initialize")) {
    *stage = "failed to invoke `_initialize`";
    init->call(std::vector<Val>{});
  }
  *stage = "failed to invoke `" + o.invoke + "`";
  std::optional<Func> f = export_func(o.invoke);
  if (!f)
    return report("failed to run main module `" + o.file + "`",
                  {"no exported function `" + o.invoke + "` in `" + o.file + "`"}, kExitError);
  return invoke(o, *f);
}

// What outlives run_module(): with -S threads, the main store stays until
// the process ends, as other threads may still run.
struct RunState {
  std::optional<Store> store;
  std::shared_ptr<WasiThreads> threads;
  std::string note;  // printed after the report when linking fails
};

bool imports_thread_spawn(const Module& m) {
  for (const ImportType& i : m.imports())
    if (i.module == "wasi" && i.name == "thread-spawn") return true;
  return false;
}

// Makes the main instance of `module` in *state; its WASI context and, with
// -S threads, the wasi-threads imports.
Instance instantiate_main(const RunOptions& o, const Module& module, RunState* state) {
  Store& store = state->store.emplace(module.engine());
  if (o.fuel) store.set_fuel(*o.fuel);
  set_wasi(store, o.wasi);
  Linker linker(module.engine());
  linker.define_wasi();
  if (o.threads) {
    state->threads = WasiThreads::create({module.engine(), module, o.wasi, o.fuel, o.file});
    state->threads->define(linker, store);
  }
  if (!o.threads && imports_thread_spawn(module))
    state->note = "ember run: note: `" + o.file +
                  "` imports `wasi::thread-spawn` (wasi-threads); run it with `-S threads`\n";
  return linker.instantiate(store, module);
}

// Compiles FILE's `bytes`, instantiates and runs it; reports what fails.
// The exit status.
int run_module(const RunOptions& o, const std::vector<uint8_t>& bytes, RunState* state) {
  const std::string context = "failed to run main module `" + o.file + "`";
  std::string stage = "failed to compile `" + o.file + "`";
  try {
    Config config;
    config.features(o.features);
    if (o.fuel) config.consume_fuel(true);
    if (o.threads) config.shared_memory(true);  // the runner creates the program's memory
    Engine engine(config);
    Module module = load_module(engine, bytes);
    stage = "failed to instantiate \"" + o.file + "\"";
    Instance inst = instantiate_main(o, module, state);
    return run_instance(o, inst, &stage);
  } catch (const Trap& t) {
    return trap_status(context, stage, t);
  } catch (const std::exception& e) {
    // Messages of file-level errors start with the path; drop it (the
    // context line names the file).
    std::string what = e.what();
    std::string prefix = o.file + ": ";
    if (what.compare(0, prefix.size(), prefix) == 0) what.erase(0, prefix.size());
    report(context, {stage, what}, kExitError);
    std::fputs(state->note.c_str(), stderr);
    return kExitError;
  }
}

}  // namespace

int cmd_run(const Args& args) {
  RunOptions o;
  const Syntax syntax = run_syntax(&o);
  CommandLine cl = parse(syntax, args);
  if (cl.outcome != Outcome::Ok) return stop(syntax, cl);  // --help only before FILE
  o.file = cl.operands[0];
  o.rest = std::move(cl.rest);
  std::string err;
  std::vector<uint8_t> bytes;
  if (!read_file(o.file, &bytes, &err))
    return report("failed to run main module `" + o.file + "`",
                  {"failed to read `" + o.file + "`", err}, kExitError);
  o.wasi.argv.push_back(o.file);
  o.wasi.argv.insert(o.wasi.argv.end(), o.rest.begin(), o.rest.end());
  o.wasi.inherit_stdin = o.wasi.inherit_stdout = o.wasi.inherit_stderr = true;
  if (is_component_file(bytes)) {
    if (!o.invoke.empty() || o.threads)
      return report("failed to run main module `" + o.file + "`",
                    {"`" + o.file +
                     "` is a component: --invoke and -S threads apply to core "
                     "modules only"},
                    kExitUsage);
    return run_component({o.file, bytes, o.features, o.wasi, o.fuel, o.http});
  }
  if (o.http)
    return report("failed to run main module `" + o.file + "`",
                  {"`" + o.file + "` is a core module: -S http applies to components only"},
                  kExitUsage);
  RunState state;
  int status = run_module(o, bytes, &state);
  return state.threads ? state.threads->finish(status) : status;
}

// ---- validate ----------------------------------------------------------------

const char kValidateHelp[] =
    "usage: ember validate [-W, --wasm NAME[=on|off][,...]] FILE...\n\n"
    "Checks that each module (.wasm or .wat) or component (.wasm) is\n"
    "well-formed and valid.\n";

int cmd_validate(const Args& args) {
  // Feature options apply to the files after them; every other argument,
  // even one starting with `-`, is a file.
  FeatureSet features = Config().features();
  std::vector<std::pair<std::string, FeatureSet>> files;
  const Syntax syntax{
      .command = "validate",
      .help = kValidateHelp,
      .options = feature_options(&features),
      .operands = Operands::Any,
      .help_at = HelpAt::Anywhere,
      .on_operand =
          [&](const std::string& file, std::string*) {
            files.emplace_back(file, features);
            return true;
          },
  };
  CommandLine cl = parse(syntax, args);
  if (cl.outcome != Outcome::Ok) return stop(syntax, cl);
  int status = 0;
  for (const auto& [file, fs] : files) {
    std::vector<uint8_t> bytes;
    std::string why;
    if (read_file(file, &bytes, &why) && is_component_file(bytes)) {
      std::string problem = component_problem(bytes, fs);
      if (problem.empty()) std::printf("%s: valid\n", file.c_str());
      else std::fprintf(stderr, "ember validate: %s: %s\n", file.c_str(), problem.c_str());
      status = problem.empty() ? status : 1;
      continue;
    }
    try {
      Engine engine(Config().features(fs));
      module_from_file(engine, file);
      std::printf("%s: valid\n", file.c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "ember validate: %s\n", e.what());
      status = 1;
    }
  }
  return status;
}

// ---- wat2wasm ----------------------------------------------------------------

const char kWat2wasmHelp[] =
    "usage: ember wat2wasm FILE [-o OUT]\n\n"
    "Converts a text module to the binary format (default OUT: FILE with\n"
    "the extension .wasm; `-o -` writes to standard output).\n";

int cmd_wat2wasm(const Args& args) {
  std::string out;
  const Syntax syntax{
      .command = "wat2wasm",
      .help = kWat2wasmHelp,
      .options = {{.name = "-o", .takes = Takes::NextArg, .metavar = "OUT", .apply = store(&out)}},
      .operands = Operands::Mixed,
      .help_at = HelpAt::Anywhere,
      .operand_name = "input file",
      .min_operands = 1,
      .max_operands = 1,
      .empty_operand_is_none = true,
  };
  CommandLine cl = parse(syntax, args);
  if (cl.outcome != Outcome::Ok) return stop(syntax, cl);
  const std::string& in = cl.operands[0];
  std::vector<uint8_t> text;
  std::string err;
  if (!read_file(in, &text, &err)) {
    std::fprintf(stderr, "ember wat2wasm: %s: %s\n", in.c_str(), err.c_str());
    return 1;
  }
  std::string_view src(reinterpret_cast<const char*>(text.data()), text.size());
  Expected<std::vector<uint8_t>> bin =
      is_component_text(src) ? component_wat_to_wasm(src) : wat_to_wasm(src);
  if (!bin) {
    std::fprintf(stderr, "ember wat2wasm: %s: %s\n", in.c_str(), bin.error().describe().c_str());
    return 1;
  }
  return write_output(syntax.command, out.empty() ? with_extension(in, ".wasm") : out, *bin);
}

// ---- inspect -----------------------------------------------------------------

namespace {

const char* section_name(uint8_t id) {
  static const char* const names[] = {"custom", "type",   "import",    "function", "table",
                                      "memory", "global", "export",    "start",    "element",
                                      "code",   "data",   "datacount", "tag"};
  return id < sizeof names / sizeof names[0] ? names[id] : "unknown";
}

std::string limits_text(const Limits& l) {
  std::string s = std::to_string(l.min);
  if (l.max) s += ".." + std::to_string(*l.max);
  if (l.is64) s += " (64-bit)";
  if (l.shared) s += " shared";
  return s;
}

std::string type_text(const ExternType& t) {
  switch (t.kind) {
    case ExternKind::Func: return "func " + t.func.to_string();
    case ExternKind::Table:
      return std::string("table ") + val_type_name(t.table.elem) + " " +
             limits_text(t.table.limits);
    case ExternKind::Memory:
      return "memory " + limits_text(t.memory.limits) + " pages" +
             (t.memory.page_size_log2 == 16
                  ? ""
                  : " (pagesize " + std::to_string(t.memory.page_size()) + ")");
    case ExternKind::Global:
      return std::string("global ") + (t.global.mut ? "mut " : "") + val_type_name(t.global.type);
    case ExternKind::Tag: return "tag " + t.tag.functype.to_string();
  }
  return "?";
}

void print_sections(const std::vector<uint8_t>& bin) {
  Reader r(bin.data(), bin.size());
  r.skip(std::min<size_t>(8, bin.size()));
  std::printf("sections:\n");
  while (!r.at_end()) {
    uint64_t start = r.offset();
    Expected<uint8_t> id = r.u8();
    Expected<uint32_t> size = r.u32();
    if (!id || !size || *size > r.remaining()) {
      std::printf("  <malformed section header at 0x%" PRIx64 ">\n", start);
      return;
    }
    std::string extra;
    if (*id == 0) {
      Reader cr(r.pos(), *size);
      Expected<uint32_t> n = cr.u32();
      if (n && *n <= cr.remaining())
        extra = " \"" + std::string(reinterpret_cast<const char*>(cr.pos()), *n) + "\"";
    }
    std::printf("  %-10s at 0x%06" PRIx64 " size %u%s\n", section_name(*id), start, *size,
                extra.c_str());
    r.skip(*size);
  }
}

// `ember inspect FILE.cwasm`: what the blob says about itself, and
// whether its machine code would load here.
int inspect_serialized(const std::string& file, const std::vector<uint8_t>& bytes) {
  Expected<rt::BlobSummary> b = rt::summarize_blob(bytes);
  if (!b) {
    std::fprintf(stderr, "ember inspect: %s: %s\n", file.c_str(), b.error().message().c_str());
    return 1;
  }
  std::printf("%s: %zu bytes, serialized module (format %u, Ember %s)\n", file.c_str(),
              bytes.size(), b->format, b->version.c_str());
  std::printf("counts: %zu defined functions, %zu imports, %zu exports\n", b->functions, b->imports,
              b->exports);
  std::printf("configuration:");
  for (const auto& [name, value] : b->config)
    std::printf(" %s=%llu", name.c_str(), (unsigned long long)value);
  std::printf("\n");
  if (!b->has_machine_code) {
    std::printf("machine code: none (translated code only)\n");
    return 0;
  }
  std::printf(
      "machine code: %zu of %zu defined functions, %zu object files, %zu bytes (opt level %s)\n",
      b->compiled, b->functions, b->objects, b->object_bytes, b->opt_level.c_str());
  std::printf("  compiled by LLVM %s for %s, CPU %s\n", b->llvm_version.c_str(), b->triple.c_str(),
              b->cpu.c_str());
  std::printf("  CPU features: %s\n", b->features.c_str());
  std::printf("  on this host: %s\n",
              b->unusable_here.empty() ? "loads" : ("refused: " + b->unusable_here).c_str());
  return 0;
}

}  // namespace

const char kInspectHelp[] =
    "usage: ember inspect [--compiled] FILE\n\n"
    "Prints a module's sections with offsets and sizes, its imports and\n"
    "exports with their types, and its function/table/memory/global counts.\n"
    "Every proposal Ember implements is accepted. For a serialized module\n"
    "(FILE.cwasm from `ember compile`): its configuration, counts, and the\n"
    "target its machine code was compiled for, and whether it loads here.\n"
    "For a component: the sizes of its index spaces and its imports and\n"
    "exports with their sorts and types.\n\n"
    "options:\n"
    "  --compiled             compile every function eagerly (Config.strategy\n"
    "                         \"cranelift\") and say how many the compiled tier\n"
    "                         took, and why it left the first other one to the\n"
    "                         interpreter\n";

int cmd_inspect(const Args& args) {
  bool compiled = false;
  const Syntax syntax{
      .command = "inspect",
      .help = kInspectHelp,
      .options = {{.name = "--compiled",
                   .apply =
                       [&](const std::string&, std::string*) {
                         compiled = true;
                         return true;
                       }}},
      .operands = Operands::Any,
      .help_at = HelpAt::Alone,
      .operand_name = "module file",
      .min_operands = 1,
      .max_operands = 1,
  };
  CommandLine cl = parse(syntax, args);
  if (cl.outcome != Outcome::Ok) return stop(syntax, cl);
  const std::string& file = cl.operands[0];
  std::vector<uint8_t> bytes;
  std::string err;
  if (!read_file(file, &bytes, &err)) {
    std::fprintf(stderr, "ember inspect: %s: %s\n", file.c_str(), err.c_str());
    return 1;
  }
  if (Module::is_serialized(bytes)) return inspect_serialized(file, bytes);
  if (is_component_file(bytes)) return inspect_component(file, bytes);
  try {
    Config config;
    config.features(FeatureSet::all());  // describe, do not gate
    if (compiled) config.strategy("cranelift");
    Engine engine(config);
    Module module = Module::from_bytes_or_text(engine, bytes);
    if (!is_binary(bytes)) bytes = module.raw()->bytes;
    const ModuleData& m = *module.raw();
    std::printf("%s: %zu bytes%s%s\n", file.c_str(), bytes.size(),
                m.names.module_name.empty() ? "" : ", module $", m.names.module_name.c_str());
    print_sections(bytes);
    std::printf(
        "counts: %zu types, %zu functions (%u imported), %zu tables, %zu memories, %zu globals, "
        "%zu element segments, %zu data segments\n",
        m.types.size(), m.funcs.size(), m.num_imported_funcs, m.tables.size(), m.memories.size(),
        m.globals.size(), m.elems.size(), m.datas.size());
    std::printf("imports:\n");
    for (const ImportType& i : module.imports())
      std::printf("  %s::%s: %s\n", i.module.c_str(), i.name.c_str(), type_text(i.type).c_str());
    std::printf("exports:\n");
    for (const ExportType& e : module.exports())
      std::printf("  %s: %s\n", e.name.c_str(), type_text(e.type).c_str());
    if (m.start) std::printf("start: function %u\n", *m.start);
    if (compiled) {
      const CompiledCode& code = *m.code;
      std::printf("compiled tier: %u of %zu defined functions compiled", code.native_funcs,
                  code.funcs.size());
      if (code.native_funcs < code.funcs.size())
        std::printf(" (first left to the interpreter: %s)", code.native_skipped_reason.c_str());
      std::printf("\n");
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ember inspect: %s: %s\n", file.c_str(), e.what());
    return 1;
  }
}

}  // namespace ember::cli
