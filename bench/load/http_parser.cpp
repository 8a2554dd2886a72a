#include "bench/load/http_parser.h"

#include <algorithm>
#include <cstring>

namespace cairn::load {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i]))
      return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

// Offset just past the blank line ending a header block, searching from `from`; 0 if absent.
// Bare LF line ends are accepted, as most clients do.
std::size_t find_header_end(std::string_view data, std::size_t from) {
  const char* base = data.data();
  std::size_t i = from;
  while (i < data.size()) {
    const void* hit = std::memchr(base + i, '\n', data.size() - i);
    if (hit == nullptr)
      return 0;
    std::size_t lf = static_cast<const char*>(hit) - base;
    if (lf + 1 < data.size() && data[lf + 1] == '\n')
      return lf + 2;
    if (lf + 2 < data.size() && data[lf + 1] == '\r' && data[lf + 2] == '\n')
      return lf + 3;
    i = lf + 1;
  }
  return 0;
}

// Calls fn(token) for each comma-separated token of a header value, trimmed.
template <typename Fn>
void for_each_token(std::string_view value, Fn fn) {
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    fn(trim(value.substr(0, comma)));
    if (comma == std::string_view::npos)
      break;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace

void ResponseParser::reset(bool head_request) {
  *this = ResponseParser{};
  head_request_ = head_request;
}

ResponseParser::FeedResult ResponseParser::fail(std::size_t consumed, std::string_view why) {
  phase_ = Phase::failed;
  error_ = why;
  keep_alive_ = false;
  return {consumed, State::error};
}

bool ResponseParser::parse_headers(std::string_view block) {
  // Status line: HTTP/1.x SSS[ reason]
  std::size_t eol = block.find('\n');
  std::string_view line = trim(block.substr(0, eol));
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || (line[7] != '0' && line[7] != '1') ||
      line[8] != ' ' || (line.size() > 12 && line[12] != ' ')) {
    error_ = "malformed status line";
    return false;
  }
  int status = 0;
  for (int i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') {
      error_ = "malformed status code";
      return false;
    }
    status = status * 10 + (line[i] - '0');
  }
  if (status < 100) {
    error_ = "malformed status code";
    return false;
  }
  status_ = status;
  bool http11 = line[7] == '1';
  bool saw_close = false, saw_keep_alive = false;
  bool has_length = false, chunked = false, other_coding = false;
  std::uint64_t length = 0;

  block.remove_prefix(eol + 1);
  while (!block.empty()) {
    eol = block.find('\n');
    std::string_view raw = block.substr(0, eol);
    block.remove_prefix(eol == std::string_view::npos ? block.size() : eol + 1);
    if (trim(raw).empty())
      break;  // the blank line
    std::size_t colon = raw.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      error_ = "malformed header line";
      return false;
    }
    std::string_view name = raw.substr(0, colon);
    std::string_view value = trim(raw.substr(colon + 1));
    if (iequals(name, "content-length")) {
      if (value.empty() || value.size() > 18) {
        error_ = "bad Content-Length";
        return false;
      }
      std::uint64_t v = 0;
      for (char c : value) {
        if (c < '0' || c > '9') {
          error_ = "bad Content-Length";
          return false;
        }
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
      }
      if (has_length && v != length) {
        error_ = "conflicting Content-Length";
        return false;
      }
      has_length = true;
      length = v;
    } else if (iequals(name, "transfer-encoding")) {
      // Only the last coding decides the framing: chunked last means chunked framing.
      for_each_token(value, [&](std::string_view token) {
        if (token.empty())
          return;
        chunked = iequals(token, "chunked");
        other_coding = !chunked;
      });
    } else if (iequals(name, "connection")) {
      for_each_token(value, [&](std::string_view token) {
        if (iequals(token, "close"))
          saw_close = true;
        if (iequals(token, "keep-alive"))
          saw_keep_alive = true;
      });
    }
  }

  keep_alive_ = !saw_close && (http11 || saw_keep_alive);
  if (status < 200) {
    if (status == 101) {
      error_ = "101 Switching Protocols is not supported";
      return false;
    }
    phase_ = Phase::headers;  // interim: the caller parses the next header block
  } else if (head_request_ || status == 204 || status == 304) {
    phase_ = Phase::done;
  } else if (chunked) {
    phase_ = Phase::chunk_size;
  } else if (other_coding || !has_length) {
    phase_ = Phase::body_eof;  // RFC 9112 §6.3: the body is delimited by the end of the stream
    keep_alive_ = false;
  } else {
    remaining_ = length;
    phase_ = length == 0 ? Phase::done : Phase::body_length;
  }
  return true;
}

ResponseParser::FeedResult ResponseParser::feed(std::string_view data) {
  if (phase_ == Phase::failed)
    return {0, State::error};
  if (phase_ == Phase::done)
    return {0, State::complete};
  std::size_t pos = 0;
  const std::size_t n = data.size();

  while (phase_ == Phase::headers) {
    std::string_view rest = data.substr(pos);
    std::size_t from = scanned_ >= 2 ? scanned_ - 2 : 0;
    std::size_t end = find_header_end(rest, from);
    if (end == 0) {
      scanned_ = rest.size();
      if (rest.size() > kMaxHeaderBytes)
        return fail(pos, "header block too large");
      return {pos, State::need_more};
    }
    if (end > kMaxHeaderBytes)
      return fail(pos, "header block too large");
    if (!parse_headers(rest.substr(0, end)))
      return fail(pos, error_);
    pos += end;
    wire_bytes_ += end;
    scanned_ = 0;
    // An interim 1xx leaves the phase at headers: loop to the final response's header block.
  }

  std::size_t body_start = pos;
  auto take = [&](std::uint64_t want) {
    std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(want, n - pos));
    pos += k;
    return k;
  };
  while (phase_ != Phase::done && pos < n) {
    const char c = data[pos];
    switch (phase_) {
      case Phase::body_length: {
        std::size_t k = take(remaining_);
        remaining_ -= k;
        body_bytes_ += k;
        if (remaining_ == 0)
          phase_ = Phase::done;
        break;
      }
      case Phase::body_eof:
        body_bytes_ += take(n - pos);
        break;
      case Phase::chunk_size: {
        int v = hex_value(c);
        if (v >= 0) {
          if (++chunk_digits_ > 15) {
            wire_bytes_ += pos - body_start;
            return fail(pos, "chunk size too large");
          }
          chunk_size_ = chunk_size_ * 16 + static_cast<std::uint64_t>(v);
          ++pos;
          break;
        }
        if (chunk_digits_ == 0) {
          wire_bytes_ += pos - body_start;
          return fail(pos, "malformed chunk size");
        }
        if (c == ';' || c == ' ' || c == '\t') {
          phase_ = Phase::chunk_ext;
        } else if (c == '\r') {
          phase_ = Phase::chunk_size_lf;
          ++pos;
        } else if (c == '\n') {
          phase_ = Phase::chunk_size_lf;  // bare LF: handled by the next case without advancing
        } else {
          wire_bytes_ += pos - body_start;
          return fail(pos, "malformed chunk size");
        }
        break;
      }
      case Phase::chunk_ext: {
        const void* lf = std::memchr(data.data() + pos, '\n', n - pos);
        if (lf == nullptr) {
          pos = n;
          break;
        }
        pos = static_cast<std::size_t>(static_cast<const char*>(lf) - data.data());
        phase_ = Phase::chunk_size_lf;
        break;
      }
      case Phase::chunk_size_lf:
        if (c != '\n') {
          wire_bytes_ += pos - body_start;
          return fail(pos, "malformed chunk size line");
        }
        ++pos;
        if (chunk_size_ == 0) {
          phase_ = Phase::trailer_start;
        } else {
          remaining_ = chunk_size_;
          phase_ = Phase::chunk_data;
        }
        break;
      case Phase::chunk_data: {
        std::size_t k = take(remaining_);
        remaining_ -= k;
        body_bytes_ += k;
        if (remaining_ == 0)
          phase_ = Phase::chunk_data_cr;
        break;
      }
      case Phase::chunk_data_cr:
        if (c == '\r') {
          phase_ = Phase::chunk_data_lf;
          ++pos;
        } else if (c == '\n') {
          phase_ = Phase::chunk_data_lf;
        } else {
          wire_bytes_ += pos - body_start;
          return fail(pos, "chunk data not followed by CRLF");
        }
        break;
      case Phase::chunk_data_lf:
        if (c != '\n') {
          wire_bytes_ += pos - body_start;
          return fail(pos, "chunk data not followed by CRLF");
        }
        ++pos;
        chunk_size_ = 0;
        chunk_digits_ = 0;
        phase_ = Phase::chunk_size;
        break;
      case Phase::trailer_start:
        if (c == '\r') {
          phase_ = Phase::trailer_end_lf;
          ++pos;
        } else if (c == '\n') {
          phase_ = Phase::done;
          ++pos;
        } else {
          phase_ = Phase::trailer_line;
        }
        break;
      case Phase::trailer_line: {
        const void* lf = std::memchr(data.data() + pos, '\n', n - pos);
        if (lf == nullptr) {
          pos = n;
          break;
        }
        pos = static_cast<std::size_t>(static_cast<const char*>(lf) - data.data()) + 1;
        phase_ = Phase::trailer_start;
        break;
      }
      case Phase::trailer_end_lf:
        if (c != '\n') {
          wire_bytes_ += pos - body_start;
          return fail(pos, "malformed trailer section");
        }
        ++pos;
        phase_ = Phase::done;
        break;
      case Phase::headers:
      case Phase::done:
      case Phase::failed:
        break;
    }
  }
  wire_bytes_ += pos - body_start;
  return {pos, phase_ == Phase::done ? State::complete : State::need_more};
}

ResponseParser::State ResponseParser::finish_eof() {
  if (phase_ == Phase::body_eof) {
    phase_ = Phase::done;
    keep_alive_ = false;
    return State::complete;
  }
  if (phase_ == Phase::done)
    return State::complete;
  phase_ = Phase::failed;
  keep_alive_ = false;
  error_ = started() ? "end of stream inside a response" : "end of stream before a response";
  return State::error;
}

}  // namespace cairn::load
