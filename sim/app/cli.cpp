#include "cli.hpp"

#include <iostream>

namespace edgetwin::app {

std::vector<Command> builtin_commands() {
  return {
      {"list", "list boards, models (catalogs)", &run_list},
      {"traces", "generate synthetic traces, inspect trace data and fit errors", &run_traces},
      {"models", "rebuild the model catalog from the libtorch architectures", &run_models},
  };
}

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

traces::Catalog load_catalog_or_throw(const std::string& data_dir) {
  return traces::Catalog::load(data_dir);
}

}  // namespace edgetwin::app
