// Tokenizer for the WebAssembly text format (WAT and WAST scripts).
//
// Place in the pipeline: first step of the text front end. The whole source
// is tokenized up front into a flat vector the parsers index into; tokens
// refer to the source text by string_view, so the source must outlive them.
//
// Invariants: comments (line, nested block) and annotations `(@...)` are
// dropped from the token vector; the annotations the parser reads (`@custom`,
// `@name`, branch hints: see CustomAnnotation) are kept aside, tokenized,
// with the place in the token vector where they stood. String tokens carry their decoded bytes;
// every token knows its 1-based line:column. Bad characters, unterminated
// strings or comments and bad escapes are Malformed errors, never crashes.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "support/error.hh"

namespace ember::text {

enum class Tok : uint8_t {
  LParen,
  RParen,
  Keyword,   // starts with a lowercase letter: `func`, `i32.add`, `offset=4`
  Id,        // `$name`
  Number,    // starts with a digit, `+` or `-` (checked by the literal parsers)
  String,    // "..." (decoded bytes in TokenList::strings)
  Reserved,  // any other idchar run
  Eof,
};

struct Token {
  Tok kind = Tok::Eof;
  std::string_view text;  // raw source text (an Id's is `$name`, see quoted_ids)
  uint32_t line = 0, col = 0;
  uint32_t str = 0;   // index into TokenList::strings for Tok::String
  size_t offset = 0;  // byte offset in the source
};

// One annotation the text parser reads, set aside by the lexer: `(@custom
// ...)`, `(@name ...)` or `(@metadata.code.branch_hint ...)`.
struct CustomAnnotation {
  std::string_view id;       // "custom", "name", "metadata.code.branch_hint"
  size_t at = 0;             // index in TokenList::toks of the token after it
  Token open;                // the `(@custom` (position for errors)
  std::vector<Token> items;  // the tokens between `(@custom` and its `)`
  Token close;               // that `)`
};

// Move-only: tokens view `quoted_ids`, whose elements a move keeps in place
// and a copy would not.
struct TokenList {
  TokenList() = default;
  TokenList(TokenList&&) = default;
  TokenList& operator=(TokenList&&) = default;
  TokenList(const TokenList&) = delete;
  TokenList& operator=(const TokenList&) = delete;

  std::vector<Token> toks;  // always ends with one Tok::Eof
  std::vector<std::string> strings;
  // The spellings `$name` of quoted identifiers `$"..."` (escapes decoded),
  // which their tokens' `text` views: `$"f"` and `$f` are one identifier.
  // A deque, so the views stay valid as it grows and when the list moves.
  std::deque<std::string> quoted_ids;
  std::vector<CustomAnnotation> customs;  // in source order
  bool any_annotation = false;            // some `(@...)` was seen
  const std::string& string_of(const Token& t) const { return strings[t.str]; }
};

// Tokenizes `src`. Line numbers start at `first_line` (for snippets of a
// larger script).
Expected<TokenList> tokenize(std::string_view src, uint32_t first_line = 1);

// Reading a TokenList front to back: the position and the small helpers
// the script and component parsers share. Reading past the end keeps
// giving the final Eof token.
class TokenCursor {
 public:
  explicit TokenCursor(const TokenList& tl) : tl_(tl) {}

 protected:
  const Token& peek(size_t k = 0) const {
    size_t i = pos_ + k;
    return tl_.toks[i < tl_.toks.size() ? i : tl_.toks.size() - 1];
  }
  bool at(Tok k) const { return peek().kind == k; }
  bool at_kw(std::string_view kw, size_t k = 0) const {
    return peek(k).kind == Tok::Keyword && peek(k).text == kw;
  }
  bool at_lparen_kw(std::string_view kw) const { return at(Tok::LParen) && at_kw(kw, 1); }
  const Token& next() { return tl_.toks[pos_ < tl_.toks.size() - 1 ? pos_++ : pos_]; }
  Error error_at(const Token& t, std::string msg) const {
    return Error::at_text(ErrorKind::Malformed, std::move(msg), t.line, t.col);
  }
  Error error(std::string msg) const { return error_at(peek(), std::move(msg)); }
  Status expect(Tok k) {
    if (!at(k)) return error(at(Tok::Eof) ? "unexpected end of input" : "unexpected token");
    next();
    return Status::Ok();
  }

  const TokenList& tl_;
  size_t pos_ = 0;
};

}  // namespace ember::text
