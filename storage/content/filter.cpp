#include "storage/content/filter.h"

#include <re2/re2.h>

#include <charconv>
#include <memory>
#include <optional>
#include <string_view>

namespace cairn::content {
namespace {

enum class Field { digest, size, label };
enum class Op { present, equal, not_equal, matches };

// One selector: fieldpath [op value].
struct Term {
  Field field = Field::digest;
  std::string label_key;  // for Field::label
  Op op = Op::present;
  std::string value;
  std::optional<int64_t> size_value;   // for size == / !=
  std::shared_ptr<const re2::RE2> re;  // for ~= (immutable, so shared by copies)
};

// The longest filter string accepted.
constexpr size_t kMaxFilterSize = 4096;
// The memory one compiled ~= expression may use (RE2's own default is 8 MiB).
constexpr int64_t kMaxRegexMemory = 1 << 20;

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '/';
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// A recursive-descent scanner over one filter string.
class Parser {
 public:
  Parser(std::string_view text, size_t index) : text_(text), index_(index) {}

  // The ANDed terms of the string; an empty (or blank) string yields none (matches all).
  Result<std::vector<Term>> parse() {
    std::vector<Term> terms;
    skip_space();
    if (at_end())
      return terms;
    for (;;) {
      auto term = parse_term();
      if (!term)
        return term.error();
      terms.push_back(std::move(*term));
      skip_space();
      if (at_end())
        return terms;
      if (peek() != ',')
        return error("expected ',' or end of filter");
      ++pos_;
      skip_space();
    }
  }

 private:
  Result<Term> parse_term() {
    size_t start = pos_;
    std::vector<std::string> path;
    for (;;) {
      auto field = parse_field();
      if (!field)
        return field.error();
      path.push_back(std::move(*field));
      if (at_end() || peek() != '.')
        break;
      ++pos_;
    }
    Term term;
    if (path[0] == "digest" && path.size() == 1) {
      term.field = Field::digest;
    } else if (path[0] == "size" && path.size() == 1) {
      term.field = Field::size;
    } else if (path[0] == "labels" && path.size() >= 2) {
      term.field = Field::label;
      // As containerd does, the rest of an unquoted path is the key: labels.a.b is key "a.b".
      for (size_t i = 1; i < path.size(); ++i) {
        if (i > 1)
          term.label_key += '.';
        term.label_key += path[i];
      }
    } else if (path[0] == "labels") {
      return error_at(start, "labels needs a key (labels.<key>)");
    } else {
      return error_at(start, "unknown field '" + path[0].substr(0, 64) +
                                 "' (expected digest, size or labels.<key>)");
    }

    skip_space();
    if (at_end() || peek() == ',')
      return term;  // presence
    std::string_view rest = text_.substr(pos_);
    if (rest.starts_with("==")) {
      term.op = Op::equal;
    } else if (rest.starts_with("!=")) {
      term.op = Op::not_equal;
    } else if (rest.starts_with("~=")) {
      term.op = Op::matches;
    } else {
      return error("expected '==', '!=', '~=', ',' or end of filter");
    }
    pos_ += 2;
    skip_space();
    size_t value_pos = pos_;
    auto value = parse_value();
    if (!value)
      return value.error();
    term.value = std::move(*value);

    if (term.op == Op::matches) {
      // RE2, as containerd's filters use Go's regexp: matching is linear in the value's length
      // whatever the pattern, so no expression a client sends can make a scan backtrack for
      // ever ("(a+)+$" against a long value took std::regex exponential time).
      re2::RE2::Options opts;
      opts.set_log_errors(false);
      opts.set_max_mem(kMaxRegexMemory);
      auto re = std::make_shared<const re2::RE2>(term.value, opts);
      if (!re->ok())
        return error_at(value_pos, "invalid regular expression: " + re->error());
      term.re = std::move(re);
    } else if (term.field == Field::size) {
      int64_t n = 0;
      const char* b = term.value.data();
      const char* e = b + term.value.size();
      auto [end, ec] = std::from_chars(b, e, n);
      if (term.value.empty() || ec != std::errc() || end != e || n < 0) {
        return error_at(value_pos, "size must be a non-negative decimal integer");
      }
      term.size_value = n;
    }
    return term;
  }

  Result<std::string> parse_field() {
    if (at_end())
      return error("expected a field name");
    if (peek() == '"')
      return parse_quoted();
    size_t start = pos_;
    while (!at_end() && is_name_char(peek()))
      ++pos_;
    if (pos_ == start)
      return error("expected a field name");
    return std::string(text_.substr(start, pos_ - start));
  }

  Result<std::string> parse_value() {
    if (at_end() || peek() == ',')
      return error("expected a value");
    if (peek() == '"')
      return parse_quoted();
    size_t start = pos_;
    while (!at_end() && peek() != ',' && !is_space(peek())) {
      if (peek() == '"')
        return error("unexpected '\"' in an unquoted value");
      ++pos_;
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  Result<std::string> parse_quoted() {
    size_t start = pos_;
    ++pos_;  // opening quote
    std::string out;
    while (!at_end()) {
      char c = text_[pos_++];
      if (c == '"')
        return out;
      if (c == '\\') {
        if (at_end())
          break;
        char e = text_[pos_++];
        if (e != '"' && e != '\\')
          return error_at(pos_ - 2, "unknown escape (only \\\" and \\\\)");
        out += e;
      } else {
        out += c;
      }
    }
    return error_at(start, "unterminated quoted string");
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  void skip_space() {
    while (!at_end() && is_space(peek()))
      ++pos_;
  }
  Error error(std::string_view what) const { return error_at(pos_, what); }
  Error error_at(size_t pos, std::string_view what) const {
    return fail(Errc::invalid_argument, "filter " + std::to_string(index_) + " column " +
                                            std::to_string(pos + 1) + ": " + std::string(what));
  }

  std::string_view text_;
  size_t index_;
  size_t pos_ = 0;
};

bool match_term(const Term& t, const Info& info) {
  std::string value;
  bool present = true;
  switch (t.field) {
    case Field::digest:
      value = info.digest.str();
      break;
    case Field::size:
      if (t.size_value) {
        return t.op == Op::equal ? info.size == *t.size_value : info.size != *t.size_value;
      }
      value = std::to_string(info.size);
      break;
    case Field::label: {
      auto it = info.labels.find(t.label_key);
      present = it != info.labels.end();
      if (present)
        value = it->second;
      break;
    }
  }
  switch (t.op) {
    case Op::present:
      return present;
    case Op::equal:
      return present && value == t.value;
    case Op::not_equal:
      // containerd's rule: an absent field differs from every value.
      return !present || value != t.value;
    case Op::matches:
      return present && re2::RE2::PartialMatch(value, *t.re);
  }
  return false;
}

}  // namespace

struct Filter::Impl {
  // Outer: ORed alternatives (one per filter string); inner: ANDed terms. An alternative
  // without terms matches everything.
  std::vector<std::vector<Term>> any_of;
};

Filter::Filter() : impl_(std::make_unique<Impl>()) {}
Filter::~Filter() = default;
Filter::Filter(Filter&&) noexcept = default;
Filter& Filter::operator=(Filter&&) noexcept = default;

Result<Filter> Filter::parse(std::span<const std::string> exprs) {
  Filter f;
  for (size_t i = 0; i < exprs.size(); ++i) {
    if (exprs[i].size() > kMaxFilterSize) {
      return fail(Errc::invalid_argument, "filter " + std::to_string(i) + " is longer than " +
                                              std::to_string(kMaxFilterSize) + " bytes");
    }
    auto terms = Parser(exprs[i], i).parse();
    if (!terms)
      return terms.error();
    f.impl_->any_of.push_back(std::move(*terms));
  }
  return f;
}

bool Filter::empty() const noexcept {
  if (impl_->any_of.empty())
    return true;
  for (const auto& alt : impl_->any_of) {
    if (alt.empty())
      return true;
  }
  return false;
}

bool Filter::match(const Info& info) const {
  if (impl_->any_of.empty())
    return true;
  for (const auto& alt : impl_->any_of) {
    bool all = true;
    for (const Term& t : alt) {
      if (!match_term(t, info)) {
        all = false;
        break;
      }
    }
    if (all)
      return true;
  }
  return false;
}

}  // namespace cairn::content
