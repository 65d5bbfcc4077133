// The `ember` command line's option parser (options.hh): the rules of
// reading and the wording of mistakes, written once for every subcommand.
#include "options.hh"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <utility>

namespace ember::cli {

namespace {

bool is_help(const std::string& a) {
  return a == "-h" || a == "--help";
}

std::string see_help(const Syntax& s) {
  return " (see `ember " + s.command + " --help`)";
}

// One pass over the arguments; the result goes to *out.
class Reader {
 public:
  Reader(const Syntax& s, const Args& args, CommandLine* out) : s_(s), args_(args), out_(out) {}

  void read() {
    for (i_ = 0; i_ < args_.size() && ok(); i_++) {
      const std::string& a = args_[i_];
      if (in_rest_) out_->rest.push_back(a);
      else if (!options_ended_ && s_.operands == Operands::FileThenRest && a == "--")
        options_ended_ = true;
      else if (!options_ended_ && is_option(a)) option(a);
      else operand(a);
    }
    if (ok() && out_->operands.size() < s_.min_operands)
      fail("no " + s_.operand_name + " given" + see_help(s_));
  }

 private:
  bool ok() const { return out_->outcome == Outcome::Ok; }

  void fail(std::string message) {
    out_->outcome = Outcome::Error;
    out_->error = std::move(message);
  }

  bool is_option(const std::string& a) const {
    switch (s_.operands) {
      case Operands::FileThenRest: return a.size() > 1 && a[0] == '-';
      case Operands::Mixed: return !a.empty() && a[0] == '-';
      case Operands::Any: break;
    }
    return (s_.help_at == HelpAt::InOrder && is_help(a)) || find(a).option != nullptr;
  }

  // An option as written: which one, and the value of `--name=VALUE`.
  struct Match {
    const Option* option = nullptr;
    bool has_value = false;  // written `--name=VALUE` (only for Takes::Value)
    std::string value;
  };

  Match find(const std::string& a) const {
    for (const Option& o : s_.options) {
      for (const std::string* n : {&o.name, &o.alias}) {
        if (n->empty()) continue;
        if (a == *n) return {&o, false, ""};
        if (o.takes == Takes::Value && a.size() > n->size() && a.compare(0, n->size(), *n) == 0 &&
            a[n->size()] == '=')
          return {&o, true, a.substr(n->size() + 1)};
      }
    }
    return {};
  }

  void option(const std::string& a) {
    if (s_.help_at == HelpAt::InOrder && is_help(a)) {
      out_->outcome = Outcome::Help;
      return;
    }
    Match m = find(a);
    const Option* o = m.option;
    if (o == nullptr) return fail("unknown option `" + a + "`" + see_help(s_));
    if (o->takes != Takes::Nothing && !m.has_value) {
      if (i_ + 1 >= args_.size())
        return fail(a + " needs a value" + (o->metavar.empty() ? "" : " (" + o->metavar + ")"));
      m.value = args_[++i_];
    }
    std::string err;
    if (!o->apply(m.value, &err)) fail(err);
  }

  void operand(const std::string& a) {
    if (out_->operands.size() >= s_.max_operands)
      return fail("unexpected argument `" + a + "`" + see_help(s_));
    if (a.empty() && s_.empty_operand_is_none) return;
    out_->operands.push_back(a);
    std::string err;
    if (s_.on_operand && !s_.on_operand(a, &err)) return fail(err);
    if (s_.operands == Operands::FileThenRest) in_rest_ = true;
  }

  const Syntax& s_;
  const Args& args_;
  CommandLine* out_;
  size_t i_ = 0;
  bool options_ended_ = false;  // after `--`
  bool in_rest_ = false;        // after FILE (Operands::FileThenRest)
};

}  // namespace

CommandLine parse(const Syntax& syntax, const Args& args) {
  CommandLine cl;
  bool anywhere =
      syntax.help_at == HelpAt::Anywhere && std::any_of(args.begin(), args.end(), is_help);
  bool alone = syntax.help_at == HelpAt::Alone && args.size() == 1 && is_help(args[0]);
  if (args.empty()) cl.outcome = Outcome::Usage;
  else if (anywhere || alone) cl.outcome = Outcome::Help;
  else Reader(syntax, args, &cl).read();
  return cl;
}

int stop(const Syntax& syntax, const CommandLine& cl) {
  switch (cl.outcome) {
    case Outcome::Help: std::fputs(syntax.help, stdout); return 0;
    case Outcome::Usage: std::fputs(syntax.help, stderr); return 2;
    case Outcome::Error:
      std::fprintf(stderr, "ember %s: %s\n", syntax.command.c_str(), cl.error.c_str());
      return 2;
    case Outcome::Ok: break;
  }
  return 0;
}

// ---- shared options ---------------------------------------------------------

namespace {

// `--wasm NAME[=on|off][,...]`; wasmtime's hyphens (`relaxed-simd`) name
// the same features as Ember's underscores.
bool set_features(const std::string& list, FeatureSet* features, std::string* err) {
  return read_switches(
      list, "--wasm",
      [features](std::string name, bool on, std::string* why) {
        std::replace(name.begin(), name.end(), '-', '_');
        Feature f;
        if (!feature_from_name(name, &f)) {
          *why = "unknown feature `" + name + "`";
          return false;
        }
        features->set(f, on);
        return true;
      },
      err);
}

// Exactly the features of WebAssembly 2.0 (what its spec testsuite assumes).
FeatureSet wasm_2_0() {
  FeatureSet fs;
  for (Feature f :
       {Feature::MutableGlobal, Feature::SignExtension, Feature::SaturatingFloatToInt,
        Feature::MultiValue, Feature::BulkMemory, Feature::ReferenceTypes, Feature::Simd})
    fs.set(f, true);
  return fs;
}

}  // namespace

std::vector<Option> feature_options(FeatureSet* features, std::vector<Option> others) {
  auto assign = [features](FeatureSet fs) -> Handler {
    return [features, fs](const std::string&, std::string*) {
      *features = fs;
      return true;
    };
  };
  std::vector<Option> all{
      {.name = "--wasm",
       .alias = "-W",
       .takes = Takes::NextArg,
       .metavar = "NAME[=on|off][,...]",
       .apply = [features](const std::string& v,
                           std::string* err) { return set_features(v, features, err); }},
      {.name = "--all-features", .apply = assign(FeatureSet::all())},
      {.name = "--wasm-2.0", .apply = assign(wasm_2_0())},
  };
  all.insert(all.end(), std::make_move_iterator(others.begin()),
             std::make_move_iterator(others.end()));
  return all;
}

bool read_switches(const std::string& list, const std::string& option, const SwitchSetter& set,
                   std::string* err) {
  static const std::pair<const char*, bool> kValues[] = {
      {"on", true}, {"off", false}, {"true", true}, {"false", false},
      {"y", true},  {"n", false},   {"yes", true},  {"no", false},
  };
  for (size_t start = 0; start <= list.size();) {
    size_t comma = std::min(list.find(',', start), list.size());
    std::string item = list.substr(start, comma - start);
    start = comma + 1;
    size_t eq = item.find('=');
    std::string name = item.substr(0, eq);
    std::string val = eq == std::string::npos ? "on" : item.substr(eq + 1);
    const auto* v = std::find_if(std::begin(kValues), std::end(kValues),
                                 [&](const auto& kv) { return val == kv.first; });
    if (v == std::end(kValues)) {
      *err = "bad value `" + val + "` for " + option + " " + name + " (use on or off)";
      return false;
    }
    if (!set(name, v->second, err)) return false;
  }
  return true;
}

Handler set_flag(bool* flag, bool to) {
  return [flag, to](const std::string&, std::string*) {
    *flag = to;
    return true;
  };
}

Handler store(std::string* into) {
  return [into](const std::string& v, std::string*) {
    *into = v;
    return true;
  };
}

}  // namespace ember::cli
