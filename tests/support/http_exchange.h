// One HTTP/1.1 request/response over any Beast sync stream (a socket, a TLS stream): the part
// the plain and the TLS test clients share. Included only by their .cpp files.
#pragma once

#include "tests/support/http_client.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cctype>
#include <string>
#include <utility>

namespace cairn::testing {

// Writes one request on `stream` and reads the whole response. `chunked` sends the body with
// Transfer-Encoding: chunked. Sets `keep_alive` to whether the server keeps the connection.
template <class Stream>
HttpResult exchange(Stream& stream, boost::beast::flat_buffer& buffer, const std::string& host,
                    const std::string& method, const std::string& target, const std::string& body,
                    const Headers& headers, bool& keep_alive, bool chunked = false) {
  namespace http = boost::beast::http;
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.method_string(method);
  req.set(http::field::host, host);
  for (const auto& [k, v] : headers)
    req.set(k, v);
  if (!body.empty() || method == "PUT" || method == "POST" || method == "PATCH") {
    req.body() = body;
    req.prepare_payload();
    if (chunked)
      req.chunked(true);
  }
  http::write(stream, req);
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  parser.skip(method == "HEAD");
  http::read(stream, buffer, parser);
  auto& res = parser.get();
  HttpResult out;
  out.status = res.result_int();
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (char& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  out.body = std::move(res.body());
  keep_alive = res.keep_alive();
  return out;
}

}  // namespace cairn::testing
