// Copyright hvdb authors. The flags and positional arguments of one `hvdb
// COMMAND`, parsed with CLI11 (which stays in command_line.cc). Numbers are
// strict: decimal digits only, range-checked, never wrapped. Every usage
// error names the argument and what was wrong, followed by the usage line
// generated from the declarations, on err with exit status 2.
#ifndef HVDB_SHELL_COMMAND_LINE_H_
#define HVDB_SHELL_COMMAND_LINE_H_

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace hvdb::shell {

class CommandLine {
 public:
  // `hvdb COMMAND`; description: the lines --help prints under the usage line.
  CommandLine(std::string command, std::string description);
  ~CommandLine();
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  // Declarations, in the order the usage line shows them. Positional
  // arguments fill in order; optional ones come after the required ones.
  void Positional(const std::string& name, std::string* value, const std::string& help, bool required = true);
  // The positional PATH of a database, first of the positionals; left out,
  // it is $HVDB_DB when that is set (as `hvdb shell` does).
  void DatabasePath(std::string* path);
  // --flag: true when given.
  void Switch(const std::string& flag, bool* value, const std::string& help);
  // --flag VALUE, taken as written.
  void Text(const std::string& flag, const std::string& value_name, std::string* value, const std::string& help,
            bool required = false);
  // --flag VALUE, given any number of times: every value, in order.
  void Texts(const std::string& flag, const std::string& value_name, std::vector<std::string>* values,
             const std::string& help);
  // --flag VALUE, VALUE one of choices (the usage line shows them a|b|c).
  void Choice(const std::string& flag, std::vector<std::string> choices, std::string* value, const std::string& help);
  // --flag N, N decimal digits in [min, max] (and in T's range).
  template <std::unsigned_integral T>
  void Integer(const std::string& flag, const std::string& value_name, T* value, uint64_t min, uint64_t max,
               const std::string& help) {
    AddInteger(flag, value_name, min, std::min<uint64_t>(max, std::numeric_limits<T>::max()), help,
               [value](uint64_t v) { *value = static_cast<T>(v); });
  }
  template <std::unsigned_integral T>
  void Integer(const std::string& flag, const std::string& value_name, std::optional<T>* value, uint64_t min,
               uint64_t max, const std::string& help) {
    AddInteger(flag, value_name, min, std::min<uint64_t>(max, std::numeric_limits<T>::max()), help,
               [value](uint64_t v) { *value = static_cast<T>(v); });
  }
  // --flag VALUE checked by accept, which stores it and returns "" or says
  // what is wrong with it ("needs HOST:PORT, got 'x'"; the flag is prefixed).
  void Custom(const std::string& flag, const std::string& value_name, const std::string& help,
              std::function<std::string(const std::string&)> accept);

  // Parses args (the words after COMMAND). nullopt: run the command.
  // Otherwise the exit status to return: 0 after --help (printed on out), 2
  // after a usage error (message and usage line on err).
  std::optional<int> Parse(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
  // Whether a flag was given.
  bool Given(const std::string& flag) const;
  // A usage error the declarations cannot express (two flags that exclude
  // each other): "hvdb COMMAND: message" and the usage line on err; returns 2.
  int UsageError(const std::string& message, std::ostream& err) const;
  // "usage: hvdb COMMAND ARGS...", from the declarations.
  std::string Usage() const;

 private:
  struct Entry {
    std::string name;        // PATH, --keys
    std::string value_name;  // FILE; empty for a switch or a positional
    std::string help;
    bool required = false;
    bool positional = false;
  };
  void AddInteger(const std::string& flag, const std::string& value_name, uint64_t min, uint64_t max,
                  const std::string& help, std::function<void(uint64_t)> set);
  void PrintHelp(std::ostream& out) const;
  std::string MissingValue(const std::string& cli_message) const;
  // The words of args that fill positionals (not flags, nor their values).
  size_t PositionalWords(const std::vector<std::string>& args) const;

  std::string command_;
  std::string description_;
  std::vector<Entry> entries_;
  bool path_from_environment_ = false;  // DatabasePath was declared
  struct Parser;  // the CLI11 app
  std::unique_ptr<Parser> parser_;
};

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_COMMAND_LINE_H_
