// Copyright hvdb authors.
#include "shell/command_line.h"

#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdlib>

#include "shell/lang/parser.h"

namespace hvdb::shell {

struct CommandLine::Parser {
  CLI::App app;
};

namespace {

// Decimal digits only: no sign, no space, no base prefix, nothing after,
// nothing beyond 64 bits (CLI11's own conversion takes "-1" and "010").
std::optional<uint64_t> Decimal(const std::string& text) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string Quoted(const std::vector<std::string>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == words.size() ? " or " : ", ") + words[i];
  }
  return out;
}

}  // namespace

CommandLine::CommandLine(std::string command, std::string description)
    : command_(std::move(command)), description_(std::move(description)), parser_(std::make_unique<Parser>()) {
  parser_->app.name("hvdb " + command_);
  // Unknown flags and extra words are collected and named by Parse, in the
  // same words as every other usage error.
  parser_->app.allow_extras();
}

CommandLine::~CommandLine() = default;

void CommandLine::Positional(const std::string& name, std::string* value, const std::string& help, bool required) {
  CLI::Option* o = parser_->app.add_option(name, *value, help);
  if (required) o->required();
  entries_.push_back({name, "", help, required, true});
}

void CommandLine::DatabasePath(std::string* path) {
  Positional("PATH", path, "the database directory (may be left out when $HVDB_DB is set)");
  path_from_environment_ = true;
}

size_t CommandLine::PositionalWords(const std::vector<std::string>& args) const {
  size_t count = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--") return count + (args.size() - i - 1);
    if (word.size() < 2 || word[0] != '-') {
      ++count;
      continue;
    }
    if (word.find('=') != std::string::npos) continue;
    for (const Entry& e : entries_) {
      if (!e.positional && e.name == word && !e.value_name.empty()) ++i;  // its value
    }
  }
  return count;
}

void CommandLine::Switch(const std::string& flag, bool* value, const std::string& help) {
  parser_->app.add_flag(flag, *value, help);
  entries_.push_back({flag, "", help, false, false});
}

void CommandLine::Custom(const std::string& flag, const std::string& value_name, const std::string& help,
                         std::function<std::string(const std::string&)> accept) {
  CLI::Option* o = parser_->app.add_option_function<std::string>(
      flag,
      [flag, accept = std::move(accept)](const std::string& text) {
        if (const std::string problem = accept(text); !problem.empty()) throw CLI::ValidationError(flag + " " + problem);
      },
      help);
  // Given twice, the last one counts, as in most programs.
  o->type_name(value_name)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  entries_.push_back({flag, value_name, help, false, false});
}

void CommandLine::Text(const std::string& flag, const std::string& value_name, std::string* value,
                       const std::string& help, bool required) {
  Custom(flag, value_name, help, [value](const std::string& text) {
    *value = text;
    return std::string();
  });
  if (required) {
    parser_->app.get_option(flag)->required();
    entries_.back().required = true;
  }
}

void CommandLine::Texts(const std::string& flag, const std::string& value_name, std::vector<std::string>* values,
                        const std::string& help) {
  // One value an occurrence (a PATH after it stays the positional).
  CLI::Option* o = parser_->app.add_option(flag, *values, help);
  o->type_name(value_name)->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  entries_.push_back({flag, value_name, help, false, false});
}

void CommandLine::Choice(const std::string& flag, std::vector<std::string> choices, std::string* value,
                         const std::string& help) {
  std::string names;
  for (const std::string& c : choices) names += (names.empty() ? "" : "|") + c;
  Custom(flag, names, help, [choices, value](const std::string& text) {
    if (std::find(choices.begin(), choices.end(), text) == choices.end()) {
      return "must be " + Quoted(choices) + ", got '" + text + "'";
    }
    *value = text;
    return std::string();
  });
}

void CommandLine::AddInteger(const std::string& flag, const std::string& value_name, uint64_t min, uint64_t max,
                             const std::string& help, std::function<void(uint64_t)> set) {
  Custom(flag, value_name, help, [min, max, set = std::move(set)](const std::string& text) {
    const std::optional<uint64_t> v = Decimal(text);
    if (!v || *v < min || *v > max) {
      return "must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got '" + text + "'";
    }
    set(*v);
    return std::string();
  });
}

std::optional<int> CommandLine::Parse(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> words = args;
  const char* env_path = std::getenv("HVDB_DB");
  if (path_from_environment_ && env_path != nullptr && *env_path != '\0') {
    const size_t required = std::count_if(entries_.begin(), entries_.end(),
                                          [](const Entry& e) { return e.positional && e.required; });
    if (PositionalWords(args) + 1 == required) words.insert(words.begin(), env_path);
  }
  std::vector<std::string> reversed(words.rbegin(), words.rend());  // CLI11 takes the words last first
  try {
    parser_->app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    PrintHelp(out);
    return 0;
  } catch (const CLI::ArgumentMismatch& e) {
    return UsageError(MissingValue(e.what()), err);
  } catch (const CLI::ParseError& e) {
    return UsageError(e.what(), err);
  }
  for (const std::string& extra : parser_->app.remaining()) {
    if (extra == "--") continue;  // CLI11 passes the end-of-flags mark on
    if (extra.size() < 2 || extra[0] != '-') return UsageError("unexpected argument '" + extra + "'", err);
    std::vector<std::string> flags;
    for (const Entry& e : entries_) {
      if (!e.positional) flags.push_back(e.name);
    }
    const std::string hint = DidYouMean(extra.substr(0, extra.find('=')), flags);
    return UsageError("unknown option '" + extra + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"), err);
  }
  return std::nullopt;
}

// CLI11 reports a flag without its value as "--dim: 1 required D missing".
std::string CommandLine::MissingValue(const std::string& cli_message) const {
  const std::string name = cli_message.substr(0, cli_message.find(':'));
  for (const Entry& e : entries_) {
    if (e.name == name && !e.value_name.empty()) return name + " needs a value (" + e.value_name + ")";
  }
  return cli_message;
}

bool CommandLine::Given(const std::string& flag) const { return parser_->app.count(flag) > 0; }

int CommandLine::UsageError(const std::string& message, std::ostream& err) const {
  err << "hvdb " << command_ << ": " << message << "\n" << Usage() << "\n";
  return 2;
}

std::string CommandLine::Usage() const {
  std::string line = "usage: hvdb " + command_;
  for (const Entry& e : entries_) {
    std::string word = e.name + (e.value_name.empty() ? "" : " " + e.value_name);
    line += " " + (e.required ? word : "[" + word + "]");
  }
  return line;
}

void CommandLine::PrintHelp(std::ostream& out) const {
  out << Usage() << "\n";
  size_t start = 0;
  while (start < description_.size()) {
    const size_t end = std::min(description_.find('\n', start), description_.size());
    out << "  " << description_.substr(start, end - start) << "\n";
    start = end + 1;
  }
  std::vector<std::pair<std::string, std::string>> rows;
  for (const Entry& e : entries_) rows.emplace_back(e.name + (e.value_name.empty() ? "" : " " + e.value_name), e.help);
  rows.emplace_back("--help", "this text");
  size_t width = 0;
  for (const auto& [left, help] : rows) width = std::max(width, left.size());
  out << "\n";
  for (const auto& [left, help] : rows) out << "  " << left << std::string(width - left.size() + 3, ' ') << help << "\n";
}

}  // namespace hvdb::shell
