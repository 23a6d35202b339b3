// Copyright hvdb authors. One JSON object per output line.
#ifndef HVDB_BENCHMARKS_JSON_LINE_H_
#define HVDB_BENCHMARKS_JSON_LINE_H_

#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>

#include "shell/json_writer.h"

namespace hvdb::bench {

class JsonLine {
 public:
  JsonLine& Add(std::string_view key, std::string_view value) {
    return Raw(key, shell::JsonString(value));
  }
  JsonLine& Add(std::string_view key, const char* value) { return Add(key, std::string_view(value)); }
  JsonLine& Add(std::string_view key, bool value) { return Raw(key, value ? "true" : "false"); }
  JsonLine& Add(std::string_view key, double value) {
    if (!std::isfinite(value)) return Raw(key, "null");
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", value);
    return Raw(key, buf);
  }
  JsonLine& Add(std::string_view key, size_t value) { return Raw(key, std::to_string(value)); }
  JsonLine& Add(std::string_view key, unsigned value) { return Raw(key, std::to_string(value)); }

  // Prints the object and a newline to stdout, flushed (long runs show progress).
  void Print() const {
    std::printf("{%s}\n", body_.c_str());
    std::fflush(stdout);
  }

 private:
  JsonLine& Raw(std::string_view key, std::string_view json) {
    if (!body_.empty()) body_ += ",";
    body_ += shell::JsonString(key);
    body_ += ":";
    body_ += json;
    return *this;
  }
  std::string body_;
};

}  // namespace hvdb::bench

#endif  // HVDB_BENCHMARKS_JSON_LINE_H_
