#include "bench/load/http_parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::load {
namespace {

using State = ResponseParser::State;

struct Outcome {
  State state = State::need_more;
  std::size_t leftover = 0;  // bytes not consumed: still buffered, or never fed
};

// Feeds `input` the way cairn-load does: reads of at most `step` bytes appended to a buffer, the
// consumed prefix dropped after each feed. With `eof`, the stream ends after the input.
Outcome drive(ResponseParser& parser, std::string_view input, std::size_t step, bool eof) {
  std::string buffer;
  std::size_t pos = 0;
  State state = State::need_more;
  while (state == State::need_more && pos < input.size()) {
    std::size_t k = std::min(step, input.size() - pos);
    buffer.append(input.substr(pos, k));
    pos += k;
    ResponseParser::FeedResult r = parser.feed(buffer);
    EXPECT_LE(r.consumed, buffer.size());
    buffer.erase(0, r.consumed);
    state = r.state;
  }
  if (state == State::need_more && eof)
    state = parser.finish_eof();
  return {state, buffer.size() + (input.size() - pos)};
}

struct Case {
  std::string name;
  bool head = false;  // the request was HEAD
  std::string input;
  bool eof = false;  // the stream ends after the input
  State state = State::complete;
  int status = 200;
  bool keep_alive = true;
  std::uint64_t body = 0;
  std::size_t leftover = 0;
};

const std::string kPipelined = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

std::vector<Case> cases() {
  return {
      {"content_length", false, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false,
       State::complete, 200, true, 5},
      {"content_length_zero", false, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", false,
       State::complete, 201, true, 0},
      {"header_names_any_case", false, "HTTP/1.1 200 OK\r\ncontent-LENGTH:3\r\n\r\nabc", false,
       State::complete, 200, true, 3},
      {"reason_phrase_optional", false, "HTTP/1.1 206\r\nContent-Length: 2\r\n\r\nab", false,
       State::complete, 206, true, 2},
      {"bare_lf_line_ends", false, "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", false,
       State::complete, 200, true, 2},
      {"chunked", false,
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n "
       "world\r\n0\r\n\r\n",
       false, State::complete, 200, true, 11},
      {"chunked_with_extensions", false,
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
       "5;name=value\r\nhello\r\n6 ; q=\"a;b\"\r\n world\r\n0;last\r\n\r\n",
       false, State::complete, 200, true, 11},
      {"chunked_upper_hex_and_trailers", false,
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
       "A\r\n0123456789\r\n0\r\nX-Checksum: 1\r\nX-Other: 2\r\n\r\n",
       false, State::complete, 200, true, 10},
      {"chunked_wins_over_content_length", false,
       "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
       "3\r\nabc\r\n0\r\n\r\n",
       false, State::complete, 200, true, 3},
      {"head_ignores_content_length", true,
       "HTTP/1.1 200 OK\r\nContent-Length: 4096\r\nDocker-Content-Digest: sha256:00\r\n\r\n"},
      {"head_ignores_chunked", true, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"},
      {"no_content_204", false, "HTTP/1.1 204 No Content\r\n\r\n", false, State::complete, 204},
      {"not_modified_304_with_length", false,
       "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n", false, State::complete, 304},
      {"interim_100_skipped", false,
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok", false,
       State::complete, 202, true, 2},
      {"connection_close", false,
       "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", false,
       State::complete, 200, false, 2},
      {"connection_tokens", false,
       "HTTP/1.1 200 OK\r\nConnection: Upgrade, Close\r\nContent-Length: 0\r\n\r\n", false,
       State::complete, 200, false, 0},
      {"http10_closes_by_default", false, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false,
       State::complete, 200, false, 2},
      {"http10_keep_alive", false,
       "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", false,
       State::complete, 200, true, 2},
      {"body_until_eof", false, "HTTP/1.1 200 OK\r\n\r\nabc", true, State::complete, 200, false, 3},
      {"body_until_eof_needs_eof", false, "HTTP/1.1 200 OK\r\n\r\nabc", false, State::need_more,
       200, false, 3},
      {"stops_at_end_of_response", false,
       "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope" + kPipelined, false,
       State::complete, 404, true, 4, kPipelined.size()},
      {"incomplete_headers", false, "HTTP/1.1 200 OK\r\nContent-Len", false, State::need_more, 0,
       true, 0, 28},
      {"incomplete_body", false, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", false,
       State::need_more, 200, true, 3},
      {"eof_inside_body", false, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true,
       State::error, 200, false, 3},
      {"eof_inside_chunk", false, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
       true, State::error, 200, false, 2},
      {"eof_before_response", false, "", true, State::error, 0, false},
      {"bad_status_line", false, "HTP/1.1 200 OK\r\n\r\n", false, State::error, 0, false},
      {"bad_status_code", false, "HTTP/1.1 2x0 OK\r\n\r\n", false, State::error, 0, false},
      {"bad_content_length", false, "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", false,
       State::error, 200, false},
      {"conflicting_content_length", false,
       "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", false, State::error,
       200, false},
      {"bad_chunk_size", false, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
       false, State::error, 200, false},
      {"chunk_without_crlf", false,
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n0\r\n\r\n", false,
       State::error, 200, false, 2},
      {"switching_protocols_refused", false, "HTTP/1.1 101 Switching Protocols\r\n\r\n", false,
       State::error, 101, false},
  };
}

// Every case is fed whole, in two pieces split at every offset, and one byte at a time: the
// outcome must not depend on how the bytes arrive.
TEST(ResponseParser, CaseTable) {
  for (const Case& c : cases()) {
    std::vector<std::size_t> steps = {c.input.size() + 1, 1, 2, 7};
    for (std::size_t step : steps) {
      SCOPED_TRACE(c.name + " step " + std::to_string(step));
      ResponseParser p;
      p.reset(c.head);
      Outcome o = drive(p, c.input, step, c.eof);
      EXPECT_EQ(o.state, c.state);
      EXPECT_EQ(p.keep_alive(), c.keep_alive);
      EXPECT_EQ(p.body_bytes(), c.body);
      if (c.state == State::error) {
        EXPECT_FALSE(p.error_detail().empty());
        if (c.status != 0) {
          EXPECT_EQ(p.status(), c.status);
        }
      } else {
        EXPECT_EQ(p.status(), c.status);
        EXPECT_EQ(o.leftover, c.leftover);
      }
    }
  }
}

TEST(ResponseParser, SplitAtEveryOffset) {
  for (const Case& c : cases()) {
    if (c.state != State::complete)
      continue;
    for (std::size_t cut = 1; cut < c.input.size(); ++cut) {
      SCOPED_TRACE(c.name + " cut " + std::to_string(cut));
      ResponseParser p;
      p.reset(c.head);
      std::string buffer = c.input.substr(0, cut);
      ResponseParser::FeedResult r = p.feed(buffer);
      buffer.erase(0, r.consumed);
      State state = r.state;
      std::size_t unfed = c.input.size() - cut;
      if (state == State::need_more) {
        buffer += c.input.substr(cut);
        unfed = 0;
        r = p.feed(buffer);
        buffer.erase(0, r.consumed);
        state = r.state;
      }
      if (state == State::need_more && c.eof)
        state = p.finish_eof();
      EXPECT_EQ(state, State::complete);
      EXPECT_EQ(p.status(), c.status);
      EXPECT_EQ(p.body_bytes(), c.body);
      EXPECT_EQ(buffer.size() + unfed, c.leftover);
    }
  }
}

TEST(ResponseParser, ResetForNextResponseOnSameStream) {
  std::string stream = "HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n" + kPipelined;
  ResponseParser p;
  p.reset(true);  // HEAD: the first response has no body despite its length
  ResponseParser::FeedResult r = p.feed(stream);
  ASSERT_EQ(r.state, State::complete);
  stream.erase(0, r.consumed);
  EXPECT_EQ(stream, kPipelined);
  p.reset(false);
  r = p.feed(stream);
  EXPECT_EQ(r.state, State::complete);
  EXPECT_EQ(r.consumed, kPipelined.size());
  EXPECT_EQ(p.wire_bytes(), kPipelined.size());
}

TEST(ResponseParser, LargeBodyCountedNotKept) {
  std::string head = "HTTP/1.1 206 Partial Content\r\nContent-Length: 1048576\r\n\r\n";
  ResponseParser p;
  p.reset(false);
  ResponseParser::FeedResult r = p.feed(head);
  ASSERT_EQ(r.state, State::need_more);
  ASSERT_EQ(r.consumed, head.size());
  std::string piece(65536, 'x');
  for (int i = 0; i < 15; ++i) {
    r = p.feed(piece);
    ASSERT_EQ(r.state, State::need_more);
    ASSERT_EQ(r.consumed, piece.size());
  }
  r = p.feed(piece + "HTTP/1.1");
  EXPECT_EQ(r.state, State::complete);
  EXPECT_EQ(r.consumed, piece.size());
  EXPECT_EQ(p.body_bytes(), 1048576u);
}

TEST(ResponseParser, HeaderBlockTooLarge) {
  std::string head =
      "HTTP/1.1 200 OK\r\nX-Big: " + std::string(ResponseParser::kMaxHeaderBytes, 'a') + "\r\n";
  ResponseParser p;
  p.reset(false);
  EXPECT_EQ(p.feed(head).state, State::error);
}

TEST(ResponseParser, FeedAfterCompleteConsumesNothing) {
  ResponseParser p;
  p.reset(false);
  std::string s = "HTTP/1.1 204 No Content\r\n\r\n";
  ASSERT_EQ(p.feed(s).state, State::complete);
  ResponseParser::FeedResult r = p.feed("more");
  EXPECT_EQ(r.state, State::complete);
  EXPECT_EQ(r.consumed, 0u);
}

}  // namespace
}  // namespace cairn::load
