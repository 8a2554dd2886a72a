// Filter: containerd's filter expressions over content Info, as Store::walk takes them.
//
// Grammar (a subset of containerd's filters package):
//   filters    ::= filter ("," filter)*          -- one string; its parts are ANDed
//   filter     ::= fieldpath [op value]          -- without op: the field is present
//   fieldpath  ::= field ("." field)*            -- "digest", "size", "labels.<key>"
//   field      ::= name | quoted                 -- quoted: "..." with \" and \\ escapes
//   op         ::= "==" | "!=" | "~="            -- "~=" is a regex search (RE2 syntax, as
//                                                   Go's regexp in containerd)
//   value      ::= name | quoted
// Several filter strings passed together are ORed, as containerd does.
//   digest==sha256:…   labels."k"==v   labels.k   labels."a.b"!=x   labels.k~=^v[0-9]+$
#pragma once

#include "storage/common/result.h"
#include "storage/content/store.h"

#include <memory>
#include <span>
#include <string>
#include <vector>

namespace cairn::content {

class Filter {
 public:
  // Parses filter strings (ORed with each other). An empty list matches everything.
  // Errors: invalid_argument with the position of the fault.
  static Result<Filter> parse(std::span<const std::string> exprs);

  Filter();
  ~Filter();
  Filter(Filter&&) noexcept;
  Filter& operator=(Filter&&) noexcept;

  // Whether `info` passes. Thread-safe (const).
  bool match(const Info& info) const;
  // True when the filter matches everything.
  bool empty() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::content
