#include "storage/gc/retention.h"

#include "storage/common/glob.h"
#include "storage/gc/collector.h"
#include "storage/metadata/keys.h"
#include "storage/metadata/records.h"

#include <re2/re2.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

namespace cairn::gc {

namespace keys = metadata::keys;
using content::Digest;

const RetentionRule* RetentionPolicy::rule_for(std::string_view ns) const {
  for (const RetentionRule& r : rules) {
    for (const std::string& g : r.repositories) {
      if (glob_match(g, ns))
        return &r;
    }
  }
  return nullptr;
}

Result<void> validate(const RetentionRule& rule) {
  for (const std::string& p : rule.keep_tags) {
    RE2 re(p, RE2::Quiet);
    if (!re.ok())
      return fail(Errc::invalid_argument, "bad keep_tags pattern '" + p + "': " + re.error());
  }
  return {};
}

RetentionPlan plan(const RetentionRule& rule, const RetentionInput& input, Timestamp now) {
  std::map<Digest, const RetentionInput::Manifest*> manifests;
  for (const auto& m : input.manifests)
    manifests.emplace(m.digest, &m);
  auto pinned = [&](const Digest& d) {
    auto it = manifests.find(d);
    return it != manifests.end() && it->second->pinned;
  };

  // Tags: newest first (by push time, then name for a stable order).
  std::vector<const RetentionInput::Tag*> tags;
  for (const auto& t : input.tags)
    tags.push_back(&t);
  std::sort(tags.begin(), tags.end(), [](const auto* a, const auto* b) {
    return a->pushed != b->pushed ? a->pushed > b->pushed : a->name < b->name;
  });
  std::vector<std::unique_ptr<RE2>> patterns;
  for (const std::string& p : rule.keep_tags)
    patterns.push_back(std::make_unique<RE2>(p, RE2::Quiet));

  RetentionPlan out;
  std::set<Digest> tagged_kept, tagged_removed;
  for (size_t i = 0; i < tags.size(); ++i) {
    const auto& t = *tags[i];
    bool keep = !rule.limits_tags() || pinned(t.target);
    if (!keep && rule.keep_newest && i < *rule.keep_newest)
      keep = true;
    if (!keep && rule.keep_within) {
      Timestamp last = std::max(t.pushed, t.pulled.value_or(t.pushed));
      keep = now - last <= *rule.keep_within;
    }
    for (size_t p = 0; !keep && p < patterns.size(); ++p)
      keep = patterns[p]->ok() && RE2::FullMatch(t.name, *patterns[p]);
    if (keep) {
      tagged_kept.insert(t.target);
    } else {
      tagged_removed.insert(t.target);
      out.tags.push_back(t.name);
    }
  }
  std::sort(out.tags.begin(), out.tags.end());

  // Manifests: candidates are those losing their last tag now, and (with untagged_older_than)
  // those no tag named, created long enough ago. Every other manifest is kept, and so is
  // everything a kept manifest leads to.
  std::set<Digest> tagged_before;
  for (const auto& t : input.tags)
    tagged_before.insert(t.target);
  std::set<Digest> kept;
  std::vector<Digest> work;
  for (const auto& m : input.manifests) {
    bool candidate = false;
    if (m.pinned || tagged_kept.contains(m.digest))
      candidate = false;
    else if (tagged_removed.contains(m.digest))
      candidate = true;
    else if (!tagged_before.contains(m.digest) && rule.untagged_older_than)
      candidate = now - m.created > *rule.untagged_older_than;
    if (!candidate && kept.insert(m.digest).second)
      work.push_back(m.digest);
  }
  std::multimap<Digest, Digest> referrers;  // subject → manifest
  for (const auto& m : input.manifests) {
    if (m.subject)
      referrers.emplace(*m.subject, m.digest);
  }
  while (!work.empty()) {
    Digest d = std::move(work.back());
    work.pop_back();
    auto it = manifests.find(d);
    if (it != manifests.end()) {
      for (const Digest& c : it->second->refers_to) {
        if (manifests.contains(c) && kept.insert(c).second)
          work.push_back(c);
      }
    }
    auto [lo, hi] = referrers.equal_range(d);
    for (auto r = lo; r != hi; ++r) {
      if (kept.insert(r->second).second)
        work.push_back(r->second);
    }
  }
  for (const auto& m : input.manifests) {
    if (!kept.contains(m.digest))
      out.manifests.push_back(m.digest);
  }
  std::sort(out.manifests.begin(), out.manifests.end());
  return out;
}

Result<RetentionInput> Retention::read(std::string_view ns, Timestamp now) {
  RetentionInput in;
  auto pulled = pulls_.list(ns);
  if (!pulled)
    return pulled.error();
  const std::string tag_prefix = keys::tag_prefix(ns);
  std::optional<Error> bad;
  auto scanned = db_.scan(tag_prefix, {}, [&](std::string_view k, std::string_view v) {
    auto rec = metadata::decode_tag(v);
    if (!rec) {
      bad = rec.error();
      return false;
    }
    RetentionInput::Tag t{std::string(k.substr(tag_prefix.size())), rec->target.digest,
                          rec->updated_at, std::nullopt};
    if (auto p = pulled->find(t.name); p != pulled->end())
      t.pulled = p->second;
    in.tags.push_back(std::move(t));
    return true;
  });
  if (!scanned)
    return scanned.error();
  if (bad)
    return *bad;

  // Blobs held by an unexpired lease of `ns`.
  std::set<std::string, std::less<>> leased;
  std::set<std::string, std::less<>> live_leases;
  scanned = db_.scan(keys::lease_prefix(ns), {}, [&](std::string_view k, std::string_view v) {
    auto parsed = keys::parse(k);
    if (!parsed)
      return true;
    if (parsed->kind == keys::KeyKind::lease) {
      auto rec = metadata::decode_lease(v);
      if (!rec) {
        bad = rec.error();
        return false;
      }
      if (!rec->expire_at || *rec->expire_at > now)
        live_leases.insert(parsed->name);
    } else if (parsed->kind == keys::KeyKind::lease_blob && live_leases.contains(parsed->name)) {
      leased.insert(parsed->child);  // a lease's record sorts before its resources
    }
    return true;
  });
  if (!scanned)
    return scanned.error();
  if (bad)
    return *bad;

  auto manifests = manifests_.list(ns);
  if (!manifests)
    return manifests.error();
  for (auto& [digest, rec] : *manifests) {
    RetentionInput::Manifest m;
    m.digest = digest;
    m.created = rec.created_at;
    m.subject = rec.subject;
    for (const auto& c : rec.children) {
      if (c.kind == metadata::ChildKind::manifest || c.kind == metadata::ChildKind::subject)
        m.refers_to.push_back(c.digest);
    }
    m.pinned = leased.contains(digest.str());
    if (!m.pinned) {
      auto blob = db_.get(keys::blob(ns, digest.str()));
      if (!blob)
        return blob.error();
      if (blob->has_value()) {
        auto b = metadata::decode_blob(**blob);
        if (!b)
          return b.error();
        m.pinned = b->labels.contains(std::string(kRootLabel));
      }
    }
    in.manifests.push_back(std::move(m));
  }
  return in;
}

Result<bool> Retention::untag(std::string_view ns, std::string_view tag, const Digest& target) {
  const std::string key = keys::tag(ns, tag);
  // The tag stripe of `ns`, as TagStore's writers take it: the tag cannot move meanwhile.
  auto update = db_.begin({keys::tag_prefix(ns)});
  auto v = update.get(key);
  if (!v)
    return v.error();
  if (!v->has_value())
    return false;
  auto rec = metadata::decode_tag(**v);
  if (!rec)
    return rec.error();
  if (rec->target.digest != target)
    return false;  // moved since it was read: a client's new push wins
  update.remove(key);
  update.remove(keys::pulled(ns, tag));
  update.mark_dirty();
  if (auto r = update.commit(); !r)
    return r.error();
  return true;
}

Result<RetentionReport> Retention::apply(bool dry_run) {
  RetentionReport report;
  report.dry_run = dry_run || policy_.dry_run;
  if (policy_.rules.empty())
    return report;
  const Timestamp now = db_.clock().now();
  std::string last;
  for (;;) {
    auto page = namespaces_.list(last, 1000);
    if (!page)
      return page.error();
    for (const std::string& ns : page->names) {
      const RetentionRule* rule = policy_.rule_for(ns);
      if (rule == nullptr)
        continue;
      ++report.namespaces;
      auto input = read(ns, now);
      if (!input)
        return input.error();
      RetentionPlan p = plan(*rule, *input, now);
      std::map<std::string, Digest, std::less<>> targets;
      for (const auto& t : input->tags)
        targets.emplace(t.name, t.target);
      for (const std::string& tag : p.tags) {
        if (!report.dry_run) {
          auto removed = untag(ns, tag, targets.at(tag));
          if (!removed)
            return removed.error();
          if (!*removed)
            continue;
        }
        ++report.removed_tags;
        if (report.tags.size() < RetentionReport::kListLimit)
          report.tags.push_back(ns + ":" + tag);
      }
      for (const Digest& d : p.manifests) {
        if (!report.dry_run) {
          // Only while still untagged: a tag pushed since names it again.
          auto removed = manifests_.remove(ns, d, /*if_untagged=*/true);
          if (!removed &&
              (removed.error() == Errc::failed_precondition || removed.error() == Errc::not_found))
            continue;
          if (!removed)
            return removed.error();
        }
        ++report.removed_manifests;
        if (report.manifests.size() < RetentionReport::kListLimit)
          report.manifests.push_back(ns + "@" + d.str());
      }
      // Pulled keys of tags that no longer exist (a client's tag DELETE leaves them).
      if (!report.dry_run) {
        auto pulled = pulls_.list(ns);
        if (!pulled)
          return pulled.error();
        for (const auto& [tag, at] : *pulled) {
          if (targets.contains(tag))
            continue;
          auto update = db_.begin({keys::tag_prefix(ns)});
          auto v = update.get(keys::tag(ns, tag));
          if (!v)
            return v.error();
          if (v->has_value())
            continue;
          update.remove(keys::pulled(ns, tag));
          if (auto r = update.commit(); !r)
            return r.error();
        }
      }
    }
    if (!page->more || page->names.empty())
      break;
    last = page->names.back();
  }
  return report;
}

}  // namespace cairn::gc
