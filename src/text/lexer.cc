// Tokenizer for the WebAssembly text format; see lexer.hh.
#include "text/lexer.hh"

#include "support/utf8.hh"

namespace ember::text {

namespace {

bool is_idchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '/':
    case ':':
    case '<':
    case '=':
    case '>':
    case '?':
    case '@':
    case '\\':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~': return true;
    default: return false;
  }
}

int hex_val(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of the UTF-8 sequence starting at s[i], or 0 if malformed.
size_t utf8_seq_len(std::string_view s, size_t i) {
  return utf8_sequence_length(reinterpret_cast<const uint8_t*>(s.data()) + i, s.size() - i);
}

class Lexer {
 public:
  Lexer(std::string_view src, uint32_t line) : src_(src), line_(line) {}

  Expected<TokenList> run() {
    TokenList out;
    for (;;) {
      EMBER_TRY(skip_space());
      if (pos_ >= src_.size()) {
        out.toks.push_back(here());
        return out;
      }
      if (at_annotation()) {
        EMBER_TRY(annotation(out));
        continue;
      }
      Token t;
      EMBER_TRY(lex_token(out, &t));
      out.toks.push_back(t);
    }
  }

 private:
  // A token of no kind yet, positioned at the current character.
  Token here() const {
    Token t;
    t.line = line_;
    t.col = col();
    t.offset = pos_;
    return t;
  }

  bool at_annotation() const {
    return src_[pos_] == '(' && pos_ + 1 < src_.size() && src_[pos_ + 1] == '@';
  }

  // Reads the token at pos_ (not whitespace, not an annotation) into *t.
  Status lex_token(TokenList& out, Token* t) {
    *t = here();
    const char c = src_[pos_];
    if (c == '(' || c == ')') {
      t->kind = c == '(' ? Tok::LParen : Tok::RParen;
      t->text = src_.substr(pos_++, 1);
    } else if (c == '"') {
      std::string s;
      EMBER_TRY(read_string(&s));
      t->kind = Tok::String;
      t->text = src_.substr(t->offset, pos_ - t->offset);
      t->str = uint32_t(out.strings.size());
      out.strings.push_back(std::move(s));
      if (pos_ < src_.size() && (src_[pos_] == '"' || is_idchar(src_[pos_])))
        return err("unknown operator");
    } else if (c == '$' && pos_ + 1 < src_.size() && src_[pos_ + 1] == '"') {
      // Quoted identifier `$"..."`: its identity is the decoded name.
      pos_++;
      std::string name;
      EMBER_TRY(read_string(&name));
      if (name.empty()) return err("empty identifier");
      if (!is_valid_utf8(name)) return err("malformed UTF-8 encoding");
      t->kind = Tok::Id;
      out.quoted_ids.push_back("$" + name);
      t->text = out.quoted_ids.back();
      if (pos_ < src_.size() && (src_[pos_] == '"' || is_idchar(src_[pos_])))
        return err("unknown operator");
    } else if (is_idchar(c)) {
      size_t b = pos_;
      while (pos_ < src_.size() && is_idchar(src_[pos_])) pos_++;
      t->text = src_.substr(b, pos_ - b);
      if (c == '$') t->kind = t->text.size() > 1 ? Tok::Id : Tok::Reserved;
      else if (c >= 'a' && c <= 'z') t->kind = Tok::Keyword;
      else if ((c >= '0' && c <= '9') || c == '+' || c == '-') t->kind = Tok::Number;
      else t->kind = Tok::Reserved;
      // A token must be followed by a delimiter (space, paren, comment, EOF).
      if (pos_ < src_.size() && src_[pos_] == '"') return err("unknown operator");
    } else {
      return err("unexpected character");
    }
    return Status::Ok();
  }

  // `(@id ...)` at pos_: an annotation the parser reads is kept, any other
  // is skipped.
  Status annotation(TokenList& out) {
    out.any_annotation = true;
    const Token open = here();
    EMBER_ASSIGN(size_t id_end, annotation_id_end());
    std::string_view id = src_.substr(pos_ + 2, id_end - pos_ - 2);
    if (id == "\"custom\"") id = "custom";
    if (id != "custom" && id != "name" && id != "metadata.code.branch_hint")
      return skip_annotation();
    if (id_end < src_.size() && src_[id_end] == '"') {
      pos_ = id_end;
      return err("unknown operator");
    }
    pos_ = id_end;
    return custom_annotation(out, open, id);
  }

  // Checks the annotation id after `(@` and returns where it ends.
  Expected<size_t> annotation_id_end() {
    if (pos_ + 2 >= src_.size() || !(is_idchar(src_[pos_ + 2]) || src_[pos_ + 2] == '"'))
      return err("empty annotation id");
    const size_t open = pos_;
    pos_ += 2;
    if (src_[pos_] == '"') {
      std::string id;
      EMBER_TRY(read_string(&id));
      if (id.empty()) return err("empty annotation id");
      if (!is_valid_utf8(id)) return err("malformed UTF-8 encoding");
    } else {
      while (pos_ < src_.size() && is_idchar(src_[pos_])) pos_++;
    }
    const size_t end = pos_;
    pos_ = open;
    return end;
  }

  // The rest of a kept annotation: its tokens up to the matching `)`. Other
  // annotations nested in it are skipped.
  Status custom_annotation(TokenList& out, const Token& open, std::string_view id) {
    CustomAnnotation a;
    a.id = id;
    a.at = out.toks.size();
    a.open = open;
    for (uint32_t depth = 0;;) {
      EMBER_TRY(skip_space());
      if (pos_ >= src_.size()) return err("unclosed annotation");
      if (at_annotation()) {
        EMBER_TRY(annotation_id_end());
        EMBER_TRY(skip_annotation());
        continue;
      }
      Token t;
      EMBER_TRY(lex_token(out, &t));
      if (t.kind == Tok::RParen && depth == 0) {
        a.close = t;
        out.customs.push_back(std::move(a));
        return Status::Ok();
      }
      if (t.kind == Tok::LParen) depth++;
      if (t.kind == Tok::RParen) depth--;
      a.items.push_back(t);
    }
  }

  uint32_t col() const { return uint32_t(pos_ - line_start_ + 1); }
  Error err(const char* msg) const {
    return Error::at_text(ErrorKind::Malformed, msg, line_, col());
  }
  void newline() {
    line_++;
    line_start_ = pos_;
  }

  Status skip_space() {
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (c == ' ' || c == '\t' || c == '\r') {
        pos_++;
      } else if (c == '\n') {
        pos_++;
        newline();
      } else if (c == ';' && pos_ + 1 < src_.size() && src_[pos_ + 1] == ';') {
        skip_line_comment();
      } else if (c == '(' && pos_ + 1 < src_.size() && src_[pos_ + 1] == ';') {
        EMBER_TRY(skip_block_comment());
      } else {
        break;
      }
    }
    return Status::Ok();
  }

  // `;;` up to the end of the line: a newline is LF, CR or CR LF.
  void skip_line_comment() {
    while (pos_ < src_.size() && src_[pos_] != '\n' && src_[pos_] != '\r') pos_++;
  }

  Status skip_block_comment() {
    uint32_t depth = 0;
    while (pos_ < src_.size()) {
      if (src_.compare(pos_, 2, "(;") == 0) {
        depth++;
        pos_ += 2;
      } else if (src_.compare(pos_, 2, ";)") == 0) {
        pos_ += 2;
        if (--depth == 0) return Status::Ok();
      } else {
        if (src_[pos_] == '\n') {
          pos_++;
          newline();
        } else {
          pos_++;
        }
      }
    }
    return err("unclosed comment");
  }

  // `(@name ...)` (id already checked): skipped with balanced parentheses,
  // strings respected.
  Status skip_annotation() {
    uint32_t depth = 0;
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (c == '(' && pos_ + 1 < src_.size() && src_[pos_ + 1] == ';') {
        EMBER_TRY(skip_block_comment());
        continue;
      }
      if (c == ';' && pos_ + 1 < src_.size() && src_[pos_ + 1] == ';') {
        skip_line_comment();
        continue;
      }
      if (c == '"') {
        std::string ignored;
        EMBER_TRY(read_string(&ignored));
        continue;
      }
      const unsigned char u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u >= 0x7F)
        return err("illegal character");
      pos_++;
      if (c == '\n') newline();
      else if (c == '(') depth++;
      else if (c == ')' && --depth == 0) return Status::Ok();
    }
    return err("unclosed annotation");
  }

  Status read_string(std::string* out) {
    pos_++;  // opening quote
    while (pos_ < src_.size()) {
      unsigned char c = src_[pos_];
      if (c == '"') {
        pos_++;
        return Status::Ok();
      }
      if (c == '\n' || c < 0x20 || c == 0x7F) return err("illegal character in string");
      if (c == '\\') {
        EMBER_TRY(read_escape(out));
        continue;
      }
      size_t n = utf8_seq_len(src_, pos_);
      if (n == 0) return err("malformed UTF-8 encoding");
      out->append(src_.substr(pos_, n));
      pos_ += n;
    }
    return err("unclosed string");
  }

  Status read_escape(std::string* out) {
    if (pos_ + 1 >= src_.size()) return err("unclosed string");
    char e = src_[pos_ + 1];
    pos_ += 2;
    switch (e) {
      case 'n': *out += '\n'; return Status::Ok();
      case 't': *out += '\t'; return Status::Ok();
      case 'r': *out += '\r'; return Status::Ok();
      case '\\': *out += '\\'; return Status::Ok();
      case '\'': *out += '\''; return Status::Ok();
      case '"': *out += '"'; return Status::Ok();
      case 'u': return read_unicode_escape(out);
      default: break;
    }
    int h = hex_val(e);
    int l = pos_ < src_.size() ? hex_val(src_[pos_]) : -1;
    if (h < 0 || l < 0) return err("illegal escape");
    pos_++;
    *out += char(h * 16 + l);
    return Status::Ok();
  }

  Status read_unicode_escape(std::string* out) {
    if (pos_ >= src_.size() || src_[pos_] != '{') return err("illegal escape");
    pos_++;
    uint32_t cp = 0;
    size_t digits = 0;
    bool last_us = false;
    while (pos_ < src_.size() && src_[pos_] != '}') {
      char c = src_[pos_];
      if (c == '_' && digits > 0 && !last_us) {
        last_us = true;
        pos_++;
        continue;
      }
      int v = hex_val(c);
      if (v < 0) return err("illegal escape");
      cp = cp * 16 + uint32_t(v);
      if (cp > 0x10FFFF) return err("illegal escape");
      digits++;
      last_us = false;
      pos_++;
    }
    if (pos_ >= src_.size() || digits == 0 || last_us) return err("illegal escape");
    pos_++;
    if (cp >= 0xD800 && cp < 0xE000) return err("illegal escape");
    append_utf8(*out, cp);
    return Status::Ok();
  }

  std::string_view src_;
  size_t pos_ = 0;
  uint32_t line_;
  size_t line_start_ = 0;
};

}  // namespace

Expected<TokenList> tokenize(std::string_view src, uint32_t first_line) {
  return Lexer(src, first_line).run();
}

}  // namespace ember::text
