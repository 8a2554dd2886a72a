// The XML S3 answers with (ListBucketResult, InitiateMultipartUploadResult, CopyObjectResult,
// Error, ...), read with expat into a small element tree. Bounded: the caller reads the body
// with a limit first, and the tree refuses documents nested deeper than kMaxXmlDepth. Namespace
// prefixes and attributes are ignored (S3 puts its elements in one default namespace).
#pragma once

#include "storage/common/result.h"

#include <string>
#include <string_view>
#include <vector>

namespace cairn::s3 {

inline constexpr int kMaxXmlDepth = 32;

struct XmlElement {
  std::string name;  // local name: "Contents"
  std::string text;  // the character data directly inside it (entities decoded)
  std::vector<XmlElement> children;

  // The first child named `name`, or nullptr.
  const XmlElement* child(std::string_view name) const;
  // The text of the first child named `name`, or "" when there is none.
  std::string child_text(std::string_view name) const;
  // Every child named `name`, in document order.
  std::vector<const XmlElement*> children_named(std::string_view name) const;
};

// Parses `doc`; returns its root element. Errors: invalid_argument (not well-formed XML, or
// nested deeper than kMaxXmlDepth).
Result<XmlElement> parse_xml(std::string_view doc);

// Escapes & < > " ' for element text.
std::string xml_escape(std::string_view s);

}  // namespace cairn::s3
