#pragma once
/// The board and model catalogs, loaded from the data directory and validated.

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "edgetwin/common/json_reader.hpp"
#include "edgetwin/traces/accuracy.hpp"
#include "edgetwin/traces/board.hpp"
#include "edgetwin/traces/model.hpp"

namespace edgetwin::traces {

/// Reads and validates one board file; throws DataError naming the file and field.
/// The board at the file's default release.
Board load_board_file(const std::string& path);
/// Every release of one board file: the default release first (id = the file's id), then one
/// board "<id>@<release>" per entry of its "releases" (docs/boards.md, "Releases"); each validated.
std::vector<Board> load_board_releases(const std::string& path);
/// Reads and validates one model file; throws DataError naming the file and field.
Model load_model_file(const std::string& path);

/// JSON form of catalog entries (the file formats of docs/boards.md and docs/models.md).
Board board_from_json(const common::JsonReader& json);
/// The non-default releases of a board file: `base` with each release's tables and caps.
std::vector<Board> board_releases_from_json(const common::JsonReader& json, const Board& base);
Model model_from_json(const common::JsonReader& json);
nlohmann::json model_to_json(const Model& model);

/// Checks a board's internal consistency (ascending tables, mode caps within tables, rails);
/// throws DataError naming `file` and the offending field.
void validate_board(const Board& board, const std::string& file);
void validate_model(const Model& model, const std::string& file);

/// All boards and models of a data directory (`<dir>/boards/*.json`, `<dir>/models/*.json`), and
/// the models' accuracy tables (`<dir>/accuracy/<model>.json` and `<model>.<dataset_key>.json`,
/// optional per model; docs/accuracy.md).
class Catalog {
 public:
  /// Loads every catalog file under `data_dir`; throws DataError on the first bad file.
  static Catalog load(const std::string& data_dir);

  void add_board(Board board);
  void add_model(Model model);
  /// Adds an accuracy table of a model already in the catalog, replacing an earlier one of the
  /// same dataset_key; the model's first table is its default.
  void add_accuracy(AccuracyTable table);

  const std::map<std::string, Board>& boards() const { return boards_; }
  const std::map<std::string, Model>& models() const { return models_; }
  /// Throws std::invalid_argument listing the known ids when `id` is unknown.
  const Board& board(const std::string& id) const;
  const Model& model(const std::string& id) const;
  bool has_board(const std::string& id) const { return boards_.count(id) != 0; }
  bool has_model(const std::string& id) const { return models_.count(id) != 0; }
  /// The model's default accuracy table (its `<model>.json`, else its first), or nullptr when the
  /// catalog has none for it.
  const AccuracyTable* accuracy(const std::string& model_id) const;
  /// The model's table for `dataset_key` ("" = the default), or nullptr when it has none.
  const AccuracyTable* accuracy(const std::string& model_id, const std::string& dataset_key) const;
  /// Dataset keys of the model's tables, the default first (empty: no table).
  std::vector<std::string> accuracy_datasets(const std::string& model_id) const;
  std::vector<std::string> board_ids() const;
  std::vector<std::string> model_ids() const;
  const std::string& data_dir() const { return data_dir_; }

 private:
  std::string data_dir_;
  std::map<std::string, Board> boards_;
  std::map<std::string, Model> models_;
  std::map<std::string, std::vector<AccuracyTable>> accuracy_;  ///< per model, the default first
};

/// The catalog id among the releases of board `board_id` (its Board::release_ids; an id with
/// "@" stands for its board file) whose L4T patterns cover `l4t_version` ("R32.7.4") most
/// specifically (docs/boards.md, "Releases"); "" when none does.
std::string release_for_l4t(const Catalog& catalog, const std::string& board_id,
                            const std::string& l4t_version);

/// The data directory: $EDGETWIN_DATA if set, else the one compiled in (source tree).
std::string default_data_dir();

}  // namespace edgetwin::traces
