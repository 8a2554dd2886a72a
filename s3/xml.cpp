#include "s3/xml.h"

#include <expat.h>

#include <memory>

namespace cairn::s3 {

namespace {

struct Builder {
  XmlElement root;
  std::vector<XmlElement*> stack;  // open elements, innermost last
  bool has_root = false;
  bool too_deep = false;
  XML_Parser parser = nullptr;
};

std::string_view local_name(const XML_Char* name) {
  std::string_view n(name);
  if (auto colon = n.rfind(':'); colon != std::string_view::npos)
    n.remove_prefix(colon + 1);
  return n;
}

void on_start(void* data, const XML_Char* name, const XML_Char** /*attributes*/) {
  auto* b = static_cast<Builder*>(data);
  if (b->stack.size() >= static_cast<size_t>(kMaxXmlDepth)) {
    b->too_deep = true;
    XML_StopParser(b->parser, XML_FALSE);
    return;
  }
  XmlElement* e;
  if (b->stack.empty()) {
    e = &b->root;
    b->has_root = true;
  } else {
    auto& siblings = b->stack.back()->children;
    siblings.emplace_back();
    e = &siblings.back();
  }
  e->name = std::string(local_name(name));
  b->stack.push_back(e);
}

void on_end(void* data, const XML_Char* /*name*/) {
  auto* b = static_cast<Builder*>(data);
  if (!b->stack.empty())
    b->stack.pop_back();
}

void on_text(void* data, const XML_Char* s, int len) {
  auto* b = static_cast<Builder*>(data);
  if (!b->stack.empty())
    b->stack.back()->text.append(s, static_cast<size_t>(len));
}

}  // namespace

const XmlElement* XmlElement::child(std::string_view n) const {
  for (const auto& c : children) {
    if (c.name == n)
      return &c;
  }
  return nullptr;
}

std::string XmlElement::child_text(std::string_view n) const {
  const XmlElement* c = child(n);
  return c ? c->text : std::string();
}

std::vector<const XmlElement*> XmlElement::children_named(std::string_view n) const {
  std::vector<const XmlElement*> out;
  for (const auto& c : children) {
    if (c.name == n)
      out.push_back(&c);
  }
  return out;
}

Result<XmlElement> parse_xml(std::string_view doc) {
  // The element pointers on the stack point into vectors that grow: a child is only added to
  // the innermost open element, whose own address is stable while it is open (its parent's
  // vector does not grow until it closes).
  Builder b;
  std::unique_ptr<std::remove_pointer_t<XML_Parser>, decltype(&XML_ParserFree)> parser(
      XML_ParserCreate(nullptr), &XML_ParserFree);
  if (!parser)
    return fail(Errc::internal, "cannot create an XML parser");
  b.parser = parser.get();
  XML_SetUserData(parser.get(), &b);
  XML_SetElementHandler(parser.get(), on_start, on_end);
  XML_SetCharacterDataHandler(parser.get(), on_text);
  const auto status = XML_Parse(parser.get(), doc.data(), static_cast<int>(doc.size()), XML_TRUE);
  if (b.too_deep)
    return fail(Errc::invalid_argument,
                "XML nested deeper than " + std::to_string(kMaxXmlDepth) + " elements");
  if (status != XML_STATUS_OK)
    return fail(Errc::invalid_argument,
                std::string("malformed XML: ") + XML_ErrorString(XML_GetErrorCode(parser.get())));
  if (!b.has_root)
    return fail(Errc::invalid_argument, "XML without an element");
  return std::move(b.root);
}

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace cairn::s3
