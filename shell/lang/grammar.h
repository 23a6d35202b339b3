// Copyright hvdb authors. The words of the hvdb language in one place: the
// statements with their forms and help, and the words that follow them
// (index kinds and knobs, search options, devices, modes). The parser's
// checks and suggestions, .help and TAB completion all read these tables,
// so they cannot drift apart.
#ifndef HVDB_SHELL_LANG_GRAMMAR_H_
#define HVDB_SHELL_LANG_GRAMMAR_H_

#include <string>
#include <string_view>
#include <vector>

namespace hvdb::shell {

// One form of a statement, as .help shows it.
struct StatementForm {
  std::string word;   // its first word: create, alter, drop, ...
  std::string usage;  // create collection NAME dim D [index KIND [KNOB N ...]]
  std::string help;   // what it does, one line
};
const std::vector<StatementForm>& StatementForms();
// The first words of statements, each once, in the order of StatementForms.
const std::vector<std::string>& StatementWords();

const std::vector<std::string>& IndexKinds();     // flat, prefix, ivf, hnsw
const std::vector<std::string>& IndexKnobs();     // bits, candidates, nlist, ...
const std::vector<std::string>& SearchOptionWords();  // k, radius, device, ...
const std::vector<std::string>& DeviceNames();    // cpu, gpu, auto
const std::vector<std::string>& ModeNames();      // table, json, csv

// "a, b, c or d".
std::string OneOf(const std::vector<std::string>& words);
bool IsOneOf(std::string_view word, const std::vector<std::string>& words);

}  // namespace hvdb::shell

#endif  // HVDB_SHELL_LANG_GRAMMAR_H_
