// Copyright hvdb authors. A progress bar on stderr when it is a terminal.
#ifndef HVDB_SHELL_PROGRESS_H_
#define HVDB_SHELL_PROGRESS_H_

#include <chrono>
#include <ostream>
#include <string>

#include "hvdb/db.h"

namespace hvdb::shell {

// Draws "[#####     ]  45%  450000/1000000 rows  1.2M rows/s" in place,
// at most 10 times a second. Silent when `err` is not a terminal.
class ProgressBar {
 public:
  ProgressBar(std::ostream& err, bool terminal, std::string what);
  // A ProgressCallback; always returns true (never cancels).
  bool Update(const BulkLoadProgress& p);
  // Clears the line.
  void Done();

 private:
  std::ostream& err_;
  bool terminal_;
  std::string what_;
  std::chrono::steady_clock::time_point start_, last_;
  bool drawn_ = false;
};

// Whether stderr is a terminal (progress bars are drawn only then).
bool StderrIsTerminal();

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_PROGRESS_H_
