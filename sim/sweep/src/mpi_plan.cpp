#include "edgetwin/sweep/mpi_plan.hpp"

namespace edgetwin::sweep {

using nlohmann::json;

json plan_to_json(const MpiPlan& plan) {
  json runs = json::array();
  for (const auto& r : plan.runs) {
    json axes = json::array();
    for (const auto& a : r.axes)
      axes.push_back({{"axis", a.axis}, {"pointer", a.pointer}, {"value", a.value}});
    runs.push_back({{"index", r.index},
                    {"id", r.id},
                    {"group", r.group},
                    {"seed", r.seed},
                    {"axes", axes},
                    {"resolved", r.resolved}});
  }
  return {{"sweep_id", plan.sweep_id},
          {"name", plan.name},
          {"file", plan.file},
          {"spec_json", plan.spec_json},
          {"db_path", plan.db_path},
          {"edgetwin_version", plan.edgetwin_version},
          {"run_command", plan.run_command},
          {"run_options", plan.run_options},
          {"timeout_s", plan.options.timeout_s},
          {"retry_failed", plan.options.retry_failed},
          {"quiet", plan.options.quiet},
          {"tty", plan.options.tty},
          {"runs", runs}};
}

MpiPlan plan_from_json(const json& j) {
  MpiPlan plan;
  plan.sweep_id = j.at("sweep_id").get<std::string>();
  plan.name = j.at("name").get<std::string>();
  plan.file = j.at("file").get<std::string>();
  plan.spec_json = j.at("spec_json").get<std::string>();
  plan.db_path = j.at("db_path").get<std::string>();
  plan.edgetwin_version = j.at("edgetwin_version").get<std::string>();
  plan.run_command = j.at("run_command").get<std::vector<std::string>>();
  plan.run_options = j.at("run_options").get<std::vector<std::string>>();
  plan.options.timeout_s = j.at("timeout_s").get<double>();
  plan.options.retry_failed = j.at("retry_failed").get<bool>();
  plan.options.quiet = j.at("quiet").get<bool>();
  plan.options.tty = j.at("tty").get<bool>();
  for (const auto& r : j.at("runs")) {
    SweepRun run;
    run.index = r.at("index").get<std::size_t>();
    run.id = r.at("id").get<std::string>();
    run.group = r.at("group").get<std::string>();
    run.seed = r.at("seed").get<std::uint64_t>();
    for (const auto& a : r.at("axes"))
      run.axes.push_back(
          {a.at("axis").get<std::string>(), a.at("pointer").get<std::string>(), a.at("value"), ""});
    run.resolved = r.at("resolved");
    plan.runs.push_back(std::move(run));
  }
  return plan;
}

std::vector<std::string> run_argv(const MpiPlan& plan, const std::string& scenario,
                                  const std::string& out_dir) {
  std::vector<std::string> argv = plan.run_command;
  argv.emplace_back(scenario);
  argv.emplace_back("--out");
  argv.emplace_back(out_dir);
  argv.insert(argv.end(), plan.run_options.begin(), plan.run_options.end());
  return argv;
}

}  // namespace edgetwin::sweep
