// kiln: the command-line front end of Kiln (build / run / inspect plans), written against the public API
// only (include/kiln). Every failure ends with a one-line message and exit code 1; nothing is thrown out
// of main.
#include <cstdio>
#include <exception>
#include <new>

#include "commands.h"
#include "kiln/types.h"

namespace kiln::tool {

std::string versionText() {
    const int32_t v = getKilnVersion();
    return "kiln " + std::to_string(kKILN_VERSION_MAJOR) + "." + std::to_string(kKILN_VERSION_MINOR) + "." +
           std::to_string(kKILN_VERSION_PATCH) + " (library " + std::to_string(v / 10000) + "." +
           std::to_string(v / 100 % 100) + "." + std::to_string(v % 100) + ")";
}

namespace {

int runMain(int argc, char** argv) {
    CLI::App app("kiln: build, run and inspect Kiln inference plans", "kiln");
    app.set_version_flag("--version", versionText());
    app.require_subcommand(1);
    app.footer(
        "Examples:\n"
        "  kiln build --network mnist -o mnist.plan\n"
        "  kiln inspect mnist.plan\n"
        "  kiln run mnist.plan --input input=digits.npy --output-dir out/\n"
        "\n"
        "Run 'kiln <command> --help' for the options of a command.");
    BuildArgs buildArgs;
    RunArgs runArgs;
    InspectArgs inspectArgs;
    CLI::App* build = addBuildCommand(app, buildArgs);
    CLI::App* run = addRunCommand(app, runArgs);
    CLI::App* inspect = addInspectCommand(app, inspectArgs);
    app.get_formatter()->column_width(32);
    // One line per usage error, in the same shape as every other error of the tool.
    app.failure_message([](const CLI::App*, const CLI::Error& e) {
        return std::string("kiln: error: ") + e.what() + " (see kiln --help)\n";
    });
    if (argc < 2) {
        std::printf("%s", app.help().c_str());
        return 1;
    }
    const std::string first = argv[1];
    if (!first.empty() && first[0] != '-' && first != "build" && first != "run" && first != "inspect") {
        std::fprintf(stderr,
                     "kiln: error: unknown command '%s'; commands: build, run, inspect (see kiln --help)\n",
                     first.c_str());
        return 1;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version exit 0; every usage error exits 1, like every other failure.
        return app.exit(e) == 0 ? 0 : 1;
    }
    if (build->parsed()) return runBuild(buildArgs);
    if (run->parsed()) return runRun(runArgs);
    if (inspect->parsed()) return runInspect(inspectArgs);
    std::fprintf(stderr, "kiln: error: no command given; run 'kiln --help'\n");
    return 1;
}

}  // namespace

}  // namespace kiln::tool

int main(int argc, char** argv) {
    try {
        return kiln::tool::runMain(argc, argv);
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "kiln: error: out of memory\n");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kiln: error: unexpected failure: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "kiln: error: unexpected failure\n");
    }
    return 1;
}
