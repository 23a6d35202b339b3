// Copyright hvdb authors.
#include "shell/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace hvdb::shell {

bool StderrIsTerminal() { return ::isatty(STDERR_FILENO) == 1; }

ProgressBar::ProgressBar(std::ostream& err, bool terminal, std::string what)
    : err_(err), terminal_(terminal), what_(std::move(what)), start_(std::chrono::steady_clock::now()) {}

bool ProgressBar::Update(const BulkLoadProgress& p) {
  if (!terminal_) return true;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(100)) return true;
  last_ = now;
  drawn_ = true;
  const double fraction = p.total_rows ? static_cast<double>(p.rows) / static_cast<double>(p.total_rows)
                      : p.total_bytes ? static_cast<double>(p.bytes) / static_cast<double>(p.total_bytes)
                                      : 0.0;
  const double done = std::clamp(fraction, 0.0, 1.0);  // a count past the estimate draws a full bar
  const int width = 30;
  const int filled = static_cast<int>(done * width + 0.5);
  const double seconds = std::chrono::duration<double>(now - start_).count();
  char line[160];
  std::snprintf(line, sizeof line, "\r%s [%.*s%*s] %3d%%  %llu%s rows  %.2fM rows/s ", what_.c_str(), filled,
                "##############################", width - filled, "", static_cast<int>(done * 100),
                static_cast<unsigned long long>(p.rows),
                p.total_rows ? ("/" + std::to_string(p.total_rows)).c_str() : "",
                seconds > 0 ? static_cast<double>(p.rows) / seconds / 1e6 : 0.0);
  err_ << line << std::flush;
  return true;
}

void ProgressBar::Done() {
  if (terminal_ && drawn_) err_ << "\r\033[K" << std::flush;
}

}  // namespace hvdb::shell
