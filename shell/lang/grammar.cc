// Copyright hvdb authors.
#include "shell/lang/grammar.h"

#include <algorithm>

#include "hvdb/options.h"

namespace hvdb::shell {

namespace {

std::string Joined(const std::vector<std::string>& words, const std::string& between) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : between) + w;
  return out;
}

}  // namespace

const std::vector<StatementForm>& StatementForms() {
  static const std::vector<StatementForm> forms = {
      {"create", "create collection NAME dim D [index KIND [KNOB N ...]]",
       "a new collection of D-bit vectors (KIND and KNOB as for alter)"},
      {"alter", "alter collection NAME index KIND [KNOB N ...]",
       "replace its index; KIND: " + Joined(IndexKinds(), ", ") + "; KNOB: " + Joined(IndexKnobs(), ", ")},
      {"drop", "drop collection NAME", "remove a collection and every vector in it"},
      {"drop", "drop accumulator NAME ACC", "remove one accumulator of a collection"},
      {"collections", "collections", "the collections: name, dim, count"},
      {"put", "put NAME KEY EXPR", "store a vector under KEY (replacing it)"},
      {"get", "get NAME KEY", "the vector under KEY, in hex"},
      {"delete", "delete NAME KEY", "remove the vector under KEY"},
      {"count", "count NAME", "how many vectors the collection holds"},
      {"let", "let VAR = EXPR", "name a value for later statements"},
      {"search",
       "search NAME EXPR [k N] [radius R] [device " + Joined(DeviceNames(), "|") +
           "] [candidates N] [nprobe N] [ef N] [exact]",
       "the k nearest (default 10; k 0 with radius R: all within R), each option once"},
      {"explain", "explain search NAME EXPR [k N] [device " + Joined(DeviceNames(), "|") + "] [exact]",
       "the plan the search would run (index, device, kernel and why), without running it; any search option"},
      {"accumulate", "accumulate NAME ACC EXPR [weight W]", "add EXPR to the accumulator ACC (a persistent bundle)"},
      {"cleanup", "cleanup NAME EXPR [sigma S]",
       "the stored vector nearest to EXPR if it is S sigma (default 4) nearer than chance"},
  };
  return forms;
}

const std::vector<std::string>& StatementWords() {
  static const std::vector<std::string> words = [] {
    std::vector<std::string> out;
    for (const StatementForm& f : StatementForms()) {
      if (std::find(out.begin(), out.end(), f.word) == out.end()) out.push_back(f.word);
    }
    return out;
  }();
  return words;
}

const std::vector<std::string>& IndexKinds() {
  static const std::vector<std::string> words = [] {
    std::vector<std::string> out;
    for (IndexKind kind : kAllIndexKinds) out.push_back(IndexKindName(kind));
    return out;
  }();
  return words;
}

const std::vector<std::string>& IndexKnobs() {
  static const std::vector<std::string> words = {"bits",       "candidates", "nlist",           "nprobe",
                                                 "iterations", "m",          "ef_construction", "ef"};
  return words;
}

const std::vector<std::string>& SearchOptionWords() {
  static const std::vector<std::string> words = {"k", "radius", "device", "candidates", "nprobe", "ef", "exact"};
  return words;
}

const std::vector<std::string>& DeviceNames() {
  static const std::vector<std::string> words = {"cpu", "gpu", "auto"};
  return words;
}

const std::vector<std::string>& ModeNames() {
  static const std::vector<std::string> words = {"table", "json", "csv"};
  return words;
}

std::string OneOf(const std::vector<std::string>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) out += (i == 0 ? "" : i + 1 == words.size() ? " or " : ", ") + words[i];
  return out;
}

bool IsOneOf(std::string_view word, const std::vector<std::string>& words) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

}  // namespace hvdb::shell
