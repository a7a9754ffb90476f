#include "edgetwin/traces/catalog.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "edgetwin/common/error.hpp"
#include "edgetwin/common/json_reader.hpp"

namespace edgetwin::traces {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> json_files_in(const fs::path& dir) {
  std::vector<std::string> files;
  if (!fs::is_directory(dir)) return files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json")
      files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());  // deterministic order, deterministic first error
  return files;
}

std::string join_keys(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

}  // namespace

Board load_board_file(const std::string& path) {
  const auto doc = common::read_json_file(path);
  Board board = board_from_json(common::JsonReader(doc, path));
  if (board.id != fs::path(path).stem().string()) {
    throw common::DataError(
        path, "/id",
        "id \"" + board.id + "\" must equal the file name stem \"" + fs::path(path).stem().string() + "\"");
  }
  validate_board(board, path);
  return board;
}

std::vector<Board> load_board_releases(const std::string& path) {
  const auto doc = common::read_json_file(path);
  const common::JsonReader j(doc, path);
  std::vector<Board> boards{load_board_file(path)};
  for (Board& b : board_releases_from_json(j, boards.front())) {
    // Errors of a release name its entry: /releases/<i> (tables and caps of that release).
    const std::string at = "/releases/" + std::to_string(boards.size() - 1);
    try {
      validate_board(b, path);
    } catch (const common::DataError& e) {
      throw common::DataError(path, at, "release " + b.release.id + ", " + e.where() + ": " + e.reason());
    }
    boards.push_back(std::move(b));
  }
  // Every release knows all of them (the default first).
  for (auto& b : boards) b.release_ids = boards.back().release_ids;
  return boards;
}

Model load_model_file(const std::string& path) {
  const auto doc = common::read_json_file(path);
  Model model = model_from_json(common::JsonReader(doc, path));
  if (model.id != fs::path(path).stem().string()) {
    throw common::DataError(
        path, "/id",
        "id \"" + model.id + "\" must equal the file name stem \"" + fs::path(path).stem().string() + "\"");
  }
  validate_model(model, path);
  return model;
}

Catalog Catalog::load(const std::string& data_dir) {
  const fs::path root(data_dir);
  if (!fs::is_directory(root)) throw common::DataError(data_dir, "", "catalog directory does not exist");
  if (!fs::is_directory(root / "boards")) {
    throw common::DataError(data_dir, "", "catalog directory has no boards/ folder");
  }
  Catalog catalog;
  catalog.data_dir_ = data_dir;
  for (const auto& file : json_files_in(root / "boards")) {
    for (Board& b : load_board_releases(file)) catalog.add_board(std::move(b));
  }
  for (const auto& file : json_files_in(root / "models")) catalog.add_model(load_model_file(file));
  if (catalog.boards_.empty())
    throw common::DataError((root / "boards").string(), "", "no board files (*.json)");
  if (fs::is_directory(root / "accuracy")) {
    // <model>.json first (each model's default table), then <model>.<dataset_key>.json.
    std::vector<std::string> files = json_files_in(root / "accuracy");
    std::stable_partition(files.begin(), files.end(), [](const std::string& f) {
      return fs::path(f).stem().string().find('.') == std::string::npos;
    });
    for (const auto& file : files) {
      const std::string stem = fs::path(file).stem().string();
      const std::string id = stem.substr(0, stem.find('.'));
      if (!catalog.has_model(id)) {
        throw common::DataError(file, "",
                                "no model \"" + id +
                                    "\" in the catalog; allowed file names: <model id>.json or "
                                    "<model id>.<dataset_key>.json, models: " +
                                    join_keys(catalog.model_ids()));
      }
      AccuracyTable table = load_accuracy_file(file, catalog.model(id));
      if (stem != id && stem != id + "." + table.dataset_key) {
        throw common::DataError(file, "/dataset_key",
                                "found \"" + table.dataset_key + "\", allowed: \"" +
                                    stem.substr(id.size() + 1) + "\" (the file's name, " + id +
                                    ".<dataset_key>.json)");
      }
      if (const AccuracyTable* earlier = catalog.accuracy(id, table.dataset_key); earlier != nullptr) {
        throw common::DataError(file, "/dataset_key",
                                "found \"" + table.dataset_key + "\", which " + earlier->file +
                                    " already has; each dataset of a model has one table");
      }
      catalog.add_accuracy(std::move(table));
    }
  }
  return catalog;
}

void Catalog::add_accuracy(AccuracyTable table) {
  const std::string id = table.model;
  model(id);  // throws for an unknown model
  std::vector<AccuracyTable>& tables = accuracy_[id];
  for (AccuracyTable& t : tables) {
    if (t.dataset_key == table.dataset_key) {
      t = std::move(table);
      return;
    }
  }
  tables.push_back(std::move(table));
}

const AccuracyTable* Catalog::accuracy(const std::string& model_id) const {
  return accuracy(model_id, "");
}

const AccuracyTable* Catalog::accuracy(const std::string& model_id, const std::string& dataset_key) const {
  const auto it = accuracy_.find(model_id);
  if (it == accuracy_.end() || it->second.empty()) return nullptr;
  if (dataset_key.empty()) return &it->second.front();
  for (const AccuracyTable& t : it->second) {
    if (t.dataset_key == dataset_key) return &t;
  }
  return nullptr;
}

std::vector<std::string> Catalog::accuracy_datasets(const std::string& model_id) const {
  std::vector<std::string> keys;
  const auto it = accuracy_.find(model_id);
  if (it != accuracy_.end()) {
    for (const AccuracyTable& t : it->second) keys.push_back(t.dataset_key);
  }
  return keys;
}

void Catalog::add_board(Board board) {
  const std::string id = board.id;
  if (!boards_.emplace(id, std::move(board)).second) {
    throw std::invalid_argument("board \"" + id + "\" is defined twice");
  }
}

void Catalog::add_model(Model model) {
  const std::string id = model.id;
  if (!models_.emplace(id, std::move(model)).second) {
    throw std::invalid_argument("model \"" + id + "\" is defined twice");
  }
}

const Board& Catalog::board(const std::string& id) const {
  auto it = boards_.find(id);
  if (it == boards_.end()) {
    throw std::invalid_argument("unknown board \"" + id + "\"; known boards: " + join_keys(board_ids()));
  }
  return it->second;
}

const Model& Catalog::model(const std::string& id) const {
  auto it = models_.find(id);
  if (it == models_.end()) {
    throw std::invalid_argument("unknown model \"" + id + "\"; known models: " + join_keys(model_ids()));
  }
  return it->second;
}

std::vector<std::string> Catalog::board_ids() const {
  std::vector<std::string> ids;
  for (const auto& [id, board] : boards_) ids.push_back(id);
  return ids;
}

std::vector<std::string> Catalog::model_ids() const {
  std::vector<std::string> ids;
  for (const auto& [id, model] : models_) ids.push_back(id);
  return ids;
}

std::string default_data_dir() {
  if (const char* env = std::getenv("EDGETWIN_DATA"); env != nullptr && *env != '\0') return env;
  return EDGETWIN_DATA_DIR;
}

std::string release_for_l4t(const Catalog& catalog, const std::string& board_id,
                            const std::string& l4t_version) {
  std::string best;
  int best_score = 0;
  for (const auto& id : catalog.board(board_id).release_ids) {
    for (const auto& pattern : catalog.board(id).release.l4t) {
      const int score = l4t_match(pattern, l4t_version);
      if (score > best_score) {
        best = id;
        best_score = score;
      }
    }
  }
  return best;
}

}  // namespace edgetwin::traces
