// The `edgetwin` executable: dispatches to the subcommands of cli.cpp.

#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "edgetwin/common/error.hpp"
#include "edgetwin/sim/version.hpp"

#include "cli.hpp"

namespace {

void print_help(const std::vector<edgetwin::app::Command>& commands) {
  std::cout << "edgetwin " << edgetwin::sim::version_string()
            << ": simulator of energy-efficient DNN inference on Jetson edge devices and cloud GPUs\n\n"
               "usage: edgetwin <command> [options]   (edgetwin <command> --help for details)\n\n"
               "commands:\n";
  for (const auto& c : commands) {
    std::cout << "  " << c.name << std::string(10 - std::string(c.name).size(), ' ') << c.summary << "\n";
  }
  std::cout << "\nexit codes: 0 success, 1 failure, 2 bad command line, 3 malformed data file\n"
               "environment: EDGETWIN_DATA overrides the catalog directory (default: "
            << edgetwin::traces::default_data_dir() << ")\n";
}

}  // namespace

int main(int argc, char** argv) {
  using edgetwin::app::builtin_commands;
  using edgetwin::app::kExitDataError;
  using edgetwin::app::kExitFailure;
  using edgetwin::app::kExitOk;
  using edgetwin::app::kExitUsage;
  const auto commands = builtin_commands();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_help(commands);
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] == "--version") {
    std::cout << "edgetwin " << edgetwin::sim::version_string() << "\n";
    return kExitOk;
  }
  for (const auto& c : commands) {
    if (args[0] != c.name) continue;
    try {
      return c.run(std::vector<std::string>(args.begin() + 1, args.end()));
    } catch (const edgetwin::common::DataError& e) {
      std::cerr << "error: " << e.what() << "\n";
      return kExitDataError;
    } catch (const boost::program_options::error& e) {
      std::cerr << "error: " << e.what() << " (see: edgetwin " << c.name << " --help)\n";
      return kExitUsage;
    } catch (const std::invalid_argument& e) {
      std::cerr << "error: " << e.what() << "\n";
      return kExitUsage;
    } catch (const std::exception& e) {
      std::cerr << "error: " << e.what() << "\n";
      return kExitFailure;
    }
  }
  std::cerr << "error: unknown command '" << args[0] << "'; commands:";
  for (const auto& c : commands) std::cerr << " " << c.name;
  std::cerr << "\n";
  return kExitUsage;
}
