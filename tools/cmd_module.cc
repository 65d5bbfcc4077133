// `ember run`, `ember validate`, `ember wat2wasm` and `ember inspect`: the
// subcommands that work on one module, built on the public C++ API.
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "binary/reader.hh"
#include "cli.hh"
#include "ember/ember.hh"
#include "ir/module.hh"
#include "text/wat.hh"

namespace ember::cli {

namespace {

bool wants_help(const Args& args) {
  for (const std::string& a : args)
    if (a == "-h" || a == "--help") return true;
  return false;
}

bool is_binary(const std::vector<uint8_t>& b) {
  return b.size() >= 4 && b[0] == 0 && b[1] == 'a' && b[2] == 's' && b[3] == 'm';
}

// ---- run ---------------------------------------------------------------------

const char kRunHelp[] =
    "usage: ember run [--wasm NAME=on|off] FILE [--invoke NAME] [ARGS...]\n"
    "\n"
    "Instantiates FILE (.wasm or .wat). With --invoke, calls the export NAME\n"
    "with ARGS parsed by its parameter types and prints the results, one per\n"
    "line; without it, runs the export `_start` if there is one. Imports are\n"
    "not provided yet (no WASI).\n";

bool parse_arg(const std::string& s, ValType t, Val* out) {
  const char* b = s.data();
  const char* e = b + s.size();
  switch (t) {
    case ValType::I32: case ValType::I64: {
      int64_t v = 0;
      uint64_t u = 0;
      if (std::from_chars(b, e, v).ptr == e) {
      } else if (std::from_chars(b, e, u).ptr == e) {
        v = int64_t(u);
      } else {
        return false;
      }
      *out = t == ValType::I32 ? Val::i32(int32_t(uint32_t(v))) : Val::i64(v);
      return true;
    }
    case ValType::F32: { float f; if (std::from_chars(b, e, f).ptr != e) return false; *out = Val::f32(f); return true; }
    case ValType::F64: { double d; if (std::from_chars(b, e, d).ptr != e) return false; *out = Val::f64(d); return true; }
    default: return false;
  }
}

std::string format_val(const Val& v) {
  char buf[64];
  switch (v.type()) {
    case ValType::I32: return std::to_string(v.i32());
    case ValType::I64: return std::to_string(v.i64());
    case ValType::F32: { auto r = std::to_chars(buf, buf + sizeof buf, v.f32()); return std::string(buf, r.ptr); }
    case ValType::F64: { auto r = std::to_chars(buf, buf + sizeof buf, v.f64()); return std::string(buf, r.ptr); }
    case ValType::V128:
      std::snprintf(buf, sizeof buf, "0x%016" PRIx64 "%016" PRIx64, v.bits_hi(), v.bits());
      return buf;
    default: return v.is_null() ? "null" : (v.type() == ValType::FuncRef ? "<funcref>" : "<externref>");
  }
}

int invoke(const std::string& file, const Func& f, const std::string& name, const Args& raw) {
  FuncType t = f.type();
  if (raw.size() != t.params.size()) {
    std::fprintf(stderr, "ember run: %s: `%s` takes %zu arguments %s, got %zu\n", file.c_str(),
                 name.c_str(), t.params.size(), t.to_string().c_str(), raw.size());
    return 1;
  }
  std::vector<Val> args(raw.size());
  for (size_t i = 0; i < raw.size(); i++) {
    if (!parse_arg(raw[i], t.params[i], &args[i])) {
      std::fprintf(stderr, "ember run: %s: argument %zu `%s` is not a valid %s\n", file.c_str(), i + 1,
                   raw[i].c_str(), val_type_name(t.params[i]));
      return 1;
    }
  }
  for (const Val& v : f.call(args)) std::printf("%s\n", format_val(v).c_str());
  return 0;
}

}  // namespace

int cmd_run(const Args& args) {
  if (args.empty() || wants_help(args)) {
    std::fputs(kRunHelp, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  Config config;
  size_t i = 0;
  for (; i < args.size() && args[i].starts_with("-"); i++) {
    bool matched;
    std::string err;
    FeatureSet fs = config.features();
    if (!parse_feature_option(args, &i, &fs, &matched, &err) || !matched) {
      std::fprintf(stderr, "ember run: %s\n", matched ? err.c_str() : ("unknown option `" + args[i] + "`").c_str());
      return 2;
    }
    config.features(fs);
  }
  if (i >= args.size()) {
    std::fputs(kRunHelp, stderr);
    return 2;
  }
  std::string file = args[i++];
  std::string export_name;
  if (i < args.size() && args[i] == "--invoke") {
    if (i + 1 >= args.size()) {
      std::fprintf(stderr, "ember run: --invoke needs an export name\n");
      return 2;
    }
    export_name = args[i + 1];
    i += 2;
  }
  Args rest(args.begin() + long(i), args.end());
  try {
    Engine engine(config);
    Store store(engine);
    Module module = Module::load_file(engine, file);  // .wasm, .wat or .cwasm
    Linker linker(engine);
    Instance inst = linker.instantiate(store, module);
    std::string name = export_name.empty() ? "_start" : export_name;
    std::optional<Extern> e = inst.get_export(name);
    if (!e || !e->func()) {
      if (export_name.empty()) return 0;  // nothing to run
      std::fprintf(stderr, "ember run: %s: no exported function `%s`\n", file.c_str(), name.c_str());
      return 1;
    }
    return invoke(file, *e->func(), name, rest);
  } catch (const Trap& t) {
    std::fprintf(stderr, "ember run: %s: wasm trap: %s\n", file.c_str(), t.wasmtime_message());
    size_t n = 0;
    for (const FrameInfo& f : t.frames()) {
      std::string where = f.module_name.empty() ? "<module>" : f.module_name;
      where += "!" + (f.func_name.empty() ? "<wasm function " + std::to_string(f.func_index) + ">" : f.func_name);
      std::fprintf(stderr, "  %zu: 0x%" PRIx64 " - %s\n", n++, f.module_offset, where.c_str());
    }
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ember run: %s%s\n", std::strstr(e.what(), file.c_str()) ? "" : (file + ": ").c_str(), e.what());
    return 1;
  }
}

// ---- validate ----------------------------------------------------------------

int cmd_validate(const Args& args) {
  if (args.empty() || wants_help(args)) {
    std::fputs("usage: ember validate [--wasm NAME=on|off] FILE...\n\n"
               "Checks that each module (.wasm or .wat) is well-formed and valid.\n",
               args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  Config config;
  int status = 0;
  for (size_t i = 0; i < args.size(); i++) {
    bool matched;
    std::string err;
    FeatureSet fs = config.features();
    if (!parse_feature_option(args, &i, &fs, &matched, &err)) {
      std::fprintf(stderr, "ember validate: %s\n", err.c_str());
      return 2;
    }
    config.features(fs);
    if (matched) continue;
    try {
      Engine engine(config);
      Module::from_file(engine, args[i]);
      std::printf("%s: valid\n", args[i].c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "ember validate: %s\n", e.what());
      status = 1;
    }
  }
  return status;
}

// ---- wat2wasm ----------------------------------------------------------------

int cmd_wat2wasm(const Args& args) {
  if (args.empty() || wants_help(args)) {
    std::fputs("usage: ember wat2wasm FILE [-o OUT]\n\n"
               "Converts a text module to the binary format (default OUT: FILE with\n"
               "the extension .wasm; `-o -` writes to standard output).\n",
               args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  std::string in, out;
  for (size_t i = 0; i < args.size(); i++) {
    if (args[i] == "-o" && i + 1 < args.size()) out = args[++i];
    else if (in.empty() && !args[i].starts_with("-")) in = args[i];
    else {
      std::fprintf(stderr, "ember wat2wasm: unexpected argument `%s`\n", args[i].c_str());
      return 2;
    }
  }
  if (in.empty()) {
    std::fprintf(stderr, "ember wat2wasm: no input file\n");
    return 2;
  }
  std::vector<uint8_t> text;
  std::string err;
  if (!read_file(in, &text, &err)) {
    std::fprintf(stderr, "ember wat2wasm: %s\n", err.c_str());
    return 1;
  }
  Expected<std::vector<uint8_t>> bin =
      wat_to_wasm(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()));
  if (!bin) {
    std::fprintf(stderr, "ember wat2wasm: %s: %s\n", in.c_str(), bin.error().describe().c_str());
    return 1;
  }
  if (out.empty()) {
    size_t dot = in.find_last_of('.');
    size_t slash = in.find_last_of('/');
    out = (dot == std::string::npos || (slash != std::string::npos && dot < slash) ? in : in.substr(0, dot)) + ".wasm";
  }
  FILE* f = out == "-" ? stdout : std::fopen(out.c_str(), "wb");
  if (f == nullptr || std::fwrite(bin->data(), 1, bin->size(), f) != bin->size()) {
    std::fprintf(stderr, "ember wat2wasm: %s: cannot write: %s\n", out.c_str(), std::strerror(errno));
    if (f != nullptr && f != stdout) std::fclose(f);
    return 1;
  }
  if (f != stdout && std::fclose(f) != 0) {
    std::fprintf(stderr, "ember wat2wasm: %s: cannot write\n", out.c_str());
    return 1;
  }
  return 0;
}

// ---- inspect -----------------------------------------------------------------

namespace {

const char* section_name(uint8_t id) {
  static const char* const names[] = {"custom", "type", "import", "function", "table", "memory",
                                      "global", "export", "start", "element", "code", "data",
                                      "datacount", "tag"};
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
    case ExternKind::Table: return std::string("table ") + val_type_name(t.table.elem) + " " + limits_text(t.table.limits);
    case ExternKind::Memory: return "memory " + limits_text(t.memory.limits) + " pages";
    case ExternKind::Global:
      return std::string("global ") + (t.global.mut ? "mut " : "") + val_type_name(t.global.type);
    case ExternKind::Tag: return "tag";
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
      if (n && *n <= cr.remaining()) extra = " \"" + std::string(reinterpret_cast<const char*>(cr.pos()), *n) + "\"";
    }
    std::printf("  %-10s at 0x%06" PRIx64 " size %u%s\n", section_name(*id), start, *size, extra.c_str());
    r.skip(*size);
  }
}

}  // namespace

int cmd_inspect(const Args& args) {
  if (args.size() != 1 || wants_help(args)) {
    std::fputs("usage: ember inspect FILE\n\n"
               "Prints a module's sections with offsets and sizes, its imports and\n"
               "exports with their types, and its function/table/memory/global counts.\n",
               args.empty() ? stderr : stdout);
    return args.size() == 1 ? 0 : 2;
  }
  const std::string& file = args[0];
  std::vector<uint8_t> bytes;
  std::string err;
  if (!read_file(file, &bytes, &err)) {
    std::fprintf(stderr, "ember inspect: %s\n", err.c_str());
    return 1;
  }
  try {
    Engine engine;
    Module module = Module::from_bytes_or_text(engine, bytes);
    if (!is_binary(bytes)) bytes = module.raw()->bytes;
    const ModuleData& m = *module.raw();
    std::printf("%s: %zu bytes%s%s\n", file.c_str(), bytes.size(),
                m.names.module_name.empty() ? "" : ", module $", m.names.module_name.c_str());
    print_sections(bytes);
    std::printf("counts: %zu types, %zu functions (%u imported), %zu tables, %zu memories, %zu globals, "
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
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ember inspect: %s: %s\n", file.c_str(), e.what());
    return 1;
  }
}

}  // namespace ember::cli
