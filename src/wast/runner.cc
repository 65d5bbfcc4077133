// The .wast runner: executes script commands against one engine and store.
#include "wast/runner.hh"

#include <fstream>
#include <iterator>
#include <map>
#include <optional>

#include "binary/decoder.hh"
#include "interp/code.hh"
#include "runtime/backtrace.hh"
#include "runtime/runtime.hh"
#include "compile/serialize.hh"
#include "compile/compile.hh"
#include "validate/validate.hh"
#include "wast/values.hh"

namespace ember::wast {

namespace {

using Module = std::shared_ptr<const ModuleData>;

// The outcome of an action: results, a trap, or an error that kept it from running.
struct Outcome {
  TrapCode trap = TrapCode::None;
  std::string error;  // non-empty: the action could not run
  std::vector<ValType> types;
  std::vector<rt::Slot> slots;
};

class Runner {
 public:
  Runner(const std::string& name, const RunOptions& opts)
      : engine_(std::make_shared<rt::EngineData>()), refs_(store_) {
    result_.file = name;
    engine_->config.features = opts.features;
    via_serialization_ = opts.via_serialization;
    engine_->config.relaxed_simd_deterministic = opts.relaxed_simd_deterministic;
    engine_->config.strategy = opts.strategy;
    engine_->config.opt_level = opts.opt_level;
    engine_->config.tier_up_after = opts.tier_up_after;
    engine_->config.parallel_compilation = opts.parallel_compilation;
    engine_->config.shared_memory = true;  // the threads files define shared memories
    trap_log_ = opts.trap_log;
    store_.engine = engine_;
    registry_["spectest"] = make_spectest(store_);
  }

  void run(const Command& c);
  FileResult take() { return std::move(result_); }

 private:
  void pass() { result_.passed++; }
  void fail(uint32_t line, std::string msg) {
    result_.failed++;
    result_.failures.push_back({line, std::move(msg)});
  }

  Expected<Module> compile(const ModuleSource& src);
  Expected<rt::ModuleInst*> instantiate(const Module& m, TrapCode* trap);
  void define_module(const Command& c);
  void module_instance(const Command& c);
  void do_register(const Command& c);
  rt::ModuleInst* find_instance(const std::optional<std::string>& id, std::string* err);
  Outcome perform(const Action& a);
  void assert_return(const Command& c);
  void assert_trap(const Command& c, bool exhaustion);
  void assert_module_error(const Command& c);
  void log_trap(uint32_t line, TrapCode code);

  std::shared_ptr<rt::EngineData> engine_;
  std::string trap_log_;
  bool via_serialization_ = false;
  rt::StoreData store_;
  ExternRefs refs_;
  FileResult result_;
  std::map<std::string, std::map<std::string, rt::Extern>> registry_;
  std::map<std::string, rt::ModuleInst*> named_;
  std::map<std::string, Module> definitions_;
  rt::ModuleInst* current_ = nullptr;
};

const char* command_name(CommandKind k) {
  switch (k) {
    case CommandKind::Module: return "module";
    case CommandKind::ModuleInstance: return "module instance";
    case CommandKind::Register: return "register";
    case CommandKind::Action: return "action";
    case CommandKind::AssertReturn: return "assert_return";
    case CommandKind::AssertTrap: return "assert_trap";
    case CommandKind::AssertExhaustion: return "assert_exhaustion";
    case CommandKind::AssertInvalid: return "assert_invalid";
    case CommandKind::AssertMalformed: return "assert_malformed";
    case CommandKind::AssertUnlinkable: return "assert_unlinkable";
    case CommandKind::AssertUninstantiable: return "assert_uninstantiable";
    case CommandKind::AssertException: return "assert_exception";
  }
  return "command";
}

Expected<Module> Runner::compile(const ModuleSource& src) {
  EMBER_ASSIGN(std::vector<uint8_t> bytes, src.to_binary(engine_->config.features));
  EMBER_ASSIGN(std::shared_ptr<ModuleData> m,
               decode_module(std::move(bytes), engine_->config.features));
  EMBER_TRY(compile_module(*m, *engine_));
  if (engine_->config.strategy == "cranelift" && m->code) {
    uint32_t left = uint32_t(m->code->funcs.size()) - m->code->native_funcs;
    if (left) result_.interpreted[m->code->native_skipped_reason] += left;
  }
  if (via_serialization_) {
    EMBER_ASSIGN(std::vector<uint8_t> blob, rt::serialize_module(*m, *engine_));
    const uint32_t compiled = m->code ? m->code->native_funcs : 0;
    EMBER_ASSIGN(m, rt::deserialize_module(blob, *engine_));
    // An eagerly compiled module comes back with its machine code, linked,
    // not compiled again.
    if (compiled && (m->code->native_funcs != compiled || !m->code->native_from_image))
      return Error(ErrorKind::Internal,
                   "the serialized module did not bring its machine code back");
  }
  return Module(std::move(m));
}

Expected<rt::ModuleInst*> Runner::instantiate(const Module& m, TrapCode* trap) {
  std::vector<rt::Extern> imports;
  for (const Import& imp : m->imports) {
    auto mod = registry_.find(imp.module);
    std::optional<rt::Extern> e;
    if (mod != registry_.end()) {
      auto it = mod->second.find(imp.name);
      if (it != mod->second.end()) e = it->second;
    }
    if (!e)
      return Error(ErrorKind::Unlinkable, "unknown import `" + imp.module + "::" + imp.name + "`");
    imports.push_back(*e);
  }
  return rt::instantiate(store_, m, imports, trap);
}

void Runner::define_module(const Command& c) {
  Expected<Module> m = compile(c.module);
  if (!m) {
    current_ = nullptr;
    return fail(c.line, "module failed to compile: " + m.error().describe());
  }
  if (c.module.is_definition) {
    if (c.module.id) definitions_[*c.module.id] = *m;
    return pass();
  }
  TrapCode trap;
  Expected<rt::ModuleInst*> inst = instantiate(*m, &trap);
  if (!inst) {
    current_ = nullptr;
    return fail(c.line, "module failed to instantiate: " + inst.error().describe());
  }
  current_ = *inst;
  if (c.module.id) named_[*c.module.id] = current_;
  pass();
}

void Runner::module_instance(const Command& c) {
  auto def = c.definition_id ? definitions_.find(*c.definition_id) : definitions_.end();
  if (def == definitions_.end()) return fail(c.line, "module instance: unknown module definition");
  TrapCode trap;
  Expected<rt::ModuleInst*> inst = instantiate(def->second, &trap);
  if (!inst) return fail(c.line, "module instance failed: " + inst.error().describe());
  current_ = *inst;
  if (c.instance_id) named_[*c.instance_id] = current_;
  pass();
}

rt::ModuleInst* Runner::find_instance(const std::optional<std::string>& id, std::string* err) {
  if (!id) {
    if (current_ == nullptr) *err = "no current module instance";
    return current_;
  }
  auto it = named_.find(*id);
  if (it == named_.end()) {
    *err = "unknown module " + *id;
    return nullptr;
  }
  return it->second;
}

void Runner::do_register(const Command& c) {
  std::string err;
  rt::ModuleInst* inst = find_instance(c.register_module, &err);
  if (inst == nullptr) return fail(c.line, "register: " + err);
  std::map<std::string, rt::Extern>& into = registry_[c.register_name];
  for (const Export& e : inst->module->exports) into[e.name] = rt::export_extern(*inst, e);
  pass();
}

Outcome Runner::perform(const Action& a) {
  Outcome out;
  rt::ModuleInst* inst = find_instance(a.module_id, &out.error);
  if (inst == nullptr) return out;
  std::optional<rt::Extern> ext = rt::find_export(*inst, a.field);
  if (!ext) {
    out.error = "unknown export \"" + a.field + "\"";
    return out;
  }
  if (a.kind == Action::Get) {
    rt::GlobalInst* g = ext->global();
    if (g == nullptr) {
      out.error = "export \"" + a.field + "\" is not a global";
      return out;
    }
    out.types = {g->type.type};
    out.slots = {g->value[0], g->value[1]};
    return out;
  }
  rt::FuncInst* f = ext->func();
  if (f == nullptr) {
    out.error = "export \"" + a.field + "\" is not a function";
    return out;
  }
  const FuncType& t = *f->type;
  if (a.args.size() != t.params.size()) {
    out.error = "wrong number of arguments for \"" + a.field + "\"";
    return out;
  }
  out.slots.assign(rt::call_slots(t) + 2, 0);
  size_t at = 0;
  for (size_t i = 0; i < a.args.size(); i++) {
    if (!arg_to_slots(a.args[i], t.params[i], &out.slots[at], refs_)) {
      out.error = "argument " + std::to_string(i) + " does not match " + t.to_string();
      return out;
    }
    at += slot_count(t.params[i]);
  }
  out.trap = rt::invoke(store_, f, out.slots.data());
  store_.host_error = nullptr;
  out.types = t.results;
  return out;
}

void Runner::assert_return(const Command& c) {
  Outcome o = perform(c.action);
  if (!o.error.empty()) return fail(c.line, "cannot run: " + o.error);
  if (o.trap != TrapCode::None)
    return fail(c.line, std::string("unexpected trap: ") + trap_spec_message(o.trap));
  if (o.types.size() != c.expected.size())
    return fail(c.line, "expected " + std::to_string(c.expected.size()) + " results, got " +
                            std::to_string(o.types.size()));
  size_t at = 0;
  for (size_t i = 0; i < o.types.size(); i++) {
    if (!result_matches(c.expected[i], o.types[i], &o.slots[at]))
      return fail(c.line, "result " + std::to_string(i) + ": expected " +
                              describe_expected(c.expected[i]) + ", got " +
                              describe_result(o.types[i], &o.slots[at]));
    at += slot_count(o.types[i]);
  }
  pass();
}

// The expected text and the spec message of the trap agree (either is a
// prefix of the other, as the reference interpreter's runner checks).
bool trap_message_agrees(const std::string& expected, TrapCode code) {
  std::string_view have = trap_spec_message(code);
  std::string_view want = expected;
  return want.starts_with(have) || have.starts_with(want);
}

// One line per trap (RunOptions::trap_log), appended whole (each file may
// run in its own process).
void Runner::log_trap(uint32_t line, TrapCode code) {
  if (trap_log_.empty()) return;
  std::string text = result_.file + ":" + std::to_string(line) + " " + trap_spec_message(code);
  for (const FrameInfo& f : rt::backtrace_frames(store_))
    text += " " + std::to_string(f.func_index) + "@" +
            (f.module_offset == FrameInfo::kUnknownOffset ? std::string("?")
                                                          : std::to_string(f.module_offset));
  text += "\n";
  std::ofstream(trap_log_, std::ios::app) << text;
}

void Runner::assert_trap(const Command& c, bool exhaustion) {
  if (c.has_module) return assert_module_error(c);
  Outcome o = perform(c.action);
  if (!o.error.empty()) return fail(c.line, "cannot run: " + o.error);
  if (o.trap == TrapCode::None)
    return fail(c.line, "expected trap \"" + c.message + "\", got results");
  log_trap(c.line, o.trap);
  if (exhaustion && o.trap != TrapCode::StackOverflow)
    return fail(c.line,
                std::string("expected stack exhaustion, got trap: ") + trap_spec_message(o.trap));
  if (!exhaustion && !trap_message_agrees(c.message, o.trap))
    return fail(c.line,
                "expected trap \"" + c.message + "\", got \"" + trap_spec_message(o.trap) + "\"");
  pass();
}

// assert_malformed / assert_invalid / assert_unlinkable / assert_uninstantiable
// and assert_trap on a module.
void Runner::assert_module_error(const Command& c) {
  const char* what = command_name(c.kind);
  Expected<Module> m = compile(c.module);
  ErrorKind want = ErrorKind::Trap;
  switch (c.kind) {
    case CommandKind::AssertMalformed: want = ErrorKind::Malformed; break;
    case CommandKind::AssertInvalid: want = ErrorKind::Invalid; break;
    case CommandKind::AssertUnlinkable: want = ErrorKind::Unlinkable; break;
    default: break;
  }
  if (!m) {
    if (m.error().kind() == want) return pass();
    return fail(c.line, std::string(what) + " \"" + c.message + "\": got " + m.error().describe());
  }
  if (want == ErrorKind::Malformed || want == ErrorKind::Invalid)
    return fail(c.line, std::string(what) + " \"" + c.message + "\": module compiled");
  TrapCode trap = TrapCode::None;
  Expected<rt::ModuleInst*> inst = instantiate(*m, &trap);
  store_.host_error = nullptr;
  if (inst) return fail(c.line, std::string(what) + " \"" + c.message + "\": module instantiated");
  if (inst.error().kind() != want)
    return fail(c.line,
                std::string(what) + " \"" + c.message + "\": got " + inst.error().describe());
  if (want == ErrorKind::Trap) log_trap(c.line, trap);
  if (want == ErrorKind::Trap && !trap_message_agrees(c.message, trap))
    return fail(c.line, std::string(what) + " \"" + c.message + "\": got trap \"" +
                            trap_spec_message(trap) + "\"");
  pass();
}

void Runner::run(const Command& c) {
  switch (c.kind) {
    case CommandKind::Module: return define_module(c);
    case CommandKind::ModuleInstance: return module_instance(c);
    case CommandKind::Register: return do_register(c);
    case CommandKind::Action: {
      Outcome o = perform(c.action);
      if (!o.error.empty()) return fail(c.line, "cannot run: " + o.error);
      if (o.trap != TrapCode::None)
        return fail(c.line, std::string("unexpected trap: ") + trap_spec_message(o.trap));
      return pass();
    }
    case CommandKind::AssertReturn: return assert_return(c);
    case CommandKind::AssertTrap: return assert_trap(c, false);
    case CommandKind::AssertExhaustion: return assert_trap(c, true);
    case CommandKind::AssertInvalid:
    case CommandKind::AssertMalformed:
    case CommandKind::AssertUnlinkable:
    case CommandKind::AssertUninstantiable: return assert_module_error(c);
    case CommandKind::AssertException: {
      Outcome o = perform(c.action);
      if (!o.error.empty()) return fail(c.line, "cannot run: " + o.error);
      if (o.trap == TrapCode::Exception) return pass();
      if (o.trap == TrapCode::None) return fail(c.line, "expected an exception, got results");
      return fail(c.line,
                  std::string("expected an exception, got trap: ") + trap_spec_message(o.trap));
    }
  }
}

}  // namespace

FileResult run_script(std::string_view text, const std::string& name, const RunOptions& opts) {
  Expected<Script> script = parse_script(text);
  if (!script) {
    FileResult r;
    r.file = name;
    r.failed = 1;
    r.failures.push_back(
        {script.error().info().line, "script does not parse: " + script.error().describe()});
    return r;
  }
  Runner runner(name, opts);
  for (const Command& c : script->commands) runner.run(c);
  return runner.take();
}

FileResult run_script_file(const std::string& path, const RunOptions& opts) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    FileResult r;
    r.file = path;
    r.failed = 1;
    r.failures.push_back({0, "cannot open file"});
    return r;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return run_script(text, path, opts);
}

}  // namespace ember::wast
