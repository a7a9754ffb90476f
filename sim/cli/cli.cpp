#include "cli.hpp"

#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace edgetwin::app {

void add_data_option(po::options_description& options, std::string& data_dir) {
  options.add_options()("data", po::value<std::string>(&data_dir)->default_value(traces::default_data_dir()),
                        "catalog data directory (boards/, models/)");
}

bool parse_args(const std::vector<std::string>& args, const po::options_description& options,
                const po::positional_options_description& positionals, po::variables_map& vm,
                const std::string& usage_line) {
  po::options_description all(options);
  all.add_options()("help,h", "show this help");
  po::store(po::command_line_parser(args).options(all).positional(positionals).run(), vm);
  if (vm.count("help") != 0) {
    std::cout << "usage: " << usage_line << "\n\n" << all << "\n";
    return false;
  }
  po::notify(vm);
  return true;
}

std::string default_traces_dir() {
  if (const char* env = std::getenv("EDGETWIN_TRACES"); env != nullptr && *env != '\0') return env;
  return (std::filesystem::path(traces::default_data_dir()).parent_path() / "generated").string();
}

void add_traces_option(po::options_description& options, std::string& traces_dir) {
  options.add_options()("traces", po::value<std::string>(&traces_dir)->default_value(default_traces_dir()),
                        "trace directory (<dir>/<board>/<model>.<runtime>.<precision>.csv); "
                        "$EDGETWIN_TRACES overrides the default");
}

traces::Catalog load_catalog_or_throw(const std::string& data_dir) {
  return traces::Catalog::load(data_dir);
}

}  // namespace edgetwin::app
