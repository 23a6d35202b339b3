// Copyright hvdb authors.
#include "shell/lang/policy.h"

#include <filesystem>

namespace hvdb::shell {
namespace {

namespace fs = std::filesystem;

// Whether `path` (lexically normal, absolute) is `dir` or below it.
bool Inside(const fs::path& path, const fs::path& dir) {
  auto p = path.begin();
  for (auto d = dir.begin(); d != dir.end(); ++d, ++p) {
    if (d->empty()) continue;  // a trailing separator
    if (p == path.end() || *p != *d) return false;
  }
  return true;
}

}  // namespace

Result<std::string> SessionPolicy::ResolveFile(const std::string& path, bool for_writing) const {
  switch (files) {
    case Files::kAny:
      return path;
    case Files::kNone:
      return Status::InvalidArgument("'" + path +
                                     "': this server gives no access to files (its operator can allow a directory "
                                     "with hvdb serve --files-dir DIR)");
    case Files::kInside:
      break;
  }
  if (path.empty()) return Status::InvalidArgument("an empty file name");
  const fs::path given(path);
  if (given.is_absolute()) {
    return Status::InvalidArgument("'" + path + "': give a path inside the server's files directory, not an "
                                   "absolute one");
  }
  const auto outside = [&] { return Status::InvalidArgument("'" + path + "' is outside the server's files directory"); };
  // A path that climbs out by its own `..` is refused before anything is
  // looked up, so that the answers tell nothing about files outside.
  const fs::path normal = given.lexically_normal();
  if (!normal.empty() && *normal.begin() == "..") return outside();
  // Every link resolved, in the directory and in the path: what is opened
  // is what is checked.
  std::error_code ec;
  const fs::path dir = fs::canonical(files_dir, ec);
  if (ec) return Status::Unavailable("the server's files directory is missing");
  fs::path target = dir / given;
  if (for_writing) {
    const fs::path parent = fs::weakly_canonical(target.parent_path(), ec);
    if (ec || !Inside(parent.lexically_normal(), dir)) return outside();
    if (!fs::is_directory(parent, ec)) {
      return Status::InvalidArgument("'" + path + "': no such directory in the server's files directory");
    }
    // The file itself: a link is followed to where it points.
    const fs::path name = target.filename();
    if (name.empty() || name == "." || name == "..") return Status::InvalidArgument("'" + path + "' is not a file name");
    target = fs::weakly_canonical(parent / name, ec);
    if (ec || !Inside(target.lexically_normal(), dir)) return outside();
    // A FIFO or a device would block or never end: only plain files.
    if (fs::exists(target, ec) && !fs::is_regular_file(target, ec)) {
      return Status::InvalidArgument("'" + path + "' is not a regular file");
    }
  } else {
    const fs::path found = fs::canonical(target, ec);
    if (ec) {
      // Missing, but through a link that leads out: say so, and nothing about
      // whether it exists out there.
      const fs::path resolved = fs::weakly_canonical(target, ec);
      if (!ec && !Inside(resolved.lexically_normal(), dir)) return outside();
      return Status::NotFound("'" + path + "': no such file in the server's files directory");
    }
    if (!Inside(found.lexically_normal(), dir)) return outside();
    if (!fs::is_regular_file(found, ec)) return Status::InvalidArgument("'" + path + "' is not a regular file");
    target = found;
  }
  return target.string();
}

Status SessionPolicy::LimitHits(SearchOptions* options) const {
  if (max_hits == 0) return Status::OK();
  if (options->k > max_hits) {
    return Status::ResourceExhausted("k " + std::to_string(options->k) + " is more hits than this server answers (" +
                                     std::to_string(max_hits) + ", hvdb serve --max-hits)");
  }
  if (options->k == 0) options->k = max_hits + 1;
  return Status::OK();
}

Status SessionPolicy::CheckHits(size_t hits) const {
  if (max_hits == 0 || hits <= max_hits) return Status::OK();
  return Status::ResourceExhausted("the search finds more than " + std::to_string(max_hits) +
                                   " hits, more than this server answers (hvdb serve --max-hits): give k, or a "
                                   "smaller radius");
}

bool Writes(const Statement& statement) {
  using Kind = Statement::Kind;
  switch (statement.kind) {
    case Kind::kCreate:
    case Kind::kAlter:
    case Kind::kDrop:
    case Kind::kPut:
    case Kind::kDelete:
    case Kind::kAccumulate:
    case Kind::kDropAccumulator:
      return true;
    case Kind::kCollections:
    case Kind::kGet:
    case Kind::kCount:
    case Kind::kLet:
    case Kind::kSearch:
    case Kind::kCleanup:
      return false;
  }
  return true;
}

}  // namespace hvdb::shell
