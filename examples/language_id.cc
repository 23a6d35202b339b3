// Copyright hvdb authors. Language identification with letter-trigram
// profiles: each language's training sentences are encoded (hdc::Text) and
// added to an accumulator; a test sentence is given the language whose
// profile is nearest. Text comes from Debian's word lists (wamerican,
// wngerman, wfrench, witalian, wspanish, wportuguese, wdutch): sentences of
// random words, with test sentences drawn from words never seen in training.
//
// Run: build/examples/hvdb_example_language_id [--db PATH] [--train N] [--test N] [--words W] [--dim D]
#include <hvdb/hvdb.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

struct Language {
  const char* name;
  const char* word_list;
};
constexpr Language kLanguages[] = {
    {"english", "/usr/share/dict/american-english"}, {"german", "/usr/share/dict/ngerman"},
    {"french", "/usr/share/dict/french"},            {"italian", "/usr/share/dict/italian"},
    {"spanish", "/usr/share/dict/spanish"},          {"portuguese", "/usr/share/dict/portuguese"},
    {"dutch", "/usr/share/dict/dutch"},
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "language_id: %s\n", message.c_str());
  return 1;
}

// Lower-case ASCII letters; other bytes (UTF-8 letters included) kept.
std::string Lower(std::string w) {
  for (char& c : w) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return w;
}

std::string Sentence(const std::vector<std::string>& words, size_t count, std::mt19937_64& rng) {
  std::string s;
  for (size_t i = 0; i < count; ++i) s += (i ? " " : "") + words[rng() % words.size()];
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = "/tmp/hvdb-language-id";
  size_t train = 400, test = 200, words_per_sentence = 8, dim = 10048;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--db") path = value;
    else if (flag == "--train") train = std::strtoul(value, nullptr, 10);
    else if (flag == "--test") test = std::strtoul(value, nullptr, 10);
    else if (flag == "--words") words_per_sentence = std::strtoul(value, nullptr, 10);
    else if (flag == "--dim") dim = std::strtoul(value, nullptr, 10);
    else return Fail("unknown option " + flag);
  }
  std::unique_ptr<hvdb::DB> db;
  if (hvdb::Status s = hvdb::DB::Open({}, path, &db); !s.ok()) return Fail(s.ToString());
  (void)db->DropCollection("languages");
  if (hvdb::Status s = db->CreateCollection("languages", {.dim = dim}); !s.ok()) return Fail(s.ToString());
  hvdb::Collection* profiles = nullptr;
  (void)db->GetCollection("languages", &profiles);
  const uint64_t seed = profiles->item_memory_seed();

  // Words of each language, split in two: training words and unseen test words.
  std::vector<std::vector<std::string>> train_words, test_words;
  std::mt19937_64 rng(2026);
  for (const Language& lang : kLanguages) {
    std::ifstream in(lang.word_list);
    if (!in) return Fail(std::string("cannot read ") + lang.word_list + " (scripts/install-deps.sh installs it)");
    std::vector<std::string> all;
    for (std::string w; std::getline(in, w);) {
      if (w.size() >= 2 && w.find('\'') == std::string::npos) all.push_back(Lower(w));
    }
    std::shuffle(all.begin(), all.end(), rng);
    train_words.emplace_back(all.begin(), all.begin() + all.size() / 2);
    test_words.emplace_back(all.begin() + all.size() / 2, all.end());
  }

  // Training: one accumulator per language, then its majority stored as the profile.
  const size_t languages = std::size(kLanguages);
  for (size_t l = 0; l < languages; ++l) {
    std::vector<hvdb::Hypervector> encoded;
    for (size_t i = 0; i < train; ++i) {
      encoded.push_back(hvdb::hdc::Text(Sentence(train_words[l], words_per_sentence, rng), 3, seed, dim).value());
    }
    if (hvdb::Status s = profiles->Accumulate(kLanguages[l].name, encoded, 1, {.sync = false}); !s.ok()) {
      return Fail(s.ToString());
    }
    if (hvdb::Status s = profiles->Put(kLanguages[l].name, profiles->ReadAccumulator(kLanguages[l].name).value());
        !s.ok()) {
      return Fail(s.ToString());
    }
  }

  // Testing: the nearest profile names the language.
  size_t correct_all = 0;
  for (size_t l = 0; l < languages; ++l) {
    std::vector<hvdb::Hypervector> queries;
    for (size_t i = 0; i < test; ++i) {
      queries.push_back(hvdb::hdc::Text(Sentence(test_words[l], words_per_sentence, rng), 3, seed, dim).value());
    }
    auto hits = profiles->SearchBatch(queries, {.k = 1});
    if (!hits.ok()) return Fail(hits.status().ToString());
    size_t correct = 0;
    for (const auto& h : *hits) correct += !h.empty() && h[0].key == kLanguages[l].name;
    correct_all += correct;
    std::printf("%-10s %5.1f%%  (%zu of %zu)\n", kLanguages[l].name, 100.0 * correct / test, correct, test);
  }
  const double accuracy = static_cast<double>(correct_all) / static_cast<double>(test * languages);
  std::printf("overall    %5.1f%%  (%zu sentences of %zu unseen words, %zu training sentences a language, D = %zu)\n",
              100 * accuracy, test * languages, words_per_sentence, train, dim);
  return 0;
}
