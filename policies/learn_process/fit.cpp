// `edgetwin-learn fit`: a supervised network from a CSV file (fit.hpp).

#include "fit.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <sstream>

#include "edgetwin/common/error.hpp"
#include "edgetwin/common/strings.hpp"
#include "edgetwin/learn/error.hpp"
#include "edgetwin/learn/factory.hpp"

#include "agent_server.hpp"

namespace edgetwin::learn_app {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> names_of(const nlohmann::json& spec, const char* key, const std::string& spec_file) {
  if (!spec.contains(key)) return {};
  const auto& v = spec.at(key);
  if (v.is_string()) return {v.get<std::string>()};
  if (!v.is_array() || v.empty() ||
      !std::all_of(v.begin(), v.end(), [](const auto& x) { return x.is_string(); }))
    throw common::DataError(
        spec_file, std::string("/") + key,
        "found " + common::abbreviate(v.dump()) + ", allowed: a column name or a list of them");
  return v.get<std::vector<std::string>>();
}

}  // namespace

CsvDataset read_csv_dataset(const std::string& csv, const nlohmann::json& spec_in,
                            const std::string& spec_file) {
  if (!spec_in.is_object()) throw common::DataError(spec_file, "", "a model spec is a JSON object");
  CsvDataset out;
  nlohmann::json spec = spec_in;
  out.name = spec.value("name", fs::path(spec_file).stem().string());
  spec.erase("name");
  const auto task = spec.value("task", std::string("classification"));
  const bool classify = task == "classification";
  auto label = names_of(spec, "label", spec_file);
  auto targets = names_of(spec, "targets", spec_file);
  if (classify) {
    if (label.size() != 1 || !targets.empty())
      throw common::DataError(spec_file, "/label",
                              "classification needs \"label\": the column holding class indices 0, 1, ...");
    out.targets = label;
  } else {
    if (targets.empty() || !label.empty())
      throw common::DataError(spec_file, "/targets", "regression needs \"targets\": the target column(s)");
    out.targets = targets;
  }
  std::ifstream in(csv);
  if (!in) throw common::DataError(csv, "", "cannot read the file");
  std::string line;
  if (!std::getline(in, line)) throw common::DataError(csv, "line 1", "empty file: expected a header row");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const auto header = common::split_commas(line);
  std::map<std::string, std::size_t> column;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (!column.emplace(header[i], i).second)
      throw common::DataError(csv, "line 1", "column '" + header[i] + "' appears twice");
  }
  out.features = names_of(spec, "features", spec_file);
  if (out.features.empty()) {
    for (const auto& h : header) {
      if (std::find(out.targets.begin(), out.targets.end(), h) == out.targets.end())
        out.features.push_back(h);
    }
  }
  std::vector<std::size_t> feature_cols, target_cols;
  for (auto* list : {&out.features, &out.targets}) {
    for (const auto& name : *list) {
      const auto it = column.find(name);
      if (it == column.end())
        throw common::DataError(
            csv, "line 1",
            "no column '" + name + "' (named by " + spec_file + "); columns: " + common::join(header));
      (list == &out.features ? feature_cols : target_cols).push_back(it->second);
    }
  }
  if (out.features.empty()) throw common::DataError(csv, "line 1", "no feature column besides the targets");
  spec.erase("features");
  spec.erase("label");
  spec.erase("targets");
  auto& data = out.data;
  data.input_dim = static_cast<int>(out.features.size());
  std::int64_t max_label = -1;
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto cells = common::split_commas(line);
    if (cells.size() != header.size()) {
      throw common::DataError(csv, "line " + std::to_string(line_no),
                              "found " + std::to_string(cells.size()) + " cells, the header has " +
                                  std::to_string(header.size()));
    }
    auto number = [&](std::size_t col) {
      const std::string& cell = cells[col];
      char* end = nullptr;
      const double v = std::strtod(cell.c_str(), &end);
      if (cell.empty() || end != cell.c_str() + cell.size() || !std::isfinite(v)) {
        throw common::DataError(csv, "line " + std::to_string(line_no) + ", column '" + header[col] + "'",
                                "found '" + common::abbreviate(cell) + "', allowed: a finite number");
      }
      return v;
    };
    for (const auto c : feature_cols) data.inputs.push_back(static_cast<float>(number(c)));
    if (classify) {
      const double v = number(target_cols[0]);
      if (v < 0 || v != std::floor(v) || v > 1e6) {
        throw common::DataError(
            csv, "line " + std::to_string(line_no) + ", column '" + header[target_cols[0]] + "'",
            "found " + common::format_double(v) + ", allowed: a class index 0, 1, 2, ...");
      }
      data.labels.push_back(static_cast<std::int64_t>(v));
      max_label = std::max(max_label, data.labels.back());
    } else {
      for (const auto c : target_cols) data.targets.push_back(static_cast<float>(number(c)));
    }
  }
  if (data.size() < 2) throw common::DataError(csv, "", "fewer than 2 rows of data");
  spec["kind"] = "supervised";
  spec["task"] = task;
  const int inputs = data.input_dim;
  const int outputs = classify ? static_cast<int>(max_label + 1) : static_cast<int>(out.targets.size());
  if (spec.contains("inputs") && spec.at("inputs") != inputs)
    throw common::DataError(spec_file, "/inputs",
                            "found " + spec.at("inputs").dump() + ", but the file has " +
                                std::to_string(inputs) + " feature columns");
  if (classify && spec.contains("outputs")) {
    if (!spec.at("outputs").is_number_integer() || spec.at("outputs").get<int>() < outputs)
      throw common::DataError(
          spec_file, "/outputs",
          "found " + spec.at("outputs").dump() + ", but the labels go up to " + std::to_string(max_label));
  } else if (spec.contains("outputs") && spec.at("outputs") != outputs) {
    throw common::DataError(spec_file, "/outputs",
                            "found " + spec.at("outputs").dump() + ", but there are " +
                                std::to_string(outputs) + " target columns");
  } else {
    spec["outputs"] = outputs;
  }
  spec["inputs"] = inputs;
  learn::supervised_config_from_json(spec);  // the spec's errors name their field
  out.spec = spec;
  return out;
}

int fit(const FitOptions& o) {
  learn::use_single_torch_thread();
  std::ifstream spec_in(o.model);
  if (!spec_in) throw common::DataError(o.model, "", "cannot read the model spec");
  auto parsed = nlohmann::json::parse(spec_in, nullptr, false);
  if (parsed.is_discarded()) throw common::DataError(o.model, "", "not valid JSON");
  if (o.seed != 0) parsed["seed"] = o.seed;
  CsvDataset dataset = read_csv_dataset(o.dataset, parsed, o.model);
  const int epochs = o.epochs >= 0 ? o.epochs : dataset.spec.value("epochs", 20);
  // One epoch per fit() call, so that the best epoch can be checkpointed; the same minibatches as
  // one fit() of all epochs (the shuffle generator carries over).
  auto spec = dataset.spec;
  spec["epochs"] = 1;
  Network net;
  net.name = dataset.name;
  net.spec = spec;
  std::string from;
  if (!o.resume.empty()) {
    from = find_checkpoint({o.resume}, net.name, net.name, "last");
    if (from.empty())
      throw std::invalid_argument("--resume " + o.resume + " holds no checkpoint of network '" + net.name +
                                  "'");
    const auto have = spec_from_manifest(learn::read_manifest(from));
    if (const auto why = learn::spec_mismatch(have, spec); !why.empty())
      throw std::invalid_argument("checkpoint " + from + " does not fit " + o.model + ": " + why);
  }
  net.build(from);
  const fs::path dir = fs::path(o.out) / net.name;
  fs::create_directories(dir);
  const bool have_curve = fs::exists(dir / "curve.csv");
  if (have_curve && o.resume.empty()) {
    throw std::invalid_argument(o.out + ": already holds a training of '" + net.name + "' (" +
                                (dir / "curve.csv").string() + "); continue it with --resume " + o.out +
                                ", or choose another --out");
  }
  std::ofstream curve(dir / "curve.csv", std::ios::app);
  if (!curve) throw std::runtime_error("cannot write " + (dir / "curve.csv").string());
  if (!have_curve)
    curve << "epoch,rows,train_loss,validation_loss,train_accuracy,validation_accuracy,updates,wall_s\n";
  double best = std::numeric_limits<double>::infinity();
  if (!from.empty()) {
    const auto u = learn::read_manifest(from).value("user", nlohmann::json::object());
    if (u.contains("best_loss") && u.at("best_loss").is_number()) best = u.at("best_loss");
  }
  auto user = [&](const learn::EpochStats& e, const std::string& best_is) {
    return nlohmann::json{{"policy", ""},
                          {"network", net.name},
                          {"features", dataset.features},
                          {"targets", dataset.targets},
                          {"learner_spec", spec},
                          {"dataset", o.dataset},
                          {"model", o.model},
                          {"rows", dataset.data.size()},
                          {"epochs", e.epoch},
                          {"best_loss", best},
                          {"best_is", best_is}};
  };
  const auto start = std::chrono::steady_clock::now();
  learn::EpochStats e;
  for (int i = 0; i < epochs; ++i) {
    e = net.supervised->fit(dataset.data).back();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    curve << e.epoch << ',' << dataset.data.size() << ',' << csv_number(e.train_loss) << ','
          << csv_number(e.validation_loss) << ',' << csv_number(e.train_accuracy) << ','
          << csv_number(e.validation_accuracy) << ',' << net.supervised->updates() << ',' << csv_number(wall)
          << '\n';
    curve.flush();
    const bool validated = !std::isnan(e.validation_loss);
    const double score = validated ? e.validation_loss : e.train_loss;
    const std::string best_is = validated ? "validation loss" : "training loss";
    if (score < best) {
      best = score;
      net.save_atomically((dir / "best").string(), user(e, best_is));
    }
    net.save_atomically((dir / "last").string(), user(e, best_is));
    if (!o.quiet) {
      std::cerr << "\rfit " << net.name << ": epoch " << e.epoch << "  loss " << csv_number(e.train_loss)
                << (validated ? "  validation " + csv_number(e.validation_loss) : std::string())
                << (std::isnan(e.validation_accuracy) ? std::string()
                                                      : "  accuracy " + csv_number(e.validation_accuracy))
                << std::fixed << std::setprecision(0) << "  " << wall << " s   " << std::flush;
    }
  }
  if (!o.quiet) std::cerr << "\n";
  std::cout << "fitted '" << net.name << "' (" << spec.value("task", "") << ", " << dataset.features.size()
            << " features, " << dataset.data.size() << " rows) for " << epochs << " epochs: best "
            << (std::isnan(e.validation_loss) ? "training" : "validation") << " loss " << csv_number(best);
  if (!std::isnan(e.validation_accuracy))
    std::cout << ", last validation accuracy " << csv_number(e.validation_accuracy);
  std::cout << "\nresults: " << o.out << "/" << net.name << "/{curve.csv, best/, last/}\n";
  return 0;
}

}  // namespace edgetwin::learn_app
