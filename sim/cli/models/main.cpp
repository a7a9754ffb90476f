// `edgetwin-models`: the model-zoo tool (libtorch). Reached as `edgetwin models ...`.

#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "edgetwin/common/error.hpp"

#include "cli.hpp"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return edgetwin::app::run_models(args);
  } catch (const edgetwin::common::DataError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return edgetwin::app::kExitDataError;
  } catch (const boost::program_options::error& e) {
    std::cerr << "error: " << e.what() << " (see: edgetwin models --help)\n";
    return edgetwin::app::kExitUsage;
  } catch (const std::invalid_argument& e) {
    std::cerr << "error: " << e.what() << "\n";
    return edgetwin::app::kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return edgetwin::app::kExitFailure;
  }
}
