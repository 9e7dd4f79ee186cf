// kiln_onnx_runner: runs ONNX conformance cases (ONNX's backend node tests written out by
// scripts/onnx/dump_node_tests.py, or real models from scripts/onnx/make_models.py) through Kiln's parser,
// builder and CPU runtime, one line per case: PASS / FAIL(reason) / UNSUPPORTED(ops and reasons).
// Each case runs in a forked child, so a crash or a hang in one case is reported as that case's FAIL and
// the run goes on. Directory mode writes JSON/CSV summaries with per-op counts and checks the
// expected-pass list (a listed case that does not pass is a regression: exit status 1).
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "case_runner.h"
#include "kiln/kiln.h"
#include "kiln/onnx_parser.h"
#include "summary.h"

namespace kc = kiln::conformance;
namespace fs = std::filesystem;

namespace {

constexpr const char* kUsage =
    "usage: kiln_onnx_runner [options] CASE_DIR...\n"
    "       kiln_onnx_runner [options] --dir ROOT\n"
    "Runs ONNX test cases (model.onnx + test_data_set_N/{input,output}_K.pb + case.txt) on Kiln's CPU\n"
    "backend and prints PASS / FAIL(reason) / UNSUPPORTED(op: reason) per case.\n"
    "  --dir ROOT             every subdirectory of ROOT holding a case.txt (sorted by name)\n"
    "  --filter REGEX         only cases whose name matches (ECMAScript regex, searched)\n"
    "  --jobs N               cases run at once (default 1)\n"
    "  --timeout S            seconds before a case is killed and FAILs (default 300)\n"
    "  --rel-l2 TOL           compare float outputs by relative L2 error < TOL instead of allclose\n"
    "  --rtol R, --atol A     override the cases' allclose tolerances (default: onnx's, from case.txt)\n"
    "  --expected FILE        expected-pass list: exit 1 if a listed case does not pass; print new passes\n"
    "  --write-passing FILE   write the names of the passing cases (to regenerate the expected list)\n"
    "  --summary-json FILE    per-case results, per-op counts and the supported-op metric as JSON\n"
    "  --summary-csv FILE     per-case results as CSV\n"
    "  --no-fork              run cases in this process (for a debugger; a crash ends the run)\n"
    "  --quiet                print only cases that did not pass, and the summary\n"
    "  --verbose              echo Kiln's log messages to stderr\n"
    "Exit status: with --expected, 1 on a regression; otherwise 1 unless every case passed.\n";

struct Args {
    std::vector<std::string> cases;
    std::string dir, filter, expected, writePassing, summaryJson, summaryCsv;
    int jobs{1};
    double timeout{300};
    bool fork{true}, quiet{false};
    kc::RunOptions options;
};

bool parseArgs(int argc, char** argv, Args* a, std::string* error) {
    for (int k = 1; k < argc; ++k) {
        const std::string arg = argv[k];
        auto value = [&](std::string* out) {
            if (k + 1 >= argc) {
                *error = arg + " needs a value";
                return false;
            }
            *out = argv[++k];
            return true;
        };
        auto number = [&](double* out) {
            std::string text;
            if (!value(&text)) return false;
            char* end = nullptr;
            *out = std::strtod(text.c_str(), &end);
            if (text.empty() || *end != '\0') {
                *error = arg + " expects a number, got '" + text + "'";
                return false;
            }
            return true;
        };
        double d = 0;
        if (arg == "--dir") { if (!value(&a->dir)) return false; }
        else if (arg == "--filter") { if (!value(&a->filter)) return false; }
        else if (arg == "--expected") { if (!value(&a->expected)) return false; }
        else if (arg == "--write-passing") { if (!value(&a->writePassing)) return false; }
        else if (arg == "--summary-json") { if (!value(&a->summaryJson)) return false; }
        else if (arg == "--summary-csv") { if (!value(&a->summaryCsv)) return false; }
        else if (arg == "--jobs") {
            if (!number(&d) || d < 1) return *error = error->empty() ? "--jobs expects N >= 1" : *error, false;
            a->jobs = static_cast<int>(d);
        } else if (arg == "--timeout") { if (!number(&a->timeout)) return false; }
        else if (arg == "--rel-l2") { if (!number(&a->options.relL2)) return false; }
        else if (arg == "--rtol") { if (!number(&a->options.rtol)) return false; }
        else if (arg == "--atol") { if (!number(&a->options.atol)) return false; }
        else if (arg == "--no-fork") a->fork = false;
        else if (arg == "--quiet") a->quiet = true;
        else if (arg == "--verbose") a->options.verbose = true;
        else if (arg == "-h" || arg == "--help") { std::fputs(kUsage, stdout); std::exit(0); }
        else if (!arg.empty() && arg[0] == '-') { *error = "unknown option " + arg; return false; }
        else a->cases.push_back(arg);
    }
    if (a->cases.empty() == a->dir.empty()) {
        *error = "give either case directories or --dir ROOT";
        return false;
    }
    return true;
}

// Child side: run the case, send "outcome\tms\treason" up the pipe.
[[noreturn]] void childRun(const std::string& dir, const kc::RunOptions& options, int fd) {
    const kc::CaseResult r = kc::runCase(dir, options);
    const std::string msg = std::to_string(static_cast<int>(r.outcome)) + "\t" + std::to_string(r.ms) + "\t" + r.reason;
    size_t off = 0;
    while (off < msg.size()) {
        const ssize_t n = ::write(fd, msg.data() + off, msg.size() - off);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
    }
    ::_exit(0);
}

kc::CaseResult decodeChild(const std::string& msg, int status) {
    kc::CaseResult r;
    const size_t t1 = msg.find('\t'), t2 = t1 == std::string::npos ? t1 : msg.find('\t', t1 + 1);
    if (t2 == std::string::npos) {
        r.outcome = kc::Outcome::kFail;
        if (WIFSIGNALED(status))
            r.reason = std::string("crashed: signal ") + std::to_string(WTERMSIG(status)) + " (" +
                       strsignal(WTERMSIG(status)) + ")";
        else
            r.reason = "the case's process exited with status " + std::to_string(WEXITSTATUS(status)) +
                       " without a result";
        return r;
    }
    r.outcome = static_cast<kc::Outcome>(std::stoi(msg.substr(0, t1)));
    r.ms = std::stod(msg.substr(t1 + 1, t2 - t1 - 1));
    r.reason = msg.substr(t2 + 1);
    return r;
}

struct Running {
    pid_t pid;
    int fd;
    size_t index;
    std::chrono::steady_clock::time_point start;
    std::string buffer;
};

void printResult(const kc::Record& r, bool quiet) {
    const kc::CaseResult& c = r.result;
    if (quiet && c.outcome == kc::Outcome::kPass) return;
    if (c.outcome == kc::Outcome::kPass)
        std::printf("PASS %s (%s) %.1f ms%s%s\n", r.name.c_str(), r.op.c_str(), c.ms, c.reason.empty() ? "" : ": ",
                    c.reason.c_str());
    else
        std::printf("%s %s (%s): %s\n", kc::outcomeName(c.outcome), r.name.c_str(), r.op.c_str(), c.reason.c_str());
    std::fflush(stdout);
}

// Runs every record's case, at most `jobs` at once, each in its own process.
void runForked(const std::vector<std::string>& dirs, std::vector<kc::Record>& records, const Args& a) {
    std::vector<Running> running;
    size_t next = 0;
    while (next < dirs.size() || !running.empty()) {
        while (next < dirs.size() && static_cast<int>(running.size()) < a.jobs) {
            int fds[2];
            if (::pipe(fds) != 0) {
                records[next].result = {kc::Outcome::kFail, std::string("pipe: ") + std::strerror(errno), 0};
                printResult(records[next++], a.quiet);
                continue;
            }
            std::fflush(stdout);
            std::fflush(stderr);
            const pid_t pid = ::fork();
            if (pid == 0) {
                ::close(fds[0]);
                childRun(dirs[next], a.options, fds[1]);
            }
            ::close(fds[1]);
            if (pid < 0) {
                ::close(fds[0]);
                records[next].result = {kc::Outcome::kFail, std::string("fork: ") + std::strerror(errno), 0};
                printResult(records[next++], a.quiet);
                continue;
            }
            running.push_back({pid, fds[0], next++, std::chrono::steady_clock::now(), {}});
        }
        std::vector<pollfd> fds;
        for (const Running& r : running) fds.push_back({r.fd, POLLIN, 0});
        ::poll(fds.data(), fds.size(), 200);
        for (size_t k = 0; k < running.size();) {
            Running& r = running[k];
            bool done = false;
            if (fds[k].revents & (POLLIN | POLLHUP | POLLERR)) {
                char buf[4096];
                const ssize_t n = ::read(r.fd, buf, sizeof buf);
                if (n > 0) r.buffer.append(buf, static_cast<size_t>(n));
                else done = true;
            }
            const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - r.start).count();
            kc::Record& rec = records[r.index];
            if (!done && elapsed > a.timeout) {
                ::kill(r.pid, SIGKILL);
                int status = 0;
                ::waitpid(r.pid, &status, 0);
                rec.result = {kc::Outcome::kFail, "timeout: killed after " + std::to_string(a.timeout) + " s", elapsed * 1e3};
            } else if (done) {
                int status = 0;
                ::waitpid(r.pid, &status, 0);
                rec.result = decodeChild(r.buffer, status);
            } else {
                ++k;
                continue;
            }
            ::close(r.fd);
            printResult(rec, a.quiet);
            running.erase(running.begin() + static_cast<std::ptrdiff_t>(k));
            fds.erase(fds.begin() + static_cast<std::ptrdiff_t>(k));
        }
    }
}

class QuietLogger : public kiln::ILogger {
public:
    void log(Severity, const char*) noexcept override {}
};

// Asks the parser which ops it supports. Done after all children have finished: the parent creates no
// Kiln object (and so no worker thread) before it forks.
void markSupported(std::vector<kc::Record>& records) {
    QuietLogger logger;
    std::unique_ptr<kiln::IBuilder> builder(kiln::createInferBuilder(logger));
    std::unique_ptr<kiln::INetworkDefinition> network(builder ? builder->createNetworkV2(0) : nullptr);
    std::unique_ptr<kiln::IParser> parser(network ? kiln::createParser(*network, logger) : nullptr);
    if (!parser) {
        std::fprintf(stderr, "kiln_onnx_runner: cannot create a parser to ask which ops are supported\n");
        return;
    }
    std::map<std::string, bool> cache;
    auto supported = [&](const std::string& op) {
        auto it = cache.find(op);
        if (it != cache.end()) return it->second;
        const bool s = op.find(':') == std::string::npos && parser->supportsOperator(op.c_str());
        return cache[op] = s;
    };
    for (kc::Record& r : records) {
        r.opSupported = supported(r.op);
        r.graphSupported = !r.graphOps.empty() &&
                           std::all_of(r.graphOps.begin(), r.graphOps.end(), [&](const std::string& op) { return supported(op); });
    }
}

std::string readIndexHeader(const std::string& dir) {
    std::ifstream in(fs::path(dir) / "index.tsv");
    std::string line;
    if (in && std::getline(in, line) && line.rfind("# ", 0) == 0) {
        const size_t colon = line.find(':');
        return line.substr(2, colon == std::string::npos ? std::string::npos : colon - 2);
    }
    return "";
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    std::string error;
    if (!parseArgs(argc, argv, &a, &error)) {
        std::fprintf(stderr, "kiln_onnx_runner: %s\n%s", error.c_str(), kUsage);
        return 2;
    }
    std::vector<std::string> dirs = a.cases;
    if (!a.dir.empty()) {
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(a.dir, ec))
            if (fs::exists(entry.path() / "case.txt")) dirs.push_back(entry.path().string());
        if (ec) {
            std::fprintf(stderr, "kiln_onnx_runner: cannot list %s: %s\n", a.dir.c_str(), ec.message().c_str());
            return 2;
        }
        std::sort(dirs.begin(), dirs.end());
    }
    std::unique_ptr<std::regex> filter;
    if (!a.filter.empty()) {
        try {
            filter = std::make_unique<std::regex>(a.filter);
        } catch (const std::regex_error& e) {
            std::fprintf(stderr, "kiln_onnx_runner: bad --filter '%s': %s\n", a.filter.c_str(), e.what());
            return 2;
        }
    }

    std::vector<kc::Record> records;
    std::vector<std::string> selected;
    for (const std::string& dir : dirs) {
        kc::CaseSpec spec;
        kc::Record rec;
        if (kc::readCaseSpec(dir, &spec, &error)) {
            rec.name = spec.name;
            rec.op = spec.op;
            rec.opset = spec.opset;
            rec.graphOps = spec.graphOps;
        } else {
            rec.name = fs::path(dir).filename().string();
            rec.op = "(unknown)";
        }
        if (filter && !std::regex_search(rec.name, *filter)) continue;
        records.push_back(rec);
        selected.push_back(dir);
    }
    if (records.empty()) {
        std::fprintf(stderr, "kiln_onnx_runner: no cases to run%s%s (dump them with scripts/onnx/dump_node_tests.py)\n",
                     a.dir.empty() ? "" : " in ", a.dir.c_str());
        return 1;
    }

    if (a.fork) {
        runForked(selected, records, a);
    } else {
        for (size_t k = 0; k < selected.size(); ++k) {
            records[k].result = kc::runCase(selected[k], a.options);
            printResult(records[k], a.quiet);
        }
    }
    markSupported(records);
    const kc::Summary s = kc::summarize(records);

    std::printf("\n%lld cases: %lld passed, %lld failed, %lld unsupported (%.1f%% pass overall)\n",
                static_cast<long long>(s.overall.total), static_cast<long long>(s.overall.pass),
                static_cast<long long>(s.overall.fail), static_cast<long long>(s.overall.unsupported),
                100.0 * static_cast<double>(s.overall.pass) / static_cast<double>(s.overall.total));
    std::printf("metric: %lld of %lld cases whose ops are all supported pass (%.2f%%, target >= 95%%); "
                "by main op only: %lld of %lld (%.2f%%)\n",
                static_cast<long long>(s.metricPassed), static_cast<long long>(s.metricCases), 100.0 * s.metricRate(),
                static_cast<long long>(s.mainOpPassed), static_cast<long long>(s.mainOpCases), 100.0 * s.mainOpRate());

    const std::string source = a.dir.empty() ? "" : readIndexHeader(a.dir);
    bool ok = true;
    if (!a.summaryJson.empty() && !kc::writeJson(a.summaryJson, records, s, source, &error)) ok = false;
    if (!a.summaryCsv.empty() && !kc::writeCsv(a.summaryCsv, records, &error)) ok = false;
    if (!a.writePassing.empty()) {
        const std::string header = "# ONNX backend node tests Kiln's CPU backend passes" +
                                   (source.empty() ? std::string() : " (" + source + ")") +
                                   ".\n# Generated by scripts/onnx/update_expected.sh; a listed case that stops "
                                   "passing fails the `onnx` ctest.\n";
        if (!kc::writePassingList(a.writePassing, records, header, &error)) ok = false;
    }
    if (!ok) {
        std::fprintf(stderr, "kiln_onnx_runner: %s\n", error.c_str());
        return 2;
    }

    if (a.expected.empty()) return s.overall.pass == s.overall.total ? 0 : 1;
    std::set<std::string> expected;
    if (!kc::readNameList(a.expected, &expected, &error)) {
        std::fprintf(stderr, "kiln_onnx_runner: %s\n", error.c_str());
        return 2;
    }
    if (filter)
        for (auto it = expected.begin(); it != expected.end();)
            it = std::regex_search(*it, *filter) ? std::next(it) : expected.erase(it);
    const kc::ExpectedCheck check = kc::checkExpected(records, expected);
    if (!check.newlyPassing.empty()) {
        std::printf("\n%zu newly passing cases (not in %s; add them with scripts/onnx/update_expected.sh):\n",
                    check.newlyPassing.size(), a.expected.c_str());
        for (const std::string& n : check.newlyPassing) std::printf("  %s\n", n.c_str());
    }
    if (!check.regressions.empty()) {
        std::printf("\n%zu REGRESSIONS: cases listed in %s that do not pass:\n", check.regressions.size(),
                    a.expected.c_str());
        for (const std::string& n : check.regressions) std::printf("  %s\n", n.c_str());
        return 1;
    }
    std::printf("\nno regressions: all %zu expected cases pass\n", expected.size());
    return 0;
}
