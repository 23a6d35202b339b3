// Copyright hvdb authors. The shell's dot-commands, one table.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>

#include "shell/json_writer.h"
#include "shell/lang/grammar.h"
#include "shell/lang/session.h"
#include "shell/printable.h"
#include "shell/progress.h"

namespace hvdb::shell {
namespace {

using Words = std::vector<std::string>;

Status Usage(const std::string& name) {
  for (const DotCommand& d : DotCommands()) {
    if (d.name == name) return Status::InvalidArgument("usage: " + d.name + (d.args.empty() ? "" : " " + d.args));
  }
  return Status::InvalidArgument("usage: " + name);
}

Result<bool> OnOff(const Words& w, const std::string& name) {
  if (w.size() != 1 || (w[0] != "on" && w[0] != "off")) return Usage(name);
  return w[0] == "on";
}

// A setting as .show prints it: its name, its value as text, and as JSON.
struct Setting {
  std::string name, text, json;
};

std::vector<Setting> Settings(const Session& s) {
  const auto text = [](const std::string& name, const std::string& value) {
    return Setting{name, value, JsonString(value)};
  };
  const auto on_off = [](const std::string& name, bool on) { return Setting{name, on ? "on" : "off", on ? "true" : "false"}; };
  const auto number = [](const std::string& name, uint64_t value) {
    return Setting{name, std::to_string(value), std::to_string(value)};
  };
  return {text("mode", s.mode == OutputMode::kJson ? "json" : s.mode == OutputMode::kCsv ? "csv" : "table"),
          on_off("bail", s.bail),
          on_off("timer", s.timer),
          text("device", s.device),
          number("dim", s.dim),
          number("seed", s.seed),
          text("output", s.output_name().empty() ? "stdout" : s.output_name() + (s.output_once() ? " (once)" : ""))};
}

// Prints the named settings (all when names is empty): "name: value" lines,
// or one JSON object in json mode.
Status ShowSettings(Session& s, const std::vector<std::string>& names) {
  std::string json = "{";
  for (const Setting& setting : Settings(s)) {
    if (!names.empty() && std::find(names.begin(), names.end(), setting.name) == names.end()) continue;
    if (s.mode == OutputMode::kJson) {
      json += (json.size() > 1 ? "," : "") + JsonString(setting.name) + ":" + setting.json;
    } else {
      s.out() << setting.name << ": " << setting.text << "\n";
    }
  }
  if (s.mode == OutputMode::kJson) s.out() << json << "}\n";
  return Status::OK();
}

// A decimal uint64 (every seed, 0 to 18446744073709551615).
Result<uint64_t> Number(const std::string& text, const std::string& name) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return Usage(name);
  return value;
}

// .help: every dot-command, statement and function, from their tables; .help
// WORD: the dot-command, statement or function of that name.
Status Help(Session& s, const Words& w) {
  if (w.size() > 1) return Usage(".help");
  std::ostream& out = s.out();
  const std::string topic = w.empty() ? "" : w[0];
  bool found = false;
  for (const DotCommand& d : DotCommands()) {
    if (!topic.empty() && d.name != topic && d.name != "." + topic) continue;
    out << d.name << (d.args.empty() ? "" : " " + d.args) << "\n    " << d.help << "\n";
    found = true;
  }
  if (topic.empty()) out << "\nstatements:\n";
  for (const StatementForm& f : StatementForms()) {
    if (!topic.empty() && f.word != topic) continue;
    out << (topic.empty() ? "  " : "") << f.usage << "\n" << (topic.empty() ? "      " : "    ") << f.help << "\n";
    found = true;
  }
  if (topic.empty()) out << "\nfunctions:\n";
  for (const Function& f : Functions()) {
    if (!topic.empty() && f.name != topic && f.name + "()" != topic) continue;
    out << (topic.empty() ? "  " : "") << f.usage << "\n" << (topic.empty() ? "      " : "    ") << f.help << "\n";
    found = true;
  }
  if (topic.empty()) {
    out << "\nexpressions: NUMBER, \"string\", VAR, COLLECTION[\"key\"], function(args)\n";
    return Status::OK();
  }
  if (!found) {
    std::vector<std::string> names = StatementWords();
    for (const DotCommand& d : DotCommands()) names.push_back(d.name);
    for (const Function& f : Functions()) names.push_back(f.name);
    const std::string hint = DidYouMean(topic, names);
    return Status::InvalidArgument(".help: no command, statement or function '" + topic + "'" +
                                   (hint.empty() ? " (.help lists them all)" : " (did you mean '" + hint + "'?)"));
  }
  return Status::OK();
}

Status Collections(Session& s, const Words& w) {
  if (!w.empty()) return Usage(".collections");
  s.Run("collections");
  return Status::OK();
}

Status Describe(Session& s, const Words& w) {
  if (w.size() != 1) return Usage(".describe");
  Collection* c = nullptr;
  HVDB_RETURN_IF_ERROR(s.db()->GetCollection(w[0], &c));
  const CollectionStats st = c->Stats();
  // Whether its symbols are the database's (sym("x") there equals sym("x")
  // in let and in every other such collection) or its own.
  const bool shared = st.item_memory_seed == s.db()->item_memory_seed();
  const std::vector<std::string> accumulators = c->ListAccumulators();
  if (s.mode == OutputMode::kJson) {
    s.out() << "{\"name\":" << JsonString(st.name) << ",\"dim\":" << st.dim << ",\"count\":" << st.count
            << ",\"deleted_rows\":" << st.deleted_rows << ",\"memory_bytes\":" << st.memory_bytes
            << ",\"disk_bytes\":" << st.disk_bytes << ",\"item_memory_seed\":" << st.item_memory_seed
            << ",\"item_memory\":" << (shared ? "\"database\"" : "\"own\"") << ",\"index\":" << JsonString(IndexKindName(st.index))
            << ",\"ivf_lists\":" << st.ivf_lists << ",\"accumulators\":" << accumulators.size() << "}\n";
  } else {
    s.out() << "collection " << st.name << ": dim " << st.dim << ", " << st.count << " vectors, " << st.deleted_rows
            << " deleted rows awaiting compaction, " << st.memory_bytes << " bytes in memory, about " << st.disk_bytes
            << " on disk, item memory seed " << st.item_memory_seed
            << (shared ? " (the database's)" : " (its own; the database's is " +
                                                   std::to_string(s.db()->item_memory_seed()) + ")")
            << ", index " << IndexKindName(st.index)
            << (st.ivf_lists > 0 ? " (" + std::to_string(st.ivf_lists) + " lists)" : std::string())
            << ", " << accumulators.size()
            << (accumulators.size() == 1 ? " accumulator" : " accumulators") << " (.accumulators " << Printable(st.name)
            << ")\n";
  }
  return Status::OK();
}

Status Accumulators(Session& s, const Words& w) {
  if (w.size() != 1) return Usage(".accumulators");
  Collection* c = nullptr;
  HVDB_RETURN_IF_ERROR(s.db()->GetCollection(w[0], &c));
  std::vector<std::vector<std::string>> rows;
  for (const std::string& name : c->ListAccumulators()) {
    HVDB_ASSIGN_OR_RETURN(const int64_t members, c->AccumulatorMembers(name));
    rows.push_back({name, std::to_string(members)});
  }
  s.PrintRows({{"name", false}, {"members", true}}, rows);
  return Status::OK();
}

Status Timer(Session& s, const Words& w) {
  if (w.empty()) return ShowSettings(s, {"timer"});
  HVDB_ASSIGN_OR_RETURN(s.timer, OnOff(w, ".timer"));
  return Status::OK();
}

Status Show(Session& s, const Words& w) {
  if (!w.empty()) return Usage(".show");
  return ShowSettings(s, {});
}

Status Mode(Session& s, const Words& w) {
  if (w.empty()) return ShowSettings(s, {"mode"});
  if (w.size() != 1) return Usage(".mode");
  if (w[0] == "table") s.mode = OutputMode::kTable;  // ModeNames() in grammar.h
  else if (w[0] == "json") s.mode = OutputMode::kJson;
  else if (w[0] == "csv") s.mode = OutputMode::kCsv;
  else return Usage(".mode");
  return Status::OK();
}

Status Bail(Session& s, const Words& w) {
  if (w.empty()) return ShowSettings(s, {"bail"});
  HVDB_ASSIGN_OR_RETURN(s.bail, OnOff(w, ".bail"));
  return Status::OK();
}

Status DeviceCommand(Session& s, const Words& w) {
  const SystemInfo system = GetSystemInfo();
  if (w.empty()) {
    std::string devices;
    for (const std::string& d : system.search_devices) devices += (devices.empty() ? "" : ", ") + d;
    s.out() << "device: " << s.device << " (search devices: "
            << (devices.empty() ? "none, " + system.search_devices_status : devices) << ")\n";
    return Status::OK();
  }
  if (w.size() != 1 || (w[0] != "cpu" && w[0] != "gpu" && w[0] != "auto")) return Usage(".device");
  // Said now rather than at every search that follows.
  if (w[0] == "gpu" && system.search_devices.empty()) {
    return Status::Unavailable(".device gpu: no search device here (" + system.search_devices_status +
                               "); the device stays " + s.device);
  }
  s.device = w[0];
  return Status::OK();
}

Status Dim(Session& s, const Words& w) {
  if (w.empty()) return ShowSettings(s, {"dim"});
  if (w.size() != 1) return Usage(".dim");
  HVDB_ASSIGN_OR_RETURN(const uint64_t d, Number(w[0], ".dim"));
  HVDB_RETURN_IF_ERROR(ValidateDim(d));
  s.dim = d;
  return Status::OK();
}

Status Seed(Session& s, const Words& w) {
  if (w.empty()) return ShowSettings(s, {"seed"});
  if (w.size() != 1) return Usage(".seed");
  HVDB_ASSIGN_OR_RETURN(s.seed, Number(w[0], ".seed"));
  return Status::OK();
}

// .output [FILE] and .once FILE, as in sqlite3.
Status Output(Session& s, const Words& w, bool once) {
  const char* name = once ? ".once" : ".output";
  if (w.empty() && !once) {
    s.RestoreOutput();
    return Status::OK();
  }
  if (w.size() != 1) return Usage(name);
  HVDB_ASSIGN_OR_RETURN(const std::string path, s.policy.ResolveFile(w[0], /*for_writing=*/true));
  return s.RedirectOutput(path, w[0], once);
}

Status Read(Session& s, const Words& w) {
  if (w.size() != 1) return Usage(".read");
  HVDB_ASSIGN_OR_RETURN(const std::string path, s.policy.ResolveFile(w[0], /*for_writing=*/false));
  return s.RunFile(path);
}

Status Import(Session& s, const Words& w) {
  if (w.size() < 2) return Usage(".import");
  BulkLoadOptions options;
  bool numbered = false;  // nokeys: number the rows even with FILE.keys beside it
  for (size_t i = 2; i < w.size(); ++i) {
    if (w[i] == "unpacked") options.npy.unpacked = true;
    else if (w[i] == "pad") options.npy.pad = true;
    else if (w[i] == "nokeys") numbered = true;
    else return Status::InvalidArgument(".import: unknown option '" + w[i] + "' (unpacked, pad and nokeys are known)");
  }
  HVDB_ASSIGN_OR_RETURN(const std::string path, s.policy.ResolveFile(w[0], /*for_writing=*/false));
  // An exported .npy comes back with its keys (FILE.keys beside it), as
  // hvdb load does, unless nokeys; the keys file goes through the policy too.
  if (!numbered && KeysBeside(path, options)) {
    HVDB_ASSIGN_OR_RETURN(options.keys_path, s.policy.ResolveFile(*ExportKeysPath(w[0]), /*for_writing=*/false));
  }
  Collection* c = nullptr;
  HVDB_RETURN_IF_ERROR(s.db()->GetCollection(w[1], &c));
  ProgressBar bar(s.err(), s.policy.progress_bars && StderrIsTerminal(), "importing");
  auto r = c->BulkLoad(path, options,
                       [&](const BulkLoadProgress& p) { return !s.policy.cancelled() && bar.Update(p); });
  bar.Done();
  if (!r.ok()) return r.status();
  if (s.mode == OutputMode::kJson) {
    s.out() << "{\"ok\":true,\"rows\":" << r->rows << ",\"replaced\":" << r->replaced;
    if (r->first_row_number) s.out() << ",\"first_row_number\":" << *r->first_row_number;
    s.out() << "}\n";
  } else {
    s.out() << "imported " << r->rows << " vectors (" << r->replaced << " replaced)";
    if (r->first_row_number && r->rows > 0) {
      s.out() << " as keys " << *r->first_row_number << " to " << *r->first_row_number + (r->rows - 1);
    }
    s.out() << "\n";
  }
  return Status::OK();
}

Status Export(Session& s, const Words& w) {
  if (w.size() != 2) return Usage(".export");
  HVDB_ASSIGN_OR_RETURN(const std::string path, s.policy.ResolveFile(w[1], /*for_writing=*/true));
  ExportOptions options;
  // The keys file of an .npy goes through the same checks as the file itself.
  if (const auto keys = ExportKeysPath(w[1])) {
    HVDB_ASSIGN_OR_RETURN(options.keys_path, s.policy.ResolveFile(*keys, /*for_writing=*/true));
  }
  Collection* c = nullptr;
  HVDB_RETURN_IF_ERROR(s.db()->GetCollection(w[0], &c));
  ProgressBar bar(s.err(), s.policy.progress_bars && StderrIsTerminal(), "exporting");
  const Status exported =
      c->Export(path, options, [&](const BulkLoadProgress& p) { return !s.policy.cancelled() && bar.Update(p); });
  bar.Done();
  HVDB_RETURN_IF_ERROR(exported);
  // The keys file as the user named it (a resolved path may show the server's directories).
  const auto keys = ExportKeysPath(w[1]);
  if (s.mode == OutputMode::kJson) {
    s.out() << "{\"ok\":true,\"rows\":" << c->Count();
    if (keys) s.out() << ",\"keys\":" << JsonString(*keys);
    s.out() << "}\n";
  } else {
    s.out() << "exported " << c->Count() << " vectors";
    if (keys) s.out() << " (keys in " << Printable(*keys) << ")";
    s.out() << "\n";
  }
  return Status::OK();
}

// A small real dataset: English words from Debian's word list, each stored
// as its letter-trigram code, so that spelling neighbours are near.
Status Demo(Session& s, const Words& w) {
  if (w.size() > 1) return Usage(".demo");
  // The built-in word list is the demo's own data; any other file is the
  // user's, and goes through the policy.
  std::string list = "/usr/share/dict/american-english";
  if (!w.empty()) {
    HVDB_ASSIGN_OR_RETURN(list, s.policy.ResolveFile(w[0], /*for_writing=*/false));
  }
  std::ifstream in(list);
  if (!in) return Status::IOError("cannot read '" + list + "' (Debian's wamerican; scripts/install-deps.sh installs it)");
  std::vector<std::string> words;
  for (std::string word; std::getline(in, word) && words.size() < 200000;) {
    if (word.size() >= 3 && word.find('\'') == std::string::npos) words.push_back(word);
  }
  Collection* c = nullptr;
  if (s.db()->GetCollection("words", &c).IsNotFound()) {
    HVDB_RETURN_IF_ERROR(s.db()->CreateCollection("words", {.dim = 2048}));
  }
  HVDB_RETURN_IF_ERROR(s.db()->GetCollection("words", &c));
  const std::vector<std::string_view> views(words.begin(), words.end());
  HVDB_ASSIGN_OR_RETURN(const std::vector<Hypervector> codes,
                        hdc::TextBatch(views, 3, c->item_memory_seed(), c->dim()));
  WriteBatch batch;
  for (size_t i = 0; i < words.size(); ++i) batch.Put(words[i], codes[i]);
  HVDB_RETURN_IF_ERROR(c->Write(batch));
  if (s.mode == OutputMode::kJson) {
    s.out() << "{\"ok\":true,\"rows\":" << words.size() << "}\n";
    return Status::OK();
  }
  s.out() << "loaded " << words.size() << " English words into collection 'words' (2048-bit letter-trigram codes)."
          << "\nTry:\n"
          << "  search words text(\"hypervektor\") k 5                 -- spelling neighbours\n"
          << "  search words bundle(words[\"apple\"], words[\"orange\"], text(\"fruit\")) k 5\n"
          << "  let typo = text(\"databse\")                          -- then: search words typo\n"
          << "  .timer on                                            -- time, rows scanned, kernel\n";
  return Status::OK();
}

// After a write error the database refuses writes until this succeeds.
Status ResumeWrites(Session& s, const Words& w) {
  if (!w.empty()) return Usage(".resume");
  HVDB_RETURN_IF_ERROR(s.db()->Resume());
  s.Ok();
  return Status::OK();
}

Status Quit(Session& s, const Words& w) {
  if (!w.empty()) return Usage(".quit");
  s.quit = true;
  return Status::OK();
}

}  // namespace

std::vector<std::string> SplitWords(std::string_view line) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (char c : line) {
    if (quote) {
      if (c == quote) quote = 0;
      else cur.push_back(c);
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(cur), cur.clear(), in_word = false;
    } else {
      cur.push_back(c);
      in_word = true;
    }
  }
  if (in_word) words.push_back(cur);
  if (words.empty()) words.push_back("");
  return words;
}

const std::vector<DotCommand>& DotCommands() {
  static const std::vector<DotCommand> commands = {
      {".help", "[WORD]", Help, "this help, or that of one dot-command, statement or function"},
      {".collections", "", Collections, "the collections: name, dim, count"},
      {".describe", "NAME", Describe, "a collection's dim, count, memory and disk use, item memory seed, accumulators"},
      {".accumulators", "NAME", Accumulators,
       "a collection's accumulators and their members (drop accumulator NAME ACC removes one)"},
      {".timer", "[on|off]", Timer, "print time, rows scanned, device and kernel after each statement"},
      {".show", "", Show, "every setting below with its value (each command without an argument shows its own)"},
      {".mode", "[table|json|csv]", Mode,
       "output format; json prints one JSON value per statement; table and csv show control bytes in keys as \\xNN"},
      {".import", "FILE COLLECTION [unpacked] [pad] [nokeys]", Import,
       "bulk load .npy (packed uint8, or bool: a bit per element; keys from FILE.keys when beside it, unless "
       "nokeys), .hvdb or key<TAB>hex lines (all or nothing)",
       /*writes=*/true},
      {".export", "COLLECTION FILE", Export,
       "write a collection to FILE by its name: .npy (+ .keys beside it), .hvdb, else key<TAB>hex text",
       /*writes=*/true},
      {".output", "[FILE]", [](Session& s, const Words& w) { return Output(s, w, false); },
       "send results to FILE (replaced) until .output alone; errors and .timer stay on the terminal",
       /*writes=*/true},
      {".once", "FILE", [](Session& s, const Words& w) { return Output(s, w, true); },
       "send the next statement's results to FILE (replaced)", /*writes=*/true},
      {".read", "FILE", Read, "run the statements in FILE; .read nests at most 16 files deep"},
      {".bail", "[on|off]", Bail, "on: the first error ends the script"},
      {".device", "[cpu|gpu|auto]", DeviceCommand, "show or set where searches run"},
      {".dim", "[D]", Dim, "dimension of vectors built by let (default 10048)"},
      {".seed", "[S]", Seed, "item memory seed of symbols built by let (default: the database's)"},
      {".demo", "[WORD_LIST]", Demo, "load Debian's English word list as trigram codes into 'words', with queries to try",
       /*writes=*/true},
      {".resume", "", ResumeWrites, "after a write error (a full disk), write again once its cause is fixed",
       /*writes=*/true},
      {".quit", "", Quit, "leave the shell"},
  };
  return commands;
}

}  // namespace hvdb::shell
