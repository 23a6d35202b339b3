// Copyright hvdb authors. Kanerva's "What is the dollar of Mexico?": records
// of two countries bound role to filler, a mapping between them by binding,
// and a cleanup memory that turns the noisy answer into "peso".
// Run: build/examples/hvdb_example_dollar_of_mexico [DB_PATH]
#include <hvdb/hvdb.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {

int Fail(const hvdb::Status& s) {
  std::fprintf(stderr, "%s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "/tmp/hvdb-dollar-of-mexico";
  std::unique_ptr<hvdb::DB> db;
  if (hvdb::Status s = hvdb::DB::Open({}, path, &db); !s.ok()) return Fail(s);
  const size_t dim = 10048;
  if (hvdb::Status s = db->CreateCollection("world", {.dim = dim}); !s.ok() && !s.IsAlreadyExists()) return Fail(s);
  hvdb::Collection* world = nullptr;
  if (hvdb::Status s = db->GetCollection("world", &world); !s.ok()) return Fail(s);

  // The item memory: one symbol per role and filler, stored so that cleanup
  // can name them.
  auto symbol = [&](const std::string& name) {
    hvdb::Hypervector v = hvdb::hdc::Symbol(world->item_memory_seed(), name, dim).value();
    (void)world->Put(name, v, {.sync = false});
    return v;
  };
  const hvdb::Hypervector country = symbol("country"), capital = symbol("capital"), currency = symbol("currency");
  const std::vector<hvdb::Hypervector> roles = {country, capital, currency};
  const hvdb::Hypervector usa = hvdb::hdc::Record(roles, std::vector{symbol("usa"), symbol("washington"), symbol("dollar")}).value();
  const hvdb::Hypervector mexico = hvdb::hdc::Record(roles, std::vector{symbol("mexico"), symbol("mexico city"), symbol("peso")}).value();

  // USA x MEX maps each filler of one record onto the other's filler of the
  // same role: dollar x (USA x MEX) is near peso.
  const hvdb::Hypervector mapping = hvdb::hdc::Bind(usa, mexico).value();
  const hvdb::Hypervector answer = hvdb::hdc::Bind(symbol("dollar"), mapping).value();
  auto hit = world->Cleanup(answer, /*min_sigmas=*/4);
  if (!hit.ok()) return Fail(hit.status());
  std::printf("the dollar of Mexico is: %s (distance %u of %zu, %.1f sigma from chance)\n", hit->key.c_str(),
              hit->distance, dim, hvdb::hdc::ZScore(hit->distance, dim));

  // And the capital of Mexico, by unbinding the role from the record.
  auto city = world->Cleanup(hvdb::hdc::Unbind(mexico, capital).value());
  if (!city.ok()) return Fail(city.status());
  std::printf("the capital of Mexico is: %s\n", city->key.c_str());

  // A question the records cannot answer gets "not found", not noise.
  auto none = world->Cleanup(hvdb::hdc::Symbol(world->item_memory_seed(), "unrelated", dim).value());
  std::printf("an unrelated query: %s\n", none.ok() ? none->key.c_str() : none.status().message().c_str());
  return hit->key == "peso" && city->key == "mexico city" && none.status().IsNotFound() ? 0 : 1;
}
