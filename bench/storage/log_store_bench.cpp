// The embedded log's storage choice, measured: our segment log (PartitionLog) against LMDB, the
// well-kept embedded store Debian ships, on the same records in one run.
//
// Workload: N records of 100-byte values appended in batches of 500 (one produce request each),
// then read back in windows of 500 from random offsets (one consume request each). Durable mode
// syncs after every batch (LMDB: a synchronous commit; the segment log: fdatasync), i.e. one
// writer with no group commit to help either side.
//
// Usage: log_store_bench DIR [records]
#include <lmdb.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/embedded/partition_log.hpp"
#include "storage/embedded/record_frame.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using krest::proxy::FetchRequest;
using krest::proxy::FetchResult;

namespace {

constexpr int kBatch = 500;

void check(int rc, const char* what) {
  if (rc != MDB_SUCCESS) throw std::runtime_error(std::string(what) + ": " + mdb_strerror(rc));
}

std::string value_of(std::int64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "r%09lld-", static_cast<long long>(i));
  std::string v(buf);
  v.resize(100, 'v');
  return v;
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::uint64_t dir_bytes(const fs::path& dir) {
  std::uint64_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) n += e.file_size();
  return n;
}

struct Result {
  double append_s, read_s;
  std::uint64_t bytes;
};

Result run_segment_log(const fs::path& dir, std::int64_t records, bool durable) {
  krest::proxy::LogSettings settings;
  auto log = krest::proxy::PartitionLog::open(dir, 0, settings);
  std::string frame;
  auto t = Clock::now();
  for (std::int64_t base = 0; base < records; base += kBatch) {
    krest::proxy::FrameBuilder b(frame);
    for (int i = 0; i < kBatch; ++i) b.add(std::nullopt, value_of(base + i));
    b.seal();
    log->append(frame, b.records(), 1);
    if (durable) log->sync();
  }
  Result r{seconds_since(t), 0, dir_bytes(dir)};
  std::mt19937_64 rng(1);
  t = Clock::now();
  std::size_t got = 0;
  for (std::int64_t i = 0; i < records / kBatch; ++i) {
    FetchResult out;
    log->read(FetchRequest{0, static_cast<std::int64_t>(rng() % (records / kBatch)) * kBatch, kBatch, 6 << 20}, out);
    got += out.records.size();
  }
  r.read_s = seconds_since(t);
  if (got != static_cast<std::size_t>(records)) throw std::runtime_error("segment log read back too few records");
  return r;
}

Result run_lmdb(const fs::path& dir, std::int64_t records, bool durable) {
  fs::create_directories(dir);
  MDB_env* env = nullptr;
  check(mdb_env_create(&env), "mdb_env_create");
  check(mdb_env_set_mapsize(env, 64ULL << 30), "mdb_env_set_mapsize");
  check(mdb_env_open(env, dir.c_str(), durable ? 0 : MDB_NOSYNC, 0644), "mdb_env_open");
  MDB_dbi dbi;
  {
    MDB_txn* txn;
    check(mdb_txn_begin(env, nullptr, 0, &txn), "begin");
    check(mdb_dbi_open(txn, nullptr, 0, &dbi), "dbi");
    check(mdb_txn_commit(txn), "commit");
  }
  // One key per record: the big-endian offset, so keys sort by offset and MDB_APPEND applies.
  auto key_of = [](std::int64_t o, unsigned char* k) {
    for (int i = 7; i >= 0; --i, o >>= 8) k[i] = static_cast<unsigned char>(o & 0xff);
  };
  auto t = Clock::now();
  for (std::int64_t base = 0; base < records; base += kBatch) {
    MDB_txn* txn;
    check(mdb_txn_begin(env, nullptr, 0, &txn), "begin");
    for (int i = 0; i < kBatch; ++i) {
      unsigned char k[8];
      key_of(base + i, k);
      std::string v = value_of(base + i);
      MDB_val key{8, k}, val{v.size(), v.data()};
      check(mdb_put(txn, dbi, &key, &val, MDB_APPEND), "put");
    }
    check(mdb_txn_commit(txn), "commit");
  }
  Result r{seconds_since(t), 0, dir_bytes(dir)};
  std::mt19937_64 rng(1);
  t = Clock::now();
  std::size_t got = 0;
  std::vector<char> out;
  for (std::int64_t i = 0; i < records / kBatch; ++i) {
    MDB_txn* txn;
    check(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn), "begin");
    MDB_cursor* cur;
    check(mdb_cursor_open(txn, dbi, &cur), "cursor");
    unsigned char k[8];
    key_of(static_cast<std::int64_t>(rng() % (records / kBatch)) * kBatch, k);
    MDB_val key{8, k}, val;
    out.clear();
    int rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
    for (int n = 0; rc == MDB_SUCCESS && n < kBatch; ++n) {
      out.insert(out.end(), static_cast<char*>(val.mv_data), static_cast<char*>(val.mv_data) + val.mv_size);
      ++got;
      rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
  }
  r.read_s = seconds_since(t);
  mdb_env_close(env);
  if (got != static_cast<std::size_t>(records)) throw std::runtime_error("lmdb read back too few records");
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [records]\n", argv[0]);
    return 2;
  }
  const fs::path base = argv[1];
  const std::int64_t records = argc > 2 ? std::stoll(argv[2]) : 2'000'000;
  std::printf(
      "| store | durability | append records/s | read records/s | bytes on disk per record |\n|---|---|---|---|---|\n");
  for (bool durable : {false, true}) {
    // Durable runs sync every batch; fewer records keep them short.
    const std::int64_t n = durable ? std::min<std::int64_t>(records, 100'000) : records;
    for (int store = 0; store < 2; ++store) {
      fs::path dir = base / ((store ? "lmdb-" : "segment-") + std::string(durable ? "sync" : "nosync"));
      fs::remove_all(dir);
      Result r = store ? run_lmdb(dir, n, durable) : run_segment_log(dir, n, durable);
      std::printf("| %s | %s | %.0f | %.0f | %.1f |\n",
                  store ? "LMDB (MDB_APPEND, key per record)" : "segment log (krest)",
                  durable ? "sync per batch" : "no sync", n / r.append_s, n / r.read_s,
                  static_cast<double>(r.bytes) / static_cast<double>(n));
      fs::remove_all(dir);
    }
  }
}
