// Measures what Debian's libsimdjson-dev would give ingest's hot path: each
// line parsed and fully validated into a DOM (simdjson's DOM parser checks
// UTF-8 and the whole grammar), then the envelope fields ingest reads looked
// up. Input is read whole into memory first so only parsing is timed.
// Build: g++ -O3 -std=c++17 simdjson-probe.cpp -lsimdjson -o probe
#include <simdjson.h>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

int main(int argc, char **argv) {
  if (argc < 2) { std::fprintf(stderr, "usage: probe FILE.ndjson\n"); return 64; }
  std::ifstream in(argv[1], std::ios::binary);
  std::stringstream ss; ss << in.rdbuf();
  std::string data = ss.str();
  simdjson::dom::parser parser;
  size_t lines = 0, ok = 0, bad = 0, found = 0;
  auto t0 = std::chrono::steady_clock::now();
  size_t pos = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) nl = data.size();
    // The line is copied into the parser's padded buffer (realloc_if_needed).
    auto doc = parser.parse(data.data() + pos, nl - pos, true);
    lines++;
    if (doc.error()) { bad++; }
    else {
      ok++;
      simdjson::dom::element e = doc.value();
      std::string_view s;
      if (!e["event"].get(s) && !e["userId"].get(s) && !e["timestamp"].get(s) && !e["messageId"].get(s)) found++;
    }
    pos = nl + 1;
  }
  auto t1 = std::chrono::steady_clock::now();
  double secs = std::chrono::duration<double>(t1 - t0).count();
  std::printf("simdjson DOM: %zu lines (%zu valid, %zu invalid, %zu with fields) in %.3f s, %.0f lines/s, %.0f MB/s\n",
              lines, ok, bad, found, secs, lines / secs, data.size() / secs / 1e6);
}
