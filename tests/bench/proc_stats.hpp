#pragma once
// What /proc says about the server under test: CPU time spent (utime+stime) and RSS.

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

namespace gleitzeit::bench {

/// CPU time of process `pid` in microseconds, or -1 when it cannot be read.
inline std::int64_t cpu_us(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line))
        return -1;
    // The command name may hold spaces; the fields after its ')' are space-separated.
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    std::int64_t utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14)
            utime = std::stoll(field);
        if (i == 15)
            stime = std::stoll(field);
    }
    return (utime + stime) * 1'000'000 / sysconf(_SC_CLK_TCK);
}

/// Resident set size of process `pid` in KiB, or -1.
inline std::int64_t rss_kb(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string key;
    while (in >> key) {
        if (key == "VmRSS:") {
            std::int64_t kb = -1;
            in >> kb;
            return kb;
        }
        in.ignore(1 << 16, '\n');
    }
    return -1;
}

} // namespace gleitzeit::bench
