// `ember wast`: runs .wast scripts, prints per-file and total counts, and
// checks them against an expected-results list (tests/spec/expected-*.txt).
//
// Each file runs in a child process (unless --no-fork) so a crash or a hang
// is that file's failure. With --expect LIST the exit status is non-zero when
// any file does worse than listed, and also when it does better without the
// list being updated (so the list always tells the truth).
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "cli.hh"
#include "options.hh"
#include "platform/process.hh"
#include "wast/runner.hh"

namespace ember::cli {

namespace {

namespace fs = std::filesystem;
using wast::FileResult;

const char kHelp[] =
    "usage: ember wast [options] FILE|DIR...\n"
    "\n"
    "Runs WebAssembly spec scripts in process (directories: every .wast below\n"
    "them). Prints `FILE: N passed, M failed` per file, then the totals.\n"
    "\n"
    "options:\n"
    "  -v, --verbose          print every failure with its line\n"
    "  --json FILE            write per-file counts as JSON\n"
    "  --trap-log FILE        append a line per trapping action: file:line, the trap\n"
    "                         and its frames (function index@module offset)\n"
    "  --expect LIST          compare with LIST (lines `file passed failed`);\n"
    "                         fail when a file does worse or better than listed\n"
    "  --write-expect LIST    write the results to LIST (keeps other entries)\n"
    "  --root DIR             name files relative to DIR in lists and output\n"
    "  --timeout SECONDS      per-file limit when forked (default 120)\n"
    "  --no-fork              run in this process (no crash isolation)\n"
    "  --via-serialization    load every module back from its serialized form\n"
    "  --strategy NAME        Config.strategy: auto (tiered), cranelift (compile every\n"
    "                         function the compiled tier lowers, eagerly) or interpreter\n"
    "  --tier-up-after N      Config.tier_up_after: calls and loop iterations before\n"
    "                         a function is compiled (strategy auto; default 10000)\n"
    "  --no-parallel-compilation\n"
    "                         Config.parallel_compilation off (hot code compiles while\n"
    "                         the program waits)\n"
    "  --opt-level LEVEL      Config.cranelift_opt_level: none, speed, speed_and_size\n"
    "  --require-compiled     with --strategy cranelift: fail when the compiled tier\n"
    "                         leaves any function to the interpreter (each compiling\n"
    "                         run prints how many it left, and why)\n"
    "  -W, --wasm NAME[=on|off][,...]\n"
    "                         enable/disable proposals (as `ember run`); --all-features;\n"
    "                         --wasm-2.0 (exactly the WebAssembly 2.0 features)\n"
    "  --relaxed-simd-deterministic\n"
    "                         relaxed SIMD gives the deterministic profile's results\n";

struct Options {
  bool verbose = false, fork = true, require_compiled = false;
  std::string json, expect, write_expect, root;
  unsigned timeout = 120;
  wast::RunOptions run;
  std::vector<std::string> inputs;
};

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\t', ' ');
  return s;
}

std::string serialize(const FileResult& r) {
  std::string s = std::to_string(r.passed) + " " + std::to_string(r.failed) + "\n";
  for (const wast::Failure& f : r.failures)
    s += std::to_string(f.line) + "\t" + one_line(f.message) + "\n";
  for (const auto& [why, n] : r.interpreted)
    s += "I\t" + std::to_string(n) + "\t" + one_line(why) + "\n";
  return s;
}

FileResult deserialize(const std::string& file, const std::string& s) {
  FileResult r;
  r.file = file;
  std::istringstream in(s);
  in >> r.passed >> r.failed;
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    if (line.starts_with("I\t")) {
      size_t tab2 = line.find('\t', 2);
      if (tab2 != std::string::npos)
        r.interpreted[line.substr(tab2 + 1)] += uint32_t(std::stoul(line.substr(2, tab2 - 2)));
      continue;
    }
    r.failures.push_back({uint32_t(std::stoul(line.substr(0, tab))), line.substr(tab + 1)});
  }
  return r;
}

FileResult run_one(const std::string& path, const std::string& name, const Options& o) {
  if (!o.fork) {
    FileResult r = wast::run_script_file(path, o.run);
    r.file = name;
    return r;
  }
  std::string out, why;
  auto work = [&] { return serialize(wast::run_script_file(path, o.run)); };
  if (platform::run_isolated(work, o.timeout, &out, &why)) return deserialize(name, out);
  FileResult r;
  r.file = name;
  r.failed = 1;
  r.failures.push_back({0, "script " + why});
  return r;
}

bool collect(const std::string& arg, std::vector<std::string>* files, std::string* err) {
  std::error_code ec;
  if (fs::is_directory(arg, ec)) {
    for (const auto& e : fs::recursive_directory_iterator(arg, ec))
      if (e.is_regular_file() && e.path().extension() == ".wast")
        files->push_back(e.path().string());
    if (ec) {
      *err = arg + ": " + ec.message();
      return false;
    }
    return true;
  }
  if (!fs::exists(arg, ec)) {
    *err = arg + ": no such file";
    return false;
  }
  files->push_back(arg);
  return true;
}

std::string display_name(const std::string& path, const Options& o) {
  if (o.root.empty()) return path;
  std::error_code ec;
  fs::path rel = fs::relative(path, o.root, ec);
  if (ec || rel.empty() || rel.string().starts_with("..")) return path;
  return rel.generic_string();
}

using Counts = std::map<std::string, std::pair<uint32_t, uint32_t>>;

bool read_list(const std::string& path, Counts* out, std::string* err) {
  std::ifstream in(path);
  if (!in) {
    *err = path + ": cannot open expected-results list";
    return false;
  }
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    n++;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string file;
    uint32_t p, f;
    if (!(ls >> file >> p >> f)) {
      *err = path + ":" + std::to_string(n) + ": expected `file passed failed`";
      return false;
    }
    (*out)[file] = {p, f};
  }
  return true;
}

bool write_list(const std::string& path, const Counts& counts) {
  std::ofstream out(path);
  out << "# Expected spec-test results: file passed failed.\n"
         "# Regenerate with tests/spec/update-expected.sh after an improvement.\n";
  for (const auto& [file, pf] : counts) out << file << " " << pf.first << " " << pf.second << "\n";
  return bool(out);
}

// Compares results with the list; prints one line per mismatch.
bool check_expect(const std::vector<FileResult>& results, const Counts& list) {
  bool ok = true;
  for (const FileResult& r : results) {
    auto it = list.find(r.file);
    if (it == list.end()) {
      std::printf("%s: not in the expected list (got %u passed, %u failed)\n", r.file.c_str(),
                  r.passed, r.failed);
      ok = false;
      continue;
    }
    auto [p, f] = it->second;
    if (r.passed == p && r.failed == f) continue;
    ok = false;
    bool worse = r.passed < p || r.failed > f;
    std::printf("%s: %s than expected: %u passed, %u failed (list: %u passed, %u failed)%s\n",
                r.file.c_str(), worse ? "WORSE" : "better", r.passed, r.failed, p, f,
                worse ? "" : " -- update the expected list");
  }
  return ok;
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    o += c;
  }
  return o;
}

bool write_json(const std::string& path, const std::vector<FileResult>& results, uint64_t p,
                uint64_t f) {
  std::ofstream out(path);
  out << "{\"passed\": " << p << ", \"failed\": " << f << ", \"files\": [";
  for (size_t i = 0; i < results.size(); i++)
    out << (i ? ",\n  " : "\n  ") << "{\"file\": \"" << json_escape(results[i].file)
        << "\", \"passed\": " << results[i].passed << ", \"failed\": " << results[i].failed << "}";
  out << "\n]}\n";
  return bool(out);
}

// Whole seconds; a value beyond what alarm(2) takes means no useful limit and
// becomes its largest.
bool set_timeout(const std::string& v, unsigned* timeout, std::string* err) {
  uint64_t n = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size()) {
    *err = "--timeout `" + v + "`: expected a whole number of seconds";
    return false;
  }
  *timeout = unsigned(std::min<uint64_t>(n, std::numeric_limits<unsigned>::max()));
  return true;
}

Syntax wast_syntax(Options* o) {
  return {
      .command = "wast",
      .help = kHelp,
      .options = feature_options(
          &o->run.features,
          {
              {.name = "--verbose", .alias = "-v", .apply = set_flag(&o->verbose)},
              {.name = "--no-fork", .apply = set_flag(&o->fork, false)},
              {.name = "--require-compiled", .apply = set_flag(&o->require_compiled)},
              {.name = "--via-serialization", .apply = set_flag(&o->run.via_serialization)},
              {.name = "--strategy",
               .takes = Takes::Value,
               .metavar = "auto|cranelift|interpreter",
               .apply =
                   [o](const std::string& v, std::string* err) {
                     if (v != "auto" && v != "cranelift" && v != "interpreter") {
                       *err = "--strategy `" + v + "`: expected auto, cranelift or interpreter";
                       return false;
                     }
                     o->run.strategy = v;
                     return true;
                   }},
              {.name = "--tier-up-after",
               .takes = Takes::Value,
               .metavar = "N",
               .apply =
                   [o](const std::string& v, std::string* err) {
                     char* end = nullptr;
                     unsigned long n = std::strtoul(v.c_str(), &end, 10);
                     if (v.empty() || *end || v[0] == '-' || n > uint32_t(INT32_MAX)) {
                       *err = "--tier-up-after `" + v + "`: expected a count";
                       return false;
                     }
                     o->run.tier_up_after = uint32_t(n);
                     return true;
                   }},
              {.name = "--no-parallel-compilation",
               .apply = set_flag(&o->run.parallel_compilation, false)},
              {.name = "--opt-level",
               .takes = Takes::Value,
               .metavar = "none|speed|speed_and_size",
               .apply =
                   [o](const std::string& v, std::string* err) {
                     if (v != "none" && v != "speed" && v != "speed_and_size") {
                       *err = "--opt-level `" + v + "`: expected none, speed or speed_and_size";
                       return false;
                     }
                     o->run.opt_level = v;
                     return true;
                   }},
              {.name = "--relaxed-simd-deterministic",
               .apply = set_flag(&o->run.relaxed_simd_deterministic)},
              {.name = "--json",
               .takes = Takes::NextArg,
               .metavar = "FILE",
               .apply = store(&o->json)},
              {.name = "--trap-log",
               .takes = Takes::NextArg,
               .metavar = "FILE",
               .apply = store(&o->run.trap_log)},
              {.name = "--expect",
               .takes = Takes::NextArg,
               .metavar = "LIST",
               .apply = store(&o->expect)},
              {.name = "--write-expect",
               .takes = Takes::NextArg,
               .metavar = "LIST",
               .apply = store(&o->write_expect)},
              {.name = "--root",
               .takes = Takes::NextArg,
               .metavar = "DIR",
               .apply = store(&o->root)},
              {.name = "--timeout",
               .takes = Takes::NextArg,
               .metavar = "SECONDS",
               .apply = [o](const std::string& v,
                            std::string* err) { return set_timeout(v, &o->timeout, err); }},
          }),
      .operands = Operands::Mixed,
      .help_at = HelpAt::InOrder,
      .operand_name = "FILE or DIR",
      .min_operands = 1,
  };
}

}  // namespace

int cmd_wast(const Args& args) {
  Options o;
  const Syntax syntax = wast_syntax(&o);
  CommandLine cl = parse(syntax, args);
  if (cl.outcome != Outcome::Ok) return stop(syntax, cl);
  o.inputs = std::move(cl.operands);
  std::vector<std::string> files;
  for (const std::string& in : o.inputs) {
    std::string err;
    if (!collect(in, &files, &err)) {
      std::fprintf(stderr, "ember wast: %s\n", err.c_str());
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  if (!o.run.trap_log.empty() && !std::ofstream(o.run.trap_log, std::ios::trunc)) {
    std::fprintf(stderr, "ember wast: %s: cannot write\n", o.run.trap_log.c_str());
    return 2;
  }
  std::vector<FileResult> results;
  uint64_t passed = 0, failed = 0;
  std::map<std::string, uint32_t> interpreted;
  for (const std::string& path : files) {
    FileResult r = run_one(path, display_name(path, o), o);
    std::printf("%s: %u passed, %u failed\n", r.file.c_str(), r.passed, r.failed);
    if (o.verbose)
      for (const wast::Failure& f : r.failures)
        std::printf("  %s:%u: %s\n", r.file.c_str(), f.line, f.message.c_str());
    std::fflush(stdout);
    passed += r.passed;
    failed += r.failed;
    for (const auto& [why, n] : r.interpreted) interpreted[why] += n;
    results.push_back(std::move(r));
  }
  int status = failed == 0 ? 0 : 1;
  if (o.run.strategy == "cranelift") {
    uint32_t left = 0;
    for (const auto& [why, n] : interpreted) left += n;
    std::printf("compiled tier: %u functions left to the interpreter\n", left);
    for (const auto& [why, n] : interpreted) std::printf("  %u: %s\n", n, why.c_str());
    if (left && o.require_compiled) status = 1;
  }
  if (!o.expect.empty()) {
    Counts list;
    std::string err;
    if (!read_list(o.expect, &list, &err)) {
      std::fprintf(stderr, "ember wast: %s\n", err.c_str());
      return 2;
    }
    status = check_expect(results, list) ? 0 : 1;
  }
  if (!o.write_expect.empty()) {
    Counts list;
    std::string err;
    read_list(o.write_expect, &list, &err);  // a missing list starts empty
    for (const FileResult& r : results) list[r.file] = {r.passed, r.failed};
    if (!write_list(o.write_expect, list)) {
      std::fprintf(stderr, "ember wast: %s: cannot write\n", o.write_expect.c_str());
      return 2;
    }
  }
  if (!o.json.empty() && !write_json(o.json, results, passed, failed)) {
    std::fprintf(stderr, "ember wast: %s: cannot write\n", o.json.c_str());
    return 2;
  }
  std::printf("%llu passed, %llu failed\n", (unsigned long long)passed, (unsigned long long)failed);
  return status;
}

}  // namespace ember::cli
