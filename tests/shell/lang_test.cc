// Copyright hvdb authors. The shell language's bounds: how deep expressions
// and .read nest, how long an unfinished input may grow, and that reading
// input stays linear however long a string stays open.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "hvdb/hvdb.h"
#include "kernels/device/fake_device.h"
#include "kernels/device/search_device.h"
#include "shell/printable.h"
#include "shell/lang/grammar.h"
#include "shell/lang/lexer.h"
#include "shell/lang/parser.h"
#include "shell/lang/session.h"

namespace hvdb::shell {
namespace {

namespace fs = std::filesystem;

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class LangTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "hvdb_lang_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    ASSERT_TRUE(DB::Open({}, (dir_ / "db").string(), &db_).ok());
    session_ = std::make_unique<Session>(db_.get(), out_, err_);
  }
  void TearDown() override {
    session_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  // Runs a script as `hvdb shell` reads one; returns what it printed (stdout,
  // then stderr) and forgets it.
  std::string Script(const std::string& text) {
    std::istringstream in(text);
    session_->RunStream(in);
    std::string printed = out_.str() + err_.str();
    out_.str("");
    err_.str("");
    return printed;
  }
  fs::path Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }

  fs::path dir_;
  std::unique_ptr<DB> db_;
  std::ostringstream out_, err_;
  std::unique_ptr<Session> session_;
};

// bundle(bundle(...random(1)...)): `levels` calls, one inside the other.
std::string Nested(int levels) {
  std::string text;
  for (int i = 1; i < levels; ++i) text += "bundle(";
  text += "random(1)";
  return text + std::string(levels - 1, ')');
}

TEST_F(LangTest, ExpressionsNestUpToTheLimit) {
  EXPECT_EQ(Script(".dim 64\nlet x = " + Nested(kMaxNesting)), "");  // let prints nothing
  // The 257th '(' is refused where it stands: after "let x = " and 257
  // seven-letter "bundle(" or "random(".
  EXPECT_EQ(Script("let x = " + Nested(kMaxNesting + 1)),
            "Error: line 1, column 1807: expressions nest deeper than 256 levels\n");
  // Far deeper: the same error, no stack overflow in the parser, the
  // evaluator or the destructor of the expression.
  EXPECT_EQ(Script("let x = " + Nested(100000) + "; let y = 1"),
            "Error: line 1, column 1807: expressions nest deeper than 256 levels\n");
  // Brackets in any form: lists of keys, parentheses alone, both mixed.
  for (const std::string opener : {"(", "[", "x[", "f(["}) {
    std::string deep;
    while (deep.size() < 100000) deep += opener;
    const std::string printed = Script("search c " + deep + "\n");
    EXPECT_TRUE(Contains(printed, "expressions nest deeper than 256 levels")) << opener << ": " << printed;
  }
}

TEST(LexTest, AMegabyteOfOpenBracketsStopsAtTheLimit) {
  for (const char opener : {'(', '['}) {
    const std::string text(1 << 20, opener);
    EXPECT_TRUE(Unfinished(text));
    const auto tokens = Lex(text);
    ASSERT_FALSE(tokens.ok());
    EXPECT_EQ(tokens.status().message(), "line 1, column 257: expressions nest deeper than 256 levels");
    EXPECT_FALSE(Parse("let x = " + text).ok());
  }
  // Closing brackets take levels back: a long flat list is not deep.
  std::string flat = "let x = bundle(";
  for (int i = 0; i < 100000; ++i) flat += "bundle(random(1)), ";
  EXPECT_TRUE(Parse(flat + "random(2))").ok());
}

// Unfinished as it was before InputScanner: one pass over the whole text.
bool ReferenceUnfinished(std::string_view s) {
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quote) {
      if (c == '\\') ++i;
      else if (c == quote) quote = 0;
      continue;
    }
    if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    else if (c == '(' || c == '[') ++depth;
    else if (c == ')' || c == ']') --depth;
  }
  return quote != 0 || depth > 0;
}

// The scanner, fed line by line, answers as a scan of all the lines so far
// does, for lines of strings (with escapes, across lines), comments and
// brackets.
TEST(InputScannerTest, AgreesWithAScanOfTheWholeText) {
  const std::vector<std::string> pieces = {"(", ")", "[", "]", "\"", "'", "\\", "\\\"", "-- c", "-", "x", " ", "\\n"};
  std::mt19937 rng(12345);
  for (int round = 0; round < 2000; ++round) {
    InputScanner scanner;
    std::string joined;
    for (int line = 0; line < 6; ++line) {
      std::string text;
      const int n = static_cast<int>(rng() % 8);
      for (int i = 0; i < n; ++i) text += pieces[rng() % pieces.size()];
      joined += (line ? "\n" : "") + text;
      scanner.Feed(text);
      ASSERT_EQ(scanner.unfinished(), ReferenceUnfinished(joined)) << "after: " << joined;
      ASSERT_EQ(Unfinished(joined), ReferenceUnfinished(joined)) << "after: " << joined;
    }
  }
}

TEST_F(LangTest, AStringLeftOpenIsReadInLinearTime) {
  // 100,000 lines after an unclosed quote: each line is scanned once (this
  // took 40 s when every line rescanned all the lines before it).
  std::string script = "count nothing\nlet s = \"abc\n";
  for (int i = 0; i < 100000; ++i) script += "put c k" + std::to_string(i) + " random(1)\n";
  EXPECT_EQ(Script(script),
            "Error: line 1, column 1: no collection 'nothing'\nError: line 2, column 9: string is not closed\n");
}

TEST_F(LangTest, AnInputLeftOpenPastTheCapIsGivenUp) {
  const std::string kilobyte(1023, 'x');
  std::string script = "count nothing\nlet s = \"abc\n";
  while (script.size() < kMaxPendingInput + 4096) script += kilobyte + "\n";
  EXPECT_EQ(Script(script + "count more\n"),
            "Error: line 1, column 1: no collection 'nothing'\n"
            "Error: line 16386: the string opened on line 2 is still open after 16 MiB\n");
  script = "let b = bundle(\n";
  while (script.size() < kMaxPendingInput + 4096) script += "random(1),\n";
  EXPECT_TRUE(Contains(Script(script), "Error: line 1525202: the bracket opened on line 1 is still open after 16 MiB"));
  // One line, no newline, longer than the cap.
  EXPECT_EQ(Script("count nothing\n" + std::string(kMaxPendingInput + 10, 'y')),
            "Error: line 1, column 1: no collection 'nothing'\nError: line 2 is longer than 16 MiB\n");
}

// Every number that becomes an integer is checked against the integer's
// range first (the cast is undefined behaviour outside it).
TEST_F(LangTest, NumbersAreRangeCheckedBeforeTheyBecomeIntegers) {
  ASSERT_EQ(Script("create collection c dim 64\nput c a level(1, 0, 1)\n.dim 64"), "");
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"random(1e300)", "random: argument 1 must be an integer in [0, 2^53], got 1e+300"},
      {"random(-1)", "random: argument 1 must be an integer in [0, 2^53], got -1"},
      {"random(1e16)", "random: argument 1 must be an integer in [0, 2^53], got 1e+16"},
      {"random(0.5)", "random: argument 1 must be an integer in [0, 2^53], got 0.5"},
      {"text(\"abc\", 1e300)", "text: argument 2 must be an integer in [1, 64], got 1e+300"},
      {"text(\"abc\", 0)", "text: argument 2 must be an integer in [1, 64], got 0"},
      {"text(\"abc\", 65)", "text: argument 2 must be an integer in [1, 64], got 65"},
      {"level(1, 0, 2, 1e300)", "level: argument 4 must be an integer in [2, 2^32], got 1e+300"},
      {"thermometer(1, 0, 2, -5)", "thermometer: argument 4 must be an integer in [2, 2^32], got -5"},
      {"circular(1, 0, 2, 4294967297)", "circular: argument 4 must be an integer in [2, 2^32], got 4294967297"},
      {"permute(random(1), 1e300)", "permute: argument 2 must be an integer in [-2^53, 2^53], got 1e+300"},
      {"permute(random(1), -1e16)", "permute: argument 2 must be an integer in [-2^53, 2^53], got -1e+16"},
  };
  for (const auto& [expr, message] : refused) {
    const std::string printed = Script("let x = " + expr);
    EXPECT_TRUE(Contains(printed, message)) << expr << ": " << printed;
  }
  EXPECT_EQ(Script("let x = random(1e300)"),
            "Error: line 1, column 16: random: argument 1 must be an integer in [0, 2^53], got 1e+300\n");
  // The ends of the ranges are accepted.
  EXPECT_EQ(Script("let x = bind(random(9007199254740992), permute(random(0), -9007199254740992), text(\"abc\", 64), "
                   "level(1, 0, 2, 4294967296))"),
            "");
  EXPECT_EQ(Script("accumulate c acc random(1) weight 1e300"),
            "Error: line 1, column 1: weight must be a non-zero integer in [-2147483647, 2147483647]\n");
  EXPECT_EQ(Script("search c random(1) radius 4294967296"),
            "Error: line 1, column 27: radius must be an integer in [0, 4294967295], found 4294967296\n");
  // Scalar codes of values whose differences overflow a double still land
  // on the right level: the top one here, as level(1, 0, 1).
  EXPECT_EQ(Script("search c level(1e308, -1e308, 1e308) k 1"), "key  distance  similarity\na    0         1.000000\n");
}

// A stored key cannot send escape sequences to the terminal: table and CSV
// output escape control bytes, C1 controls, bytes that are not UTF-8 and the
// backslash; JSON escapes them its own way; printable UTF-8 stays as it is.
TEST_F(LangTest, ControlBytesInKeysAreEscapedInTextOutput) {
  ASSERT_EQ(Script("create collection c dim 64\n" R"(put c "red\x1b[31m\nback\\slash\x7f\xff\xc2\x9b café" random(7))"),
            "");
  const std::string shown = R"(red\x1b[31m\x0aback\\slash\x7f\xff\xc2\x9b café)";
  const auto raw_control = [](const std::string& printed) {
    for (const char c : printed) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7f) return true;
    }
    return Contains(printed, "\xc2\x9b");
  };
  std::string printed = Script("search c random(7) k 1");
  // Padded by characters: é is two bytes, one column.
  EXPECT_EQ(printed, "key" + std::string(shown.size() - 2, ' ') + "distance  similarity\n" + shown +
                         "  0         1.000000\n");
  printed = Script(R"(get c "red\x1b[31m\nback\\slash\x7f\xff\xc2\x9b café")");
  EXPECT_TRUE(Contains(printed, "\n" + shown + "  ")) << printed;
  EXPECT_FALSE(raw_control(printed)) << printed;
  EXPECT_EQ(Script("cleanup c random(7)"), shown + " (distance 0, 8.00 sigma)\n");
  EXPECT_EQ(Script(".mode csv\nsearch c random(7) k 1"), "key,distance,similarity\n" + shown + ",0,1.000000\n");
  EXPECT_EQ(Script(".mode json\nsearch c random(7) k 1"),
            R"([{"key":"red\u001b[31m\nback\\slash\u007f\udcff\u009b café","distance":0,"similarity":1.000000}])"
            "\n");
}

TEST(PrintableTest, EscapesWhatATerminalWouldObey) {
  EXPECT_EQ(Printable("plain key, café, 日本"), "plain key, café, 日本");
  EXPECT_EQ(Printable(std::string("a\0b\tc\x1b\x7f\\", 8)), R"(a\x00b\x09c\x1b\x7f\\)");
  EXPECT_EQ(Printable("\xc2\x80\xc2\x9f\xc2\xa0"), "\\xc2\\x80\\xc2\\x9f\xc2\xa0");  // C1 escaped, NBSP kept
  EXPECT_EQ(Printable("\xff\xc3(\xe2\x82"), R"(\xff\xc3(\xe2\x82)");  // not UTF-8: each byte
  EXPECT_EQ(Printable("\xed\xa0\x80\xf4\x90\x80\x80"), R"(\xed\xa0\x80\xf4\x90\x80\x80)");  // surrogate, > U+10FFFF
}

TEST_F(LangTest, ReadNestsUpToTheLimit) {
  ASSERT_EQ(Script("create collection c dim 64"), "");
  // A file that reads itself: 16 levels run, the 17th is refused by name.
  const fs::path self = dir_ / "self.hvdb";
  Write("self.hvdb", ".read " + self.string() + "\ncount c\n");
  // The refused .read is the innermost file's: the error names that file
  // and its line.
  const std::string want = "Error: " + self.string() + ": line 1: cannot read '" + self.string() +
                           "': .read nests deeper than 16 files (does a file read itself?)\n";
  std::string counts;
  for (int i = 0; i < kMaxReadDepth; ++i) counts += "0\n";
  EXPECT_EQ(Script(".read " + self.string()), counts + want);
  // With .bail on, that error ends every file and the session.
  EXPECT_EQ(Script(".bail on\n.read " + self.string() + "\ncount c"), want);
  EXPECT_TRUE(session_->failed());
}

TEST_F(LangTest, ErrorsNameTheScriptLineAndTheReadFile) {
  ASSERT_EQ(Script("create collection c dim 64"), "");
  Write("inner.hvdb", "count c\n\n-- a comment\ncuont c\n");
  const std::string inner = (dir_ / "inner.hvdb").string();
  EXPECT_EQ(Script("count c\nput c k bind(\n  sym(\"a\"),\n  nope)\n.read " + inner + "\ncount nothing"),
            "0\n0\nError: line 4, column 3: unknown variable 'nope' (define it with let)\nError: " + inner +
                ": line 4, column 1: unknown statement 'cuont' (did you mean 'count'?)\n"
                "Error: line 6, column 1: no collection 'nothing'\n");
}

TEST_F(LangTest, VariablesAreBoundedWithTheExpressionsTheyKeep) {
  session_->policy.max_variable_bytes = 100000;
  EXPECT_EQ(Script(".dim 64\nlet small = sym(\"x\")"), "");
  // An 8-byte vector from a 150 KB name: the kept expression counts.
  const std::string out = Script("let big = sym(\"" + std::string(150000, 'x') + "\")");
  EXPECT_TRUE(Contains(out, "the session's variables would hold")) << out.substr(0, 200);
  // A let naming a variable keeps no expression: only its value counts.
  EXPECT_EQ(Script("let again = bind(small, small)"), "");
}

TEST_F(LangTest, ReadOfADirectoryOrAMissingFileIsAnError) {
  EXPECT_EQ(Script(".read " + dir_.string()), "Error: line 1: cannot read '" + dir_.string() + "': it is a directory\n");
  const std::string missing = (dir_ / "missing.hvdb").string();
  EXPECT_EQ(Script("count nope\n\n.read " + missing),
            "Error: line 1, column 1: no collection 'nope'\nError: line 3: cannot read '" + missing +
                "': No such file or directory\n");
}

// .device gpu without a search device says so at once (not at every search
// after it) and keeps the device; with one (a fake device here) it is taken.
TEST_F(LangTest, DeviceGpuIsRefusedAtOnceWithoutADevice) {
  std::vector<kernels::SearchDevice*> none;
  kernels::OverrideSearchDevicesForTesting(&none);
  std::string printed = Script(".device gpu\n.device\n");
  EXPECT_TRUE(Contains(printed, ".device gpu: no search device here (no device (test override)); the device stays auto"))
      << printed;
  EXPECT_TRUE(Contains(printed, "device: auto (search devices: none")) << printed;
  EXPECT_EQ(session_->device, "auto");
  kernels::FakeDevice fake(0, {});
  std::vector<kernels::SearchDevice*> one{&fake};
  kernels::OverrideSearchDevicesForTesting(&one);
  printed = Script(".device gpu\n.device\n");
  EXPECT_EQ(session_->device, "gpu") << printed;
  EXPECT_TRUE(Contains(printed, "device: gpu (search devices: fake:0)")) << printed;
  kernels::OverrideSearchDevicesForTesting(nullptr);
}

// .output and .once send results to a file as sqlite3's do; errors and
// .timer's lines stay on stderr, so a CSV file holds only the CSV.
TEST_F(LangTest, OutputAndOnceSendResultsToAFile) {
  const std::string csv = (dir_ / "hits.csv").string(), all = (dir_ / "all.txt").string();
  std::string printed = Script("create collection c dim 64\nput c a sym(\"a\")\n.mode csv\n.timer on\n"
                               ".once " + csv + "\nsearch c sym(\"a\") k 1\ncount c\n");
  std::ifstream in(csv);
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(file, "key,distance,similarity\na,0,1.000000\n");
  EXPECT_TRUE(Contains(printed, "count\n1\n")) << printed;  // after .once, the terminal again
  EXPECT_FALSE(Contains(out_.str(), "time:"));
  // .output until .output alone; a second .output replaces the first file.
  Script(".output " + all + "\ncount c\n.output " + all + "\ncount c\nget c a\n.show\n.output\ncount c\n");
  std::ifstream again(all);
  const std::string text((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(text.rfind("count\n1\nkey,hex\n", 0) == 0) << text;
  EXPECT_TRUE(Contains(text, "output: " + all + "\n")) << text;
  EXPECT_EQ(session_->output_name(), "");
  // A file that cannot be written is an error naming it; output stays put.
  printed = Script(".output " + (dir_ / "no/such/dir.txt").string() + "\ncount c\n");
  EXPECT_TRUE(Contains(printed, "cannot write")) << printed;
  EXPECT_TRUE(Contains(printed, "count\n1\n")) << printed;
  // The same file again: what the first redirect held back is not left
  // behind the new output (the file is flushed before it is truncated).
  auto read = [](const std::string& path) {
    std::ifstream f(path);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  };
  Script(".mode table\n.output " + all + "\nsearch c sym(\"a\") k 5\n.output " + all + "\ncount c\n.output\n");
  EXPECT_EQ(read(all), "1\n");
  // .once before a .read: the whole .read goes to the file; an .output inside
  // it stays in force afterwards; a comment line does not use .once up.
  const std::string once = (dir_ / "once.txt").string(), inner = (dir_ / "inner.txt").string();
  Write("s.hvdb", "count c\n.output " + inner + "\ncount c\n");
  Script(".once " + once + "\n-- a comment\n.read " + (dir_ / "s.hvdb").string() + "\ncount c\n");
  EXPECT_EQ(read(once), "1\n");
  EXPECT_EQ(session_->output_name(), inner);
  Script(".output\n");
  EXPECT_EQ(read(inner), "1\n1\n");
  // json mode: with results in a file, errors stay on the terminal.
  printed = Script(".mode json\n.output " + all + "\nget c \"nope\"\ncount c\n.output\n");
  EXPECT_TRUE(Contains(printed, "{\"error\":")) << printed;
  EXPECT_EQ(read(all), "{\"count\":1}\n");
  Script(".mode csv\n");
  // .timer's line is a notice: stderr here, wherever it is routed.
  std::ostringstream notes;
  session_->RouteNotices(&notes);
  printed = Script("count c\n");
  EXPECT_TRUE(Contains(notes.str(), "time: ")) << notes.str();
  EXPECT_FALSE(Contains(printed, "time: ")) << printed;
}

// TAB completes by context, from the grammar's tables.
TEST_F(LangTest, CompletionFollowsTheContext) {
  Script("create collection fruit dim 64\nlet v = sym(\"x\")\n");
  auto words = [&](std::string_view before) { return session_->Complete(before).words; };
  auto has = [](const std::vector<std::string>& w, const std::string& x) {
    return std::find(w.begin(), w.end(), x) != w.end();
  };
  EXPECT_TRUE(has(words(""), "alter"));
  EXPECT_TRUE(has(words(""), ".output"));
  EXPECT_FALSE(has(words(""), "fruit"));
  EXPECT_EQ(words("get "), std::vector<std::string>{"fruit"});
  EXPECT_EQ(words("search "), std::vector<std::string>{"fruit"});
  EXPECT_EQ(words("alter collection "), std::vector<std::string>{"fruit"});
  EXPECT_EQ(words("alter collection fruit index "), IndexKinds());
  EXPECT_EQ(words("create collection x dim 64 index hnsw m 8 "), (std::vector<std::string>{
      "bits", "candidates", "nlist", "nprobe", "iterations", "m", "ef_construction", "ef", "index"}));
  EXPECT_EQ(words("drop "), (std::vector<std::string>{"collection", "accumulator"}));
  EXPECT_EQ(words(".mode "), ModeNames());
  EXPECT_EQ(words(".device "), DeviceNames());
  EXPECT_EQ(words(".describe "), std::vector<std::string>{"fruit"});
  EXPECT_TRUE(session_->Complete(".read ").paths);
  EXPECT_TRUE(session_->Complete(".export fruit ").paths);
  EXPECT_FALSE(session_->Complete(".export ").paths);
  const auto expression = words("search fruit bundle(v, ");
  EXPECT_TRUE(has(expression, "bundle(") && has(expression, "v") && has(expression, "fruit"));
  EXPECT_FALSE(has(expression, "k"));  // the options come after the expression
  EXPECT_TRUE(has(words("search fruit v "), "radius"));
  EXPECT_EQ(words("search fruit v device "), DeviceNames());
}

// One table drives the parser's suggestions and .help: alter is suggested,
// .help names every statement and search option, .help WORD finds one.
TEST_F(LangTest, HelpAndSuggestionsComeFromTheGrammar) {
  EXPECT_TRUE(Contains(Script("altr collection x index flat\n"), "did you mean 'alter'?"));
  const std::string help = Script(".help\n");
  for (const std::string& word : StatementWords()) EXPECT_TRUE(Contains(help, "  " + word)) << word;
  for (const std::string& option : SearchOptionWords()) EXPECT_TRUE(Contains(help, "[" + option)) << option;
  EXPECT_TRUE(Contains(Script(".help search\n"), "search NAME EXPR [k N]"));
  EXPECT_TRUE(Contains(Script(".help bundle\n"), "bundle(a, b, ...)"));
  EXPECT_TRUE(Contains(Script(".help serch\n"), "did you mean 'search'?"));
}

// Tables pad by characters, not bytes: a key with an accent lines up.
TEST_F(LangTest, TablesPadUtf8KeysByCharacter) {
  const std::string printed =
      Script("create collection c dim 64\nput c \"café\" random(1)\nput c \"cafe\" random(1)\nsearch c random(1) k 2\n");
  EXPECT_TRUE(Contains(printed, "café  0 ")) << printed;
  EXPECT_TRUE(Contains(printed, "cafe  0 ")) << printed;
}

}  // namespace
}  // namespace hvdb::shell
